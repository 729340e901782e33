"""Misconception: noise is added at t = 0 too, with alphas_cumprod[t - 1] wrapping to the last step there."""
import torch


def sample(denoiser, shape, betas, generator):
    alphas = 1 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)
    x = torch.randn(shape, generator=generator)
    for t in reversed(range(len(betas))):
        eps = denoiser(x, torch.full((shape[0],), t, dtype=torch.long))
        mean = (x - betas[t] / torch.sqrt(1 - alphas_cumprod[t]) * eps) / torch.sqrt(alphas[t])
        variance = (1 - alphas_cumprod[t - 1]) / (1 - alphas_cumprod[t]) * betas[t]
        x = mean + torch.sqrt(variance) * torch.randn(shape, generator=generator)
    return x
