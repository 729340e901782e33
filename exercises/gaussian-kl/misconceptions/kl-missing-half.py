"""Misconception: the factor 0.5 is missing."""
import torch


def gaussian_kl(mu, log_var):
    return -torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)
