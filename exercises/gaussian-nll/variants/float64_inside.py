"""Correct variant: computed in float64 and cast back, with the terms grouped differently."""
import math

import torch


def gaussian_nll(x, mu, log_var):
    x64, mu64, log_var64 = x.double(), mu.double(), log_var.double()
    batch, features = x.shape
    constant = 0.5 * features * math.log(2 * math.pi)
    weighted = ((x64 - mu64) / torch.exp(0.5 * log_var64)).square()
    total = constant * batch + 0.5 * (log_var64.sum() + weighted.sum())
    return (total / batch).to(x.dtype)
