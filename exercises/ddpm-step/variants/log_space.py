"""Correct variant: alphas_cumprod as exp(cumsum(log1p(-betas))), the standard deviation through exp(0.5 * log)."""
import math

import torch


def ddpm_step(x_t, t, eps_pred, betas, noise):
    log_alpha_bar = torch.cumsum(torch.log1p(-betas.double()), dim=0)
    one_minus_a_bar = -torch.expm1(log_alpha_bar[t])
    scale = 1.0 / math.sqrt(1.0 - betas[t].item())
    out = scale * (x_t - (betas[t].item() / one_minus_a_bar.sqrt().item()) * eps_pred)
    if t > 0:
        one_minus_prev = -torch.expm1(log_alpha_bar[t - 1])
        log_variance = torch.log(one_minus_prev) - torch.log(one_minus_a_bar) + torch.log(betas[t].double())
        out = out + torch.exp(0.5 * log_variance).item() * noise
    return out
