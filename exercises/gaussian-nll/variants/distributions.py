"""Correct variant: torch.distributions.Normal with the standard deviation exp(0.5 * log_var)."""
import torch
from torch.distributions import Normal


def gaussian_nll(x, mu, log_var):
    log_likelihood = Normal(mu, torch.exp(0.5 * log_var)).log_prob(x)
    return -log_likelihood.sum(dim=-1).mean()
