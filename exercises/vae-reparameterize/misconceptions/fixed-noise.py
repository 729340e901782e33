"""Misconception: the generator is reseeded inside."""
import torch


def reparameterize(mu, log_var):
    torch.manual_seed(0)
    return mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
