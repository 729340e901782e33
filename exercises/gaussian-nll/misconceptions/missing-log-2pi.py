"""Misconception: the constant log(2*pi) is left out."""
import torch


def gaussian_nll(x, mu, log_var):
    per_sample = 0.5 * torch.sum(log_var + (x - mu) ** 2 * torch.exp(-log_var), dim=1)
    return per_sample.mean()
