"""Misconception: the roles of the two predictions are swapped."""
import torch


def cfg_combine(eps_uncond, eps_cond, guidance_scale):
    return eps_cond + guidance_scale * (eps_uncond - eps_cond)
