"""Correct variant: torch's gaussian_nll_loss with the constant kept and a sum, divided by the batch size."""
import torch
import torch.nn.functional as F


def gaussian_nll(x, mu, log_var):
    total = F.gaussian_nll_loss(mu, x, log_var.exp(), full=True, reduction="sum")
    return total / x.shape[0]
