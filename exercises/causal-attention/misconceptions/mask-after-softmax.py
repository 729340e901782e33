"""Misconception: the future weights are zeroed after the softmax, so the rows no longer sum to 1."""
import math

import torch


def causal_attention(q, k, v):
    positions = q.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    weights = torch.softmax(scores, dim=-1)
    future = torch.triu(torch.ones(positions, positions, dtype=torch.bool), diagonal=1)
    weights = weights.masked_fill(future, 0.0)
    return weights @ v
