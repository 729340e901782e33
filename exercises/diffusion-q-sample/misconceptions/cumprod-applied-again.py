"""Misconception: alphas_cumprod is taken for the per-step alphas and multiplied up again."""
import torch


def q_sample(x0, t, noise, alphas_cumprod):
    alpha_bar = torch.cumprod(alphas_cumprod, dim=0)[t].view(-1, *([1] * (x0.dim() - 1)))
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise
