"""Correct variant: torch.gather, axes appended in a loop, and torch.addcmul."""
import torch


def q_sample(x0, t, noise, alphas_cumprod):
    alpha_bar = torch.gather(alphas_cumprod, 0, t)
    signal_scale = torch.sqrt(alpha_bar)
    noise_scale = torch.sqrt(1.0 - alpha_bar)
    while signal_scale.dim() < x0.dim():
        signal_scale = signal_scale.unsqueeze(-1)
        noise_scale = noise_scale.unsqueeze(-1)
    return torch.addcmul(noise_scale * noise, signal_scale, x0)
