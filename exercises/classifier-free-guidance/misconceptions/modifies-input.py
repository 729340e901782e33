"""Misconception: the result is accumulated in eps_uncond itself."""
import torch


def cfg_combine(eps_uncond, eps_cond, guidance_scale):
    eps_uncond += guidance_scale * (eps_cond - eps_uncond)
    return eps_uncond
