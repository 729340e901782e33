"""Correct variant: the alpha-bars as tensors of the input's dtype, torch.sqrt throughout."""
import torch


def ddim_step(x_t, eps_pred, alpha_bar_t, alpha_bar_prev, eta, noise):
    a_t = torch.as_tensor(alpha_bar_t, dtype=x_t.dtype)
    a_prev = torch.as_tensor(alpha_bar_prev, dtype=x_t.dtype)
    x0_pred = (x_t - torch.sqrt(1 - a_t) * eps_pred) / torch.sqrt(a_t)
    variance = (1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)
    sigma = eta * torch.sqrt(variance)
    direction = torch.sqrt(torch.clamp(1 - a_prev - sigma**2, min=0.0)) * eps_pred
    return torch.sqrt(a_prev) * x0_pred + direction + sigma * noise
