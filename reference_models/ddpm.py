"""Denoising diffusion probabilistic models: the forward sample, one reverse step, the ancestral sampler.

Ho, Jain and Abbeel, "Denoising Diffusion Probabilistic Models" (2020): the closed form of
q(x_t | x_0), the posterior variance beta-tilde_t, the mean of a reverse step from the predicted
noise, and the ancestral sampler.

Steps are 0-based: t = 0 ... T - 1, betas[t], alphas = 1 - betas and
alphas_cumprod[t] = prod(alphas[:t + 1]). The paper counts from 1, so its alpha-bar_t is
alphas_cumprod[t - 1] here, and its last step (t = 1, no noise) is t = 0 here. The value
before step 0 is alpha-bar_{-1} = 1 (nothing has been noised yet).

| name                | symbol                                                    | shape      |
| ------------------- | --------------------------------------------------------- | ---------- |
| x0                  | x_0, data                                                 | (B, ...)   |
| x_t                 | x_t, noised data at step t                                | (B, ...)   |
| t                   | step index, 0-based                                       | (B,) or () |
| noise               | epsilon ~ N(0, I)                                         | (B, ...)   |
| eps_pred            | epsilon_theta(x_t, t), the predicted noise                | (B, ...)   |
| betas               | beta_t                                                    | (T,)       |
| alphas_cumprod      | alpha-bar_t                                               | (T,)       |
| posterior_variance  | beta-tilde_t = (1 - alpha-bar_{t-1}) / (1 - alpha-bar_t) beta_t | ()   |
"""

from __future__ import annotations

from typing import Callable

import torch


def q_sample(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """Sample x_t ~ q(x_t | x_0): sqrt(alpha-bar_t) * x0 + sqrt(1 - alpha-bar_t) * noise.

    ``t`` is a long tensor (B,) with one step per sample, and the coefficients are broadcast over
    every non-batch dimension of ``x0``. Differentiable in ``x0`` and ``noise``.
    """
    alpha_bar = alphas_cumprod[t].to(x0.dtype)  # (B,)
    alpha_bar = alpha_bar.reshape(-1, *([1] * (x0.dim() - 1)))  # (B, 1, ..., 1)
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise  # (B, ...)


def posterior_variance(betas: torch.Tensor, t: int) -> torch.Tensor:
    """Compute beta-tilde_t = (1 - alpha-bar_{t-1}) / (1 - alpha-bar_t) * beta_t as a float64 0-d tensor, 0 at t = 0."""
    betas64 = betas.double()  # (T,)
    alphas_cumprod = torch.cumprod(1 - betas64, dim=0)  # (T,)
    alpha_bar_prev = alphas_cumprod[t - 1] if t > 0 else torch.ones((), dtype=torch.float64)
    return (1 - alpha_bar_prev) / (1 - alphas_cumprod[t]) * betas64[t]


def ddpm_step(
    x_t: torch.Tensor, t: int, eps_pred: torch.Tensor, betas: torch.Tensor, noise: torch.Tensor | None
) -> torch.Tensor:
    """Take one reverse step from x_t to x_{t-1} (at t = 0: to the data x0) with the predicted noise.

    mean = (x_t - betas[t] / sqrt(1 - alpha-bar_t) * eps_pred) / sqrt(alphas[t])
    x_{t-1} = mean + sqrt(beta-tilde_t) * noise for t > 0, and the mean alone at t = 0, where
    ``noise`` is not read (so it may be None there).

    The schedule terms are computed in float64, because 1 - alpha-bar_t at t = 0 equals betas[0],
    and float32 keeps only about three of its digits after the cancellation. Raises IndexError for a
    step outside 0 ... T - 1.
    """
    T = betas.shape[0]
    if not 0 <= t < T:
        raise IndexError(f"t must be a step in 0 ... {T - 1}, got {t}")

    betas64 = betas.double()  # (T,)
    alphas_cumprod = torch.cumprod(1 - betas64, dim=0)  # (T,)
    eps_coefficient = betas64[t] / torch.sqrt(1 - alphas_cumprod[t])  # ()
    mean = (x_t - eps_coefficient * eps_pred) / torch.sqrt(1 - betas64[t])  # (B, ...), float64
    if t == 0:
        return mean.to(x_t.dtype)
    return (mean + torch.sqrt(posterior_variance(betas, t)) * noise).to(x_t.dtype)  # (B, ...)


def sample(
    denoiser: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    shape: tuple[int, ...],
    betas: torch.Tensor,
    generator: torch.Generator,
) -> torch.Tensor:
    """Draw data samples with the ancestral sampler: x_{T-1} ~ N(0, I), then steps t = T - 1 ... 0.

    ``denoiser(x_t, t_batch)`` returns the predicted noise for a long tensor ``t_batch`` (B,).
    Every draw comes from ``generator``: first x_{T-1}, then the noise of steps T - 1 ... 1 in
    that order. Returns float32 samples of ``shape``.
    """
    batch = shape[0]
    x = torch.randn(shape, generator=generator)  # (B, ...)
    with torch.no_grad():
        for t in reversed(range(betas.shape[0])):
            t_batch = torch.full((batch,), t, dtype=torch.long)  # (B,)
            eps_pred = denoiser(x, t_batch)  # (B, ...)
            noise = torch.randn(shape, generator=generator) if t > 0 else None  # (B, ...)
            x = ddpm_step(x, t, eps_pred, betas, noise)  # (B, ...)
    return x
