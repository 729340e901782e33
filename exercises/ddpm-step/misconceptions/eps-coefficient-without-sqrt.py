"""Misconception: the predicted noise is scaled by betas[t] / (1 - alpha_bar_t)."""
import torch


def ddpm_step(x_t, t, eps_pred, betas, noise):
    alphas = 1 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)
    mean = (x_t - betas[t] / (1 - alphas_cumprod[t]) * eps_pred) / torch.sqrt(alphas[t])
    if t == 0:
        return mean
    variance = (1 - alphas_cumprod[t - 1]) / (1 - alphas_cumprod[t]) * betas[t]
    return mean + torch.sqrt(variance) * noise
