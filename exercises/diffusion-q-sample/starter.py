import torch


def q_sample(x0, t, noise, alphas_cumprod):
    """Return x_t = sqrt(alphas_cumprod[t]) * x0 + sqrt(1 - alphas_cumprod[t]) * noise, with t a long tensor (B,)."""
    raise NotImplementedError("write the forward sample")
