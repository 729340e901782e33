"""Misconception: log_var is used as the variance."""
import math

import torch


def gaussian_nll(x, mu, log_var):
    variance = log_var
    per_sample = 0.5 * torch.sum(math.log(2 * math.pi) + torch.log(variance) + (x - mu) ** 2 / variance, dim=1)
    return per_sample.mean()
