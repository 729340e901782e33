"""Negative log-likelihood of data under a Gaussian with a diagonal covariance.

The density of N(mu, diag(sigma^2)) in D dimensions gives, for one sample,

    -log p(x) = 0.5 * sum_d (log(2 pi) + log sigma_d^2 + (x_d - mu_d)^2 / sigma_d^2)

and the loss is the mean of that over the batch. Symbols:

| name    | symbol      | shape  |
| ------- | ----------- | ------ |
| x       | x           | (B, D) |
| mu      | mu          | (B, D) |
| log_var | log sigma^2 | (B, D) |
"""

from __future__ import annotations

import math

import torch

LOG_2PI = math.log(2 * math.pi)


def gaussian_nll(x: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Return the batch mean of -log N(x; mu, diag(exp(log_var))), a scalar differentiable in mu and log_var.

    Multiplying by exp(-log_var) rather than dividing by exp(log_var) keeps the
    squared error finite when the variance underflows.
    """
    squared_error = (x - mu).pow(2) * torch.exp(-log_var)  # (B, D)
    per_sample = 0.5 * torch.sum(LOG_2PI + log_var + squared_error, dim=-1)  # (B,)
    return per_sample.mean()  # ()
