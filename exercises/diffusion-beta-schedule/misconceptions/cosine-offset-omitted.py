"""Misconception: the offset s is left out of the cosine schedule."""
import math

import torch


def beta_schedule(kind, T):
    if kind == "linear":
        return torch.linspace(1e-4, 0.02, T)
    if kind == "cosine":
        t = torch.arange(T + 1, dtype=torch.float32)
        alpha_bar = torch.cos(t / T * math.pi / 2) ** 2
        return torch.clamp(1 - alpha_bar[1:] / alpha_bar[:-1], max=0.999)
    raise ValueError(f"unknown schedule kind {kind!r}")
