"""Correct variant: in-place operations on the function's own temporaries only."""
import torch
import torch.nn.functional as F


def vae_loss(x, x_hat, mu, log_var, beta=1.0):
    kl = log_var.exp()
    kl = kl + mu.pow(2)
    kl.sub_(1.0).sub_(log_var)
    kl = kl.sum(dim=1).mul_(0.5 * beta)
    bce = F.binary_cross_entropy(x_hat, x, reduction="sum")
    return (bce + kl.sum()) / x.size(0)
