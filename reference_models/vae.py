"""Variational autoencoder: reparameterization, the Gaussian KL, the negative ELBO, and a tiny seeded VAE.

Kingma and Welling, "Auto-Encoding Variational Bayes" (2014). Symbols:

| name      | symbol          | shape  |
| --------- | --------------- | ------ |
| x         | x in [0, 1]     | (B, D) |
| x_hat     | decoder p(x|z)  | (B, D) |
| mu        | mu_phi(x)       | (B, L) |
| log_var   | log sigma^2     | (B, L) |
| z         | latent sample   | (B, L) |
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def reparameterize(mu: torch.Tensor, log_var: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + exp(0.5 * log_var) * eps with eps ~ N(0, I): differentiable in mu and log_var."""
    eps = torch.randn(mu.shape, dtype=mu.dtype, device=mu.device, generator=generator)  # (B, L)
    return mu + torch.exp(0.5 * log_var) * eps  # (B, L)


def gaussian_kl(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(log_var))) || N(0, I)) per sample, summed over latent dimensions.

    KL = -0.5 * sum_l (1 + log_var_l - mu_l^2 - exp(log_var_l)), shape (B,).
    """
    return -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=-1)  # (B,)


def vae_loss(x: torch.Tensor, x_hat: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Negative ELBO: per sample, BCE(x_hat, x) summed over D plus beta * KL; then the mean over the batch."""
    reconstruction = F.binary_cross_entropy(x_hat, x, reduction="none").sum(dim=-1)  # (B,)
    return (reconstruction + beta * gaussian_kl(mu, log_var)).mean()  # ()


class TinyVAE(nn.Module):
    """A small MLP VAE over flattened 8x8 digits; its weights are fixed by a seed, never trained at grading time."""

    def __init__(self, input_dim: int = 64, hidden_dim: int = 32, latent_dim: int = 4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.Tanh())
        self.to_mu = nn.Linear(hidden_dim, latent_dim)
        self.to_log_var = nn.Linear(hidden_dim, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.Tanh(), nn.Linear(hidden_dim, input_dim), nn.Sigmoid()
        )

    @classmethod
    def seeded(cls, seed: int, **sizes: int) -> "TinyVAE":
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            model = cls(**sizes)
        finally:
            torch.random.set_rng_state(generator_state)
        return model.eval()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(x)  # (B, hidden)
        return self.to_mu(hidden), self.to_log_var(hidden)  # (B, L), (B, L)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, D)


@torch.no_grad()
def encode_decode_batch(x: torch.Tensor, latent_dim: int, seed: int) -> dict[str, torch.Tensor]:
    """Pass a batch through a seeded TinyVAE: realistic mu, log_var and x_hat for grading inputs."""
    model = TinyVAE.seeded(seed, input_dim=x.shape[1], latent_dim=latent_dim)
    mu, log_var = model.encode(x)
    generator = torch.Generator().manual_seed(seed)
    z = reparameterize(mu, log_var, generator=generator)
    return {"x": x, "x_hat": model.decode(z), "mu": mu, "log_var": log_var}
