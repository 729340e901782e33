"""Misconception: log_var scales the noise."""
import torch


def reparameterize(mu, log_var):
    return mu + log_var * torch.randn_like(mu)
