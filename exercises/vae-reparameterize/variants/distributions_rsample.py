"""Correct variant: torch.distributions' rsample."""
import torch
from torch.distributions import Normal


def reparameterize(mu, log_var):
    return Normal(mu, (0.5 * log_var).exp()).rsample()
