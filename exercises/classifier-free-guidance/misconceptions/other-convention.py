"""Misconception: the (1 + w) convention of Ho and Salimans (2022), eps_cond + w * (eps_cond - eps_uncond)."""
import torch


def cfg_combine(eps_uncond, eps_cond, guidance_scale):
    return eps_cond + guidance_scale * (eps_cond - eps_uncond)
