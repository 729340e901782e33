"""Correct variant: gather, then view the coefficients as (B, 1, ..., 1)."""
import torch


def q_sample(x0, t, noise, alphas_cumprod):
    alpha_bar = alphas_cumprod[t].view(-1, *([1] * (x0.dim() - 1)))
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise
