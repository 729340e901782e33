"""Misconception: log_var is used as the log of the standard deviation."""
import math

import torch


def gaussian_nll(x, mu, log_var):
    std = torch.exp(log_var)
    per_sample = 0.5 * torch.sum(math.log(2 * math.pi) + 2 * torch.log(std) + ((x - mu) / std) ** 2, dim=1)
    return per_sample.mean()
