"""Misconception: a private generator."""
import torch


def reparameterize(mu, log_var):
    generator = torch.Generator().manual_seed(torch.seed() % 2**31)
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + torch.exp(0.5 * log_var) * eps
