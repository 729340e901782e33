"""Misconception: the cosine betas are not clipped at 0.999."""
import math

import torch


def beta_schedule(kind, T):
    if kind == "linear":
        return torch.linspace(1e-4, 0.02, T)
    if kind == "cosine":
        s = 0.008
        t = torch.arange(T + 1, dtype=torch.float32)
        f = torch.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
        alpha_bar = f / f[0]
        return 1 - alpha_bar[1:] / alpha_bar[:-1]
    raise ValueError(f"unknown schedule kind {kind!r}")
