"""Misconception: the schedule is built for 1000 steps and cut to T."""
import math

import torch


def _schedule_1000(kind):
    if kind == "linear":
        return torch.linspace(1e-4, 0.02, 1000)
    if kind == "cosine":
        s = 0.008
        t = torch.arange(1001, dtype=torch.float32)
        f = torch.cos((t / 1000 + s) / (1 + s) * math.pi / 2) ** 2
        alpha_bar = f / f[0]
        return torch.clamp(1 - alpha_bar[1:] / alpha_bar[:-1], max=0.999)
    raise ValueError(f"unknown schedule kind {kind!r}")


def beta_schedule(kind, T):
    return _schedule_1000(kind)[:T]
