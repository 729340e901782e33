"""Misconception: log_var is taken as the variance."""
import torch


def gaussian_kl(mu, log_var):
    return -0.5 * torch.sum(1 + torch.log(log_var) - mu.pow(2) - log_var, dim=1)
