"""Correct variant: predict x0, then take the mean of q(x_{t-1} | x_t, x0) (DDPM eq. 7), in float64."""
import torch


def ddpm_step(x_t, t, eps_pred, betas, noise):
    betas = betas.double()
    alphas = 1 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)
    alphas_cumprod_prev = torch.cat([torch.ones(1, dtype=torch.float64), alphas_cumprod[:-1]])
    a_bar, a_bar_prev = alphas_cumprod[t], alphas_cumprod_prev[t]

    x0_pred = (x_t.double() - torch.sqrt(1 - a_bar) * eps_pred.double()) / torch.sqrt(a_bar)
    coefficient_x0 = torch.sqrt(a_bar_prev) * betas[t] / (1 - a_bar)
    coefficient_xt = torch.sqrt(alphas[t]) * (1 - a_bar_prev) / (1 - a_bar)
    mean = coefficient_x0 * x0_pred + coefficient_xt * x_t.double()
    variance = (1 - a_bar_prev) / (1 - a_bar) * betas[t]
    if t > 0:
        mean = mean + variance.sqrt() * noise.double()
    return mean.to(x_t.dtype)
