"""Correct variant: masked_fill with -inf, then softmax over the keys."""
import math

import torch


def causal_attention(q, k, v):
    positions = q.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    future = torch.triu(torch.ones(positions, positions, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(future, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
