"""Correct variant: the reverse loop as in the DDPM paper's Algorithm 2, in float32."""
import torch


def sample(denoiser, shape, betas, generator):
    alphas = 1 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)
    x = torch.randn(shape, generator=generator)
    for t in reversed(range(len(betas))):
        t_batch = torch.full((shape[0],), t, dtype=torch.long)
        eps = denoiser(x, t_batch)
        mean = (x - betas[t] / torch.sqrt(1 - alphas_cumprod[t]) * eps) / torch.sqrt(alphas[t])
        if t > 0:
            variance = (1 - alphas_cumprod[t - 1]) / (1 - alphas_cumprod[t]) * betas[t]
            x = mean + torch.sqrt(variance) * torch.randn(shape, generator=generator)
        else:
            x = mean
    return x
