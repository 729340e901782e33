"""Classifier-free guidance: one noise prediction from a conditional and an unconditional one.

Ho and Salimans, "Classifier-Free Diffusion Guidance" (2022). This file uses the convention of
most libraries: guidance_scale = 1 is the conditional prediction alone and 0 the unconditional
one. The paper writes (1 + w) eps_cond - w eps_uncond, so its w is guidance_scale - 1.

| name            | symbol                      | shape    |
| --------------- | --------------------------- | -------- |
| eps_uncond      | epsilon_theta(x_t)          | (B, ...) |
| eps_cond        | epsilon_theta(x_t, c)       | (B, ...) |
| guidance_scale  | s                           | ()       |
"""

from __future__ import annotations

import torch


def cfg_combine(eps_uncond: torch.Tensor, eps_cond: torch.Tensor, guidance_scale: float) -> torch.Tensor:
    """Combine the predictions as eps_uncond + guidance_scale * (eps_cond - eps_uncond), shape and dtype of the inputs."""
    return eps_uncond + guidance_scale * (eps_cond - eps_uncond)  # (B, ...)
