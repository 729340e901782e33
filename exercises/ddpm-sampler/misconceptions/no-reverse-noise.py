"""Misconception: the reverse steps add no noise."""
import torch


def sample(denoiser, shape, betas, generator):
    alphas = 1 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)
    x = torch.randn(shape, generator=generator)
    for t in reversed(range(len(betas))):
        eps = denoiser(x, torch.full((shape[0],), t, dtype=torch.long))
        x = (x - betas[t] / torch.sqrt(1 - alphas_cumprod[t]) * eps) / torch.sqrt(alphas[t])
    return x
