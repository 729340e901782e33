"""Noise schedules of denoising diffusion models: the variances betas[t] of the forward steps.

Linear schedule: Ho, Jain and Abbeel, "Denoising Diffusion Probabilistic Models" (2020), betas
evenly spaced from 1e-4 to 0.02. Cosine schedule: Nichol and Dhariwal, "Improved Denoising
Diffusion Probabilistic Models" (2021).

Steps are 0-based: betas[t] for t = 0 ... T - 1, alphas = 1 - betas, and
alphas_cumprod[t] = prod(alphas[:t + 1]).

| name            | symbol                                 | shape |
| --------------- | -------------------------------------- | ----- |
| betas           | beta_t                                 | (T,)  |
| alphas          | alpha_t = 1 - beta_t                   | (T,)  |
| alphas_cumprod  | alpha-bar_t = prod_{s <= t} alpha_s    | (T,)  |
"""

from __future__ import annotations

import math

import torch

SCHEDULE_KINDS = ("linear", "cosine")
LINEAR_BETA_START = 1e-4
LINEAR_BETA_END = 0.02
COSINE_OFFSET = 0.008  # s: keeps beta_0 from being vanishingly small
COSINE_MAX_BETA = 0.999  # the clip, because without it the last beta is 1 and alpha-bar reaches exactly 0


def beta_schedule(kind: str, T: int) -> torch.Tensor:
    """Return the float32 betas (T,) of the ``"linear"`` or ``"cosine"`` schedule.

    Computed in float64 and rounded once, so that the reference carries no cancellation error of
    its own. Raises ValueError for any other ``kind`` and for T < 1.
    """
    if kind not in SCHEDULE_KINDS:
        raise ValueError(f"kind must be one of {SCHEDULE_KINDS}, got {kind!r}")
    if T < 1:
        raise ValueError(f"T must be a positive number of steps, got {T}")

    if kind == "linear":
        betas = torch.linspace(LINEAR_BETA_START, LINEAR_BETA_END, T, dtype=torch.float64)  # (T,)
    else:
        betas = cosine_betas(T)  # (T,)
    return betas.to(torch.float32)


def cosine_alphas_cumprod(T: int) -> torch.Tensor:
    """Compute alpha-bar(t) = f(t) / f(0), f(t) = cos(((t / T) + s) / (1 + s) * pi / 2)^2, at t = 0 ... T, float64 (T + 1,)."""
    steps = torch.arange(T + 1, dtype=torch.float64)  # (T + 1,)
    f = torch.cos((steps / T + COSINE_OFFSET) / (1 + COSINE_OFFSET) * math.pi / 2) ** 2  # (T + 1,)
    return f / f[0]


def cosine_betas(T: int) -> torch.Tensor:
    """Compute betas[t] = min(1 - alpha-bar(t + 1) / alpha-bar(t), 0.999) for t = 0 ... T - 1, float64 (T,)."""
    alpha_bar = cosine_alphas_cumprod(T)  # (T + 1,)
    return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=COSINE_MAX_BETA)  # (T,)


def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:
    """Compute alphas_cumprod[t] = prod(1 - betas[:t + 1]), with the shape and dtype of ``betas`` (T,)."""
    return torch.cumprod(1 - betas, dim=0)  # (T,)


def scaled_linear_betas(T: int) -> torch.Tensor:
    """Return the linear schedule with both ends multiplied by 1000 / T, float32 (T,).

    For T much smaller than 1000 the plain linear schedule leaves alpha-bar_{T-1} far from 0, so
    x_{T-1} would not be close to N(0, I). Scaling by 1000 / T keeps the sum of the betas, and so
    alpha-bar_{T-1}, about the same as at T = 1000.
    """
    if T < 1:
        raise ValueError(f"T must be a positive number of steps, got {T}")
    scale = 1000.0 / T
    start, end = LINEAR_BETA_START * scale, LINEAR_BETA_END * scale
    if end >= 1:
        raise ValueError(f"T must be above 20 so that the scaled betas stay below 1, got {T}")
    return torch.linspace(start, end, T, dtype=torch.float64).to(torch.float32)  # (T,)
