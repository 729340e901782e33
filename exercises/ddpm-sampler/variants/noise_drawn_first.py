"""Correct variant: every step's noise is drawn up front, before x_T, so the draws come in another order."""
import torch


@torch.no_grad()
def sample(denoiser, shape, betas, generator):
    T = betas.shape[0]
    step_noise = torch.randn((T, *shape), generator=generator)
    x = torch.randn(shape, generator=generator)
    alphas_cumprod = torch.cumprod(1 - betas, 0)
    alphas_cumprod_prev = torch.cat([torch.ones(1), alphas_cumprod[:-1]])
    posterior_std = ((1 - alphas_cumprod_prev) / (1 - alphas_cumprod) * betas).sqrt()
    for t in range(T - 1, -1, -1):
        eps = denoiser(x, torch.full((shape[0],), t, dtype=torch.long))
        x = (x - betas[t] / (1 - alphas_cumprod[t]).sqrt() * eps) / (1 - betas[t]).sqrt()
        x = x + posterior_std[t] * step_noise[t] if t > 0 else x
    return x
