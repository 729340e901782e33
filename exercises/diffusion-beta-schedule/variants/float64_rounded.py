"""Correct variant: float64 throughout with torch.minimum against a constant tensor, rounded to float32 once."""
import math

import torch


def beta_schedule(kind, T):
    schedules = {"linear", "cosine"}
    if kind not in schedules:
        raise ValueError("unknown kind: " + repr(kind))
    if kind == "linear":
        return torch.linspace(1e-4, 0.02, steps=T, dtype=torch.float64).float()
    s = 0.008
    fractions = torch.linspace(0, 1, T + 1, dtype=torch.float64)
    angles = (fractions + s) / (1 + s) * (math.pi / 2)
    alpha_bar = torch.cos(angles).square()
    alpha_bar = alpha_bar / alpha_bar[0]
    betas = 1 - alpha_bar[1:] / alpha_bar[:-1]
    return torch.minimum(betas, torch.tensor(0.999, dtype=torch.float64)).to(torch.float32)
