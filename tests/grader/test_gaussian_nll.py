"""The gaussian-nll reference against hand-computed values, torch.distributions and closed-form gradients."""

import math

import torch

from reference_models.likelihood import gaussian_nll


def test_gaussian_nll_worked_example():
    x = torch.tensor([[1.0, 0.0], [2.0, 1.0]], dtype=torch.float64)
    mu = torch.tensor([[0.0, 0.0], [1.0, -1.0]], dtype=torch.float64)
    log_var = torch.tensor([[0.0, math.log(4)], [0.0, math.log(4)]], dtype=torch.float64)
    log_2pi = math.log(2 * math.pi)
    first = 0.5 * ((log_2pi + 1) + (log_2pi + math.log(4)))
    second = 0.5 * ((log_2pi + 1) + (log_2pi + math.log(4) + 1))

    loss = gaussian_nll(x, mu, log_var)

    torch.testing.assert_close(loss, torch.tensor((first + second) / 2, dtype=torch.float64), rtol=1e-12, atol=0)
    # The value the statement shows, to its four decimals.
    torch.testing.assert_close(loss, torch.tensor(3.2810, dtype=torch.float64), rtol=0, atol=5e-5)


def test_gaussian_nll_equals_normal_log_prob():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(6, 5, generator=generator, dtype=torch.float64)
    mu = torch.randn(6, 5, generator=generator, dtype=torch.float64)
    log_var = torch.rand(6, 5, generator=generator, dtype=torch.float64) * 6 - 3

    expected = -torch.distributions.Normal(mu, torch.exp(0.5 * log_var)).log_prob(x).sum(dim=1).mean()

    torch.testing.assert_close(gaussian_nll(x, mu, log_var), expected, rtol=1e-12, atol=1e-12)


def test_gaussian_nll_gradients_match_closed_form():
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(4, 3, generator=generator, dtype=torch.float64)
    mu = torch.randn(4, 3, generator=generator, dtype=torch.float64, requires_grad=True)
    log_var = torch.randn(4, 3, generator=generator, dtype=torch.float64, requires_grad=True)
    batch = x.shape[0]

    grad_mu, grad_log_var = torch.autograd.grad(gaussian_nll(x, mu, log_var), [mu, log_var])

    precision = torch.exp(-log_var.detach())
    torch.testing.assert_close(grad_mu, (mu.detach() - x) * precision / batch, rtol=1e-12, atol=1e-12)
    expected_log_var = 0.5 * (1 - (x - mu.detach()) ** 2 * precision) / batch
    torch.testing.assert_close(grad_log_var, expected_log_var, rtol=1e-12, atol=1e-12)
