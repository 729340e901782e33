"""Misconception: the scores are divided by the square root of the sequence length instead of the head size."""
import math

import torch


def causal_attention(q, k, v):
    positions = q.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(positions)
    future = torch.triu(torch.ones(positions, positions, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(future, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
