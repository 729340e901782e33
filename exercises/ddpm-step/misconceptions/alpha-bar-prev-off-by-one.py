"""Misconception: the previous alpha-bar array is padded at the end, so it contains alpha_bar_{t+1}."""
import torch
import torch.nn.functional as F


def ddpm_step(x_t, t, eps_pred, betas, noise):
    alphas = 1 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)
    alphas_cumprod_prev = F.pad(alphas_cumprod[1:], (0, 1), value=1.0)
    mean = (x_t - betas[t] / torch.sqrt(1 - alphas_cumprod[t]) * eps_pred) / torch.sqrt(alphas[t])
    if t == 0:
        return mean
    variance = (1 - alphas_cumprod_prev[t]) / (1 - alphas_cumprod[t]) * betas[t]
    return mean + torch.sqrt(variance) * noise
