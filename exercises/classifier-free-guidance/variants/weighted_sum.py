"""Correct variant: the weighted sum (1 - s) eps_uncond + s eps_cond, built in a fresh tensor."""
import torch


def cfg_combine(eps_uncond, eps_cond, guidance_scale):
    out = eps_cond.mul(guidance_scale)
    out.add_(eps_uncond, alpha=1.0 - guidance_scale)
    return out
