"""Misconception: the sign is flipped."""
import torch


def gaussian_kl(mu, log_var):
    return 0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)
