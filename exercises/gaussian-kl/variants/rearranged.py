"""Correct variant: the KL written as 0.5 * (sigma^2 + mu^2 - 1 - log sigma^2), summed with einsum."""
import torch


def gaussian_kl(mu, log_var):
    terms = 0.5 * (log_var.exp() + mu * mu - 1.0 - log_var)
    return torch.einsum("bl->b", terms)
