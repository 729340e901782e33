"""Misconception: noise is added at every step, t = 0 included, with alphas_cumprod[t - 1] wrapping to the end there."""
import torch


def ddpm_step(x_t, t, eps_pred, betas, noise):
    alphas = 1 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)
    mean = (x_t - betas[t] / torch.sqrt(1 - alphas_cumprod[t]) * eps_pred) / torch.sqrt(alphas[t])
    variance = (1 - alphas_cumprod[t - 1]) / (1 - alphas_cumprod[t]) * betas[t]
    return mean + torch.sqrt(variance) * noise
