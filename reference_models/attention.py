"""Causal scaled dot-product attention, as in a decoder-only transformer.

Vaswani et al., "Attention Is All You Need" (2017), define
Attention(Q, K, V) = softmax(Q K^T / sqrt(d)) V. A causal decoder sets the score of query
position t against key position s > t to -inf before the softmax, so position t attends to
positions 0 .. t only (0-based). Symbols:

| name   | symbol          | shape        |
| ------ | --------------- | ------------ |
| q      | Q               | (B, H, T, d) |
| k      | K               | (B, H, T, d) |
| v      | V               | (B, H, T, d) |
| scores | Q K^T / sqrt(d) | (B, H, T, T) |
"""

from __future__ import annotations

import math

import torch


def causal_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Return softmax(q k^T / sqrt(d)) v with each position masked from later ones, differentiable in q, k and v."""
    if q.dim() != 4 or q.shape != k.shape or q.shape != v.shape:
        shapes = ", ".join(str(tuple(tensor.shape)) for tensor in (q, k, v))
        raise ValueError(f"q, k and v must share one shape (B, H, T, d), got {shapes}")
    positions, head_dim = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(head_dim)  # (B, H, T, T)
    # Row t is the query at position t, so the entries strictly above the diagonal are later keys.
    future = torch.ones(positions, positions, dtype=torch.bool, device=q.device).triu(diagonal=1)  # (T, T)
    scores = scores.masked_fill(future, float("-inf"))  # (B, H, T, T)
    weights = torch.softmax(scores, dim=-1)  # (B, H, T, T)
    return weights @ v  # (B, H, T, d)
