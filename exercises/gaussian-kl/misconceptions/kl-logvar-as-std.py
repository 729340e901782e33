"""Misconception: exp(log_var) is taken as the standard deviation."""
import torch


def gaussian_kl(mu, log_var):
    return -0.5 * torch.sum(1 + 2 * log_var - mu.pow(2) - (2 * log_var).exp(), dim=1)
