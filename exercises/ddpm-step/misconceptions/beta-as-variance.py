"""Misconception: the noise is scaled by sqrt(betas[t]) instead of the posterior standard deviation."""
import torch


def ddpm_step(x_t, t, eps_pred, betas, noise):
    alphas = 1 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)
    mean = (x_t - betas[t] / torch.sqrt(1 - alphas_cumprod[t]) * eps_pred) / torch.sqrt(alphas[t])
    if t == 0:
        return mean
    return mean + torch.sqrt(betas[t]) * noise
