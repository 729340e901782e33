"""Correct variant: a loop over steps in Python floats (float64), converted to a float32 tensor at the end."""
import math

import torch


def _alpha_bar(step, T, s=0.008):
    return math.cos((step / T + s) / (1 + s) * math.pi / 2) ** 2 / math.cos(s / (1 + s) * math.pi / 2) ** 2


def beta_schedule(kind, T):
    if kind not in ("linear", "cosine"):
        raise ValueError(f"kind must be 'linear' or 'cosine', got {kind!r}")
    betas = []
    for step in range(T):
        if kind == "linear":
            fraction = step / (T - 1) if T > 1 else 0.0
            betas.append(1e-4 + fraction * (0.02 - 1e-4))
        else:
            betas.append(min(1 - _alpha_bar(step + 1, T) / _alpha_bar(step, T), 0.999))
    return torch.tensor(betas, dtype=torch.float32)
