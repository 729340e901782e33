"""Misconception: the sample is detached."""
import torch


def reparameterize(mu, log_var):
    with torch.no_grad():
        return mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
