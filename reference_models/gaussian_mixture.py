"""An isotropic Gaussian mixture in R^D and its exact noise prediction at every diffusion step.

Data x0 ~ sum_k pi_k N(m_k, s_k^2 I). Noised as in DDPM (Ho, Jain and Abbeel 2020),
x_t = sqrt(alpha-bar_t) x0 + sqrt(1 - alpha-bar_t) eps, the marginal at step t is again a mixture:

    p_t(x) = sum_k pi_k N(x; sqrt(alpha-bar_t) m_k, v_k(t) I),  v_k(t) = alpha-bar_t s_k^2 + 1 - alpha-bar_t.

The noise prediction that minimizes the denoising loss is E[eps | x_t] = -sqrt(1 - alpha-bar_t) grad log p_t(x_t)
(Tweedie's formula), and for the mixture

    grad log p_t(x) = -sum_k r_k(x) (x - sqrt(alpha-bar_t) m_k) / v_k(t),

with r_k(x) the posterior responsibility of component k at x. A sampler that uses this exact
denoiser should return samples of the mixture itself, up to the error of its discretization.

Steps are 0-based: alphas_cumprod[t] = prod(1 - betas[:t + 1]).

| name            | symbol           | shape     |
| --------------- | ---------------- | --------- |
| weights         | pi_k             | (K,)      |
| means           | m_k              | (K, D)    |
| stds            | s_k              | (K,)      |
| alphas_cumprod  | alpha-bar_t      | (T,)      |
| x_t             | x_t              | (B, D)    |
| t_batch         | t, long          | (B,)      |
"""

from __future__ import annotations

import math
from typing import Callable

import torch


def _check_mixture(weights: torch.Tensor, means: torch.Tensor, stds: torch.Tensor) -> None:
    if weights.dim() != 1 or means.dim() != 2 or stds.shape != weights.shape or means.shape[0] != weights.shape[0]:
        raise ValueError(
            f"weights (K,), means (K, D) and stds (K,) must agree in K, got shapes "
            f"{tuple(weights.shape)}, {tuple(means.shape)} and {tuple(stds.shape)}"
        )
    if not torch.isclose(weights.double().sum(), torch.tensor(1.0, dtype=torch.float64)) or (weights <= 0).any():
        raise ValueError(f"weights must be positive and sum to 1, got {weights.tolist()}")
    if (stds <= 0).any():
        raise ValueError(f"stds must be positive, got {stds.tolist()}")


def mixture_denoiser(
    weights: torch.Tensor, means: torch.Tensor, stds: torch.Tensor, alphas_cumprod: torch.Tensor
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Return ``denoiser(x_t, t_batch)``: the exact predicted noise E[eps | x_t] (B, D) of the mixture.

    The computation runs in float64 and the result has the dtype of ``x_t``. The returned function
    raises TypeError unless ``t_batch`` is a long tensor (B,) with steps in 0 ... T - 1.
    """
    _check_mixture(weights, means, stds)
    log_weights = weights.double().log()  # (K,)
    means64, variances = means.double(), stds.double() ** 2  # (K, D), (K,)
    alpha_bars = alphas_cumprod.double()  # (T,)

    def denoiser(x_t: torch.Tensor, t_batch: torch.Tensor) -> torch.Tensor:
        batch, dim = x_t.shape
        if not isinstance(t_batch, torch.Tensor) or t_batch.dtype != torch.long or t_batch.shape != (batch,):
            raise TypeError(f"t_batch must be a long tensor of shape ({batch},), got {t_batch!r:.80}")
        alpha_bar = alpha_bars[t_batch][:, None]  # (B, 1)
        centres = alpha_bar.sqrt()[:, None, :] * means64[None]  # (B, K, D)
        component_variances = alpha_bar * variances[None] + 1 - alpha_bar  # (B, K)
        offsets = x_t.double()[:, None, :] - centres  # (B, K, D)
        log_densities = (
            log_weights
            - 0.5 * dim * torch.log(2 * math.pi * component_variances)
            - 0.5 * offsets.pow(2).sum(-1) / component_variances
        )  # (B, K)
        responsibilities = torch.softmax(log_densities, dim=1)  # (B, K)
        score = -(responsibilities[:, :, None] * offsets / component_variances[:, :, None]).sum(1)  # (B, D)
        return (-(1 - alpha_bar).sqrt() * score).to(x_t.dtype)  # (B, D)

    return denoiser


def sample_mixture(
    weights: torch.Tensor, means: torch.Tensor, stds: torch.Tensor, count: int, generator: torch.Generator
) -> torch.Tensor:
    """Draw ``count`` exact samples of the mixture, float64 (count, D)."""
    _check_mixture(weights, means, stds)
    components = torch.multinomial(weights.double(), count, replacement=True, generator=generator)  # (N,)
    noise = torch.randn(count, means.shape[1], generator=generator, dtype=torch.float64)  # (N, D)
    return means.double()[components] + stds.double()[components, None] * noise  # (N, D)


def marginal_cdf(weights: torch.Tensor, means: torch.Tensor, stds: torch.Tensor, axis: int) -> Callable:
    """Return the CDF of coordinate ``axis`` under the mixture, a function of a NumPy array.

    The components are isotropic, so each coordinate is a one-dimensional mixture of normals.
    """
    from scipy import stats

    _check_mixture(weights, means, stds)
    pi = weights.double().numpy()
    centres = means.double()[:, axis].numpy()
    scales = stds.double().numpy()

    def cdf(values):
        return (pi[None, :] * stats.norm.cdf((values[:, None] - centres[None, :]) / scales[None, :])).sum(axis=1)

    return cdf
