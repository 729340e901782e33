"""Misconception: alpha_bar(t) = f(t) without dividing by f(0), with the value before step 0 taken as 1."""
import math

import torch


def beta_schedule(kind, T):
    if kind == "linear":
        return torch.linspace(1e-4, 0.02, T)
    if kind == "cosine":
        s = 0.008
        t = torch.arange(1, T + 1, dtype=torch.float32)
        alpha_bar = torch.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
        previous = torch.cat([torch.ones(1), alpha_bar[:-1]])
        return torch.clamp(1 - alpha_bar / previous, max=0.999)
    raise ValueError(f"unknown schedule kind {kind!r}")
