"""Generative adversarial network: one discriminator update, one generator update, and tiny seeded MLPs.

Goodfellow et al., "Generative Adversarial Nets" (NeurIPS 2014). The discriminator outputs logits,
and both losses are binary cross-entropies computed from the logits. The generator uses the
non-saturating loss that the paper proposes: it maximizes log D(G(z)) instead of minimizing
log(1 - D(G(z))), whose gradient vanishes while the discriminator rejects the fakes with confidence.

| name        | symbol                      | shape  |
| ----------- | --------------------------- | ------ |
| real        | x ~ p_data                  | (B, D) |
| z           | z ~ p(z)                    | (B, L) |
| fake        | G(z)                        | (B, D) |
| real_logits | logit of D(x)               | (B, 1) |
| fake_logits | logit of D(G(z))            | (B, 1) |
| D, G        | discriminator and generator | -      |

With sigma the logistic sigmoid, BCE-with-logits of a logit l against a label y is
-(y log sigma(l) + (1 - y) log(1 - sigma(l))).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def discriminator_step(D: nn.Module, G: nn.Module, real: torch.Tensor, z: torch.Tensor,
                       opt_D: torch.optim.Optimizer) -> float:
    """Update D once on a real and a generated batch; return the loss as a Python float.

    loss = mean_i BCE(D(x_i), 1) + mean_i BCE(D(G(z_i)), 0). The fake batch is detached, so G
    receives no gradient, and only opt_D steps.
    """
    fake = G(z).detach()  # (B, D)
    real_logits = D(real)  # (B, 1)
    fake_logits = D(fake)  # (B, 1)
    real_loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    loss = real_loss + fake_loss

    opt_D.zero_grad()
    loss.backward()
    opt_D.step()
    return loss.item()


def generator_step(D: nn.Module, G: nn.Module, z: torch.Tensor, opt_G: torch.optim.Optimizer) -> float:
    """Update G once with the non-saturating loss mean_i BCE(D(G(z_i)), 1); return it as a Python float.

    Backpropagation fills D's .grad as well, but only opt_G steps, so D's parameters do not change.
    """
    fake_logits = D(G(z))  # (B, 1)
    loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))

    opt_G.zero_grad()
    loss.backward()
    opt_G.step()
    return loss.item()


def _initialize_linear(layer: nn.Linear, generator: torch.Generator) -> None:
    """Fill a layer with the same uniform bounds as nn.Linear's default, drawn from ``generator``."""
    bound = 1.0 / math.sqrt(layer.in_features)
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)


def build_discriminator(data_dim: int, hidden_dim: int, generator: torch.Generator) -> nn.Sequential:
    """Linear(D, hidden), LeakyReLU(0.2), Linear(hidden, 1): logits (B, 1). The GAN probes rebuild this layout."""
    model = nn.Sequential(nn.Linear(data_dim, hidden_dim), nn.LeakyReLU(0.2), nn.Linear(hidden_dim, 1))
    _initialize_linear(model[0], generator)
    _initialize_linear(model[2], generator)
    return model


def build_generator(latent_dim: int, hidden_dim: int, data_dim: int, generator: torch.Generator) -> nn.Sequential:
    """Linear(L, hidden), ReLU, Linear(hidden, D), Tanh: samples (B, D) in (-1, 1).

    The GAN probes rebuild this layout.
    """
    model = nn.Sequential(nn.Linear(latent_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, data_dim), nn.Tanh())
    _initialize_linear(model[0], generator)
    _initialize_linear(model[2], generator)
    return model
