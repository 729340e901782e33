"""Wasserstein GAN with gradient penalty: the penalty term, and tiny seeded critics.

Gulrajani et al., "Improved Training of Wasserstein GANs" (NeurIPS 2017). The penalty pushes
the critic towards a gradient norm of 1 with respect to its input, measured at random points on
straight lines between real and generated samples.

| name   | symbol                                   | shape                  |
| ------ | ---------------------------------------- | ---------------------- |
| real   | x ~ P_r                                  | (B, D) or (B, C, H, W) |
| fake   | x_tilde ~ P_g                            | shape of real          |
| alpha  | epsilon ~ U[0, 1], one per sample        | (B, 1) or (B, 1, 1, 1) |
| x_hat  | epsilon x + (1 - epsilon) x_tilde        | shape of real          |
| grad   | nabla_x_hat critic(x_hat)                | shape of real          |
| norms  | the L2 norm of each sample's gradient    | (B,)                   |

The coefficient lambda (10 in the paper) multiplies the penalty outside this function.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _check_arguments(real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor) -> None:
    if fake.shape != real.shape:
        raise ValueError(f"fake has shape {tuple(fake.shape)}; expected the shape of real, {tuple(real.shape)}")
    expected_alpha = (real.shape[0],) + (1,) * (real.dim() - 1)
    if tuple(alpha.shape) != expected_alpha:
        raise ValueError(f"alpha has shape {tuple(alpha.shape)}; expected {expected_alpha}, one value per sample")


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Compute the scalar mean_i (||grad_i||_2 - 1)^2 at x_hat = alpha * real + (1 - alpha) * fake.

    The input gradient is taken with create_graph=True, so the penalty stays differentiable in the
    critic's parameters. torch.autograd.grad writes no parameter's .grad.
    """
    _check_arguments(real, fake, alpha)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)  # (B, ...)
    scores = critic(x_hat)  # (B, 1)
    # Summing the scores gives each sample's own input gradient, because sample i's score depends only on x_hat[i].
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (B, ...)
    norms = grad.flatten(start_dim=1).norm(dim=1)  # (B,)
    return ((norms - 1) ** 2).mean()  # ()


def _initialize(layer: nn.Linear | nn.Conv2d, fan_in: int, generator: torch.Generator) -> None:
    bound = 1.0 / math.sqrt(fan_in)
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)


def build_mlp_critic(data_dim: int, hidden_dim: int, generator: torch.Generator) -> nn.Sequential:
    """Linear(D, hidden), Tanh, Linear(hidden, 1): scores (B, 1). The probe rebuilds this layout.

    Tanh rather than a piecewise-linear activation, so the input gradient changes smoothly with x_hat.
    """
    model = nn.Sequential(nn.Linear(data_dim, hidden_dim), nn.Tanh(), nn.Linear(hidden_dim, 1))
    _initialize(model[0], data_dim, generator)
    _initialize(model[2], hidden_dim, generator)
    return model


def build_conv_critic(channels: int, height: int, width: int, conv_channels: int,
                      generator: torch.Generator) -> nn.Sequential:
    """Conv2d(C, K, 3, padding=1), Tanh, Flatten, Linear(K * H * W, 1): scores (B, 1).

    The probe rebuilds this layout.
    """
    model = nn.Sequential(
        nn.Conv2d(channels, conv_channels, kernel_size=3, padding=1),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(conv_channels * height * width, 1),
    )
    _initialize(model[0], channels * 9, generator)
    _initialize(model[3], conv_channels * height * width, generator)
    return model
