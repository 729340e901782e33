"""Correct variant: both terms written out by hand, rearranged algebraically."""
import torch


def vae_loss(x, x_hat, mu, log_var, beta=1.0):
    log_likelihood = x * torch.log(x_hat) + (1 - x) * torch.log1p(-x_hat)
    variance = torch.exp(log_var)
    kl = 0.5 * (variance + mu * mu - 1.0 - log_var).sum(-1)
    total = -log_likelihood.sum(-1) + beta * kl
    return total.sum() / x.shape[0]
