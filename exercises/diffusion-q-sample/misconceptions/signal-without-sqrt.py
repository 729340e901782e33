"""Misconception: the data is scaled by alpha_bar_t, not its square root."""
import torch


def q_sample(x0, t, noise, alphas_cumprod):
    alpha_bar = alphas_cumprod[t].view(-1, *([1] * (x0.dim() - 1)))
    return alpha_bar * x0 + (1 - alpha_bar).sqrt() * noise
