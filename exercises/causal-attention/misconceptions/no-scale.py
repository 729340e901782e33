"""Misconception: the scores are not divided by sqrt(d)."""
import torch


def causal_attention(q, k, v):
    positions = q.shape[-2]
    scores = q @ k.transpose(-2, -1)
    future = torch.triu(torch.ones(positions, positions, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(future, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
