"""Misconception: the KL is averaged over latent dimensions."""
import torch


def gaussian_kl(mu, log_var):
    return -0.5 * torch.mean(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)
