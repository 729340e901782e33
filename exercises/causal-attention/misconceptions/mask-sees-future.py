"""Misconception: the mask covers the lower triangle, so each position sees itself and the future, not the past."""
import math

import torch


def causal_attention(q, k, v):
    positions = q.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    past = torch.tril(torch.ones(positions, positions, dtype=torch.bool), diagonal=-1)
    scores = scores.masked_fill(past, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
