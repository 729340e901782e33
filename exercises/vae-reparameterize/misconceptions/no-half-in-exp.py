"""Misconception: the variance scales the noise."""
import torch


def reparameterize(mu, log_var):
    return mu + torch.exp(log_var) * torch.randn_like(mu)
