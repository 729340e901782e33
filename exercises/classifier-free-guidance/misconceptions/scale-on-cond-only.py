"""Misconception: the scale multiplies eps_cond alone."""
import torch


def cfg_combine(eps_uncond, eps_cond, guidance_scale):
    return eps_uncond + (guidance_scale * eps_cond - eps_uncond)
