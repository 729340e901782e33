"""Denoising diffusion implicit models: one generalized reverse step with the stochasticity eta.

Song, Meng and Ermon, "Denoising Diffusion Implicit Models" (2021): the generalized step and
its noise scale sigma. eta = 0 gives the deterministic DDIM sampler, eta = 1 the DDPM posterior
variance. The step goes from alpha-bar_t to any less noisy alpha-bar_prev, so the two need not be
neighbours in the schedule; alpha_bar_prev = 1 is the last step, which returns the predicted x0.

| name            | symbol                                                           | shape    |
| --------------- | ---------------------------------------------------------------- | -------- |
| x_t             | x_t                                                              | (B, ...) |
| eps_pred        | epsilon_theta(x_t, t), the predicted noise                       | (B, ...) |
| alpha_bar_t     | alpha-bar_t                                                      | ()       |
| alpha_bar_prev  | alpha-bar_prev, the target step's alpha-bar (larger)             | ()       |
| x0_pred         | (x_t - sqrt(1 - alpha-bar_t) eps_pred) / sqrt(alpha-bar_t)        | (B, ...) |
| sigma           | eta sqrt((1 - a_prev) / (1 - a_t)) sqrt(1 - a_t / a_prev)        | ()       |
| noise           | z ~ N(0, I)                                                      | (B, ...) |
"""

from __future__ import annotations

import math

import torch


def ddim_step(
    x_t: torch.Tensor,
    eps_pred: torch.Tensor,
    alpha_bar_t: float | torch.Tensor,
    alpha_bar_prev: float | torch.Tensor,
    eta: float,
    noise: torch.Tensor,
) -> torch.Tensor:
    """Take one DDIM step: return sqrt(a_prev) x0_pred + sqrt(1 - a_prev - sigma^2) eps_pred + sigma noise.

    The alpha-bar arguments are Python floats or 0-d tensors. The scalar terms are computed in
    float64, and the result has the dtype of ``x_t``. Raises ValueError unless
    0 < alpha_bar_t < 1 and alpha_bar_t <= alpha_bar_prev <= 1, and when eta is so large that
    1 - a_prev - sigma^2 is negative.
    """
    a_t, a_prev = float(alpha_bar_t), float(alpha_bar_prev)
    if not 0 < a_t < 1:
        raise ValueError(f"alpha_bar_t must be in (0, 1), got {a_t}")
    if not a_t <= a_prev <= 1:
        raise ValueError(f"alpha_bar_prev must be in [alpha_bar_t, 1] = [{a_t}, 1], got {a_prev}")

    x0_pred = (x_t.double() - math.sqrt(1 - a_t) * eps_pred.double()) / math.sqrt(a_t)  # (B, ...)
    sigma = eta * math.sqrt((1 - a_prev) / (1 - a_t)) * math.sqrt(1 - a_t / a_prev)
    direction_variance = 1 - a_prev - sigma**2
    if direction_variance < 0:
        raise ValueError(f"eta={eta} makes 1 - alpha_bar_prev - sigma^2 negative ({direction_variance:.3g})")

    x_prev = math.sqrt(a_prev) * x0_pred + math.sqrt(direction_variance) * eps_pred.double() + sigma * noise.double()
    return x_prev.to(x_t.dtype)  # (B, ...)
