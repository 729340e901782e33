"""Correct variant: flatten the non-batch dimensions, scale rows with einsum, restore the shape."""
import torch


def q_sample(x0, t, noise, alphas_cumprod):
    alpha_bar = alphas_cumprod.index_select(0, t).to(x0.dtype)
    flat_x0 = x0.reshape(x0.shape[0], -1)
    flat_noise = noise.reshape(noise.shape[0], -1)
    mixed = torch.einsum("b,bn->bn", alpha_bar.sqrt(), flat_x0) + torch.einsum("b,bn->bn", (1 - alpha_bar).sqrt(), flat_noise)
    return mixed.reshape(x0.shape)
