"""Correct variant: torch.lerp, which extrapolates for weights outside [0, 1]."""
import torch


def cfg_combine(eps_uncond, eps_cond, guidance_scale):
    return torch.lerp(eps_uncond, eps_cond, float(guidance_scale))
