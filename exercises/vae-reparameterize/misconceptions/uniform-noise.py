"""Misconception: uniform noise."""
import torch


def reparameterize(mu, log_var):
    return mu + torch.exp(0.5 * log_var) * torch.rand_like(mu)
