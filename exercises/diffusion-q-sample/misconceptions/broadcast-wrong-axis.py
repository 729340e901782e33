"""Misconception: the coefficients are shaped (B, 1), right for (B, D) but aligned with (H, W) for images."""
import torch


def q_sample(x0, t, noise, alphas_cumprod):
    alpha_bar = alphas_cumprod[t][:, None]
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise
