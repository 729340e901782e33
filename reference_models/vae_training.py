"""Training a small VAE on scikit-learn's 8x8 digits: the reference of the vae-train-digits project.

Kingma and Welling, "Auto-Encoding Variational Bayes" (2014). The encoder
gives q(z|x) = N(mu, diag(exp(log_var))), the decoder gives Bernoulli
probabilities x_hat for the 64 pixels, and training minimizes the negative
ELBO of ``reference_models.vae.vae_loss`` (binary cross-entropy summed over
pixels plus the KL to N(0, I), averaged over the batch) with Adam over
shuffled minibatches. Symbols:

| name      | symbol                 | shape  |
| --------- | ---------------------- | ------ |
| x_train   | training digits        | (N, D) |
| x         | a minibatch of digits  | (B, D) |
| mu        | mu_phi(x)              | (B, L) |
| log_var   | log sigma_phi(x)^2     | (B, L) |
| z         | mu + sigma * eps       | (B, L) |
| x_hat     | p_theta(x | z)         | (B, D) |

D = 64 pixels scaled to [0, 1]; L is the latent dimension.
"""

from __future__ import annotations

import torch
from torch import nn

from reference_models.data import digits
from reference_models.vae import gaussian_kl, reparameterize, vae_loss

DIGIT_FEATURES = 64
HIDDEN_DIM = 128
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
HELD_OUT_DIGITS = 297  # 1797 digits: 1500 to train on, 297 held out
SPLIT_SEED = 0


def digits_split(held_out: int = HELD_OUT_DIGITS, seed: int = SPLIT_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Split the 1797 digits by a seeded permutation: (x_train (N, 64), x_held_out (held_out, 64)), float32 in [0, 1]."""
    images, _ = digits()
    if not 0 < held_out < images.shape[0]:
        raise ValueError(f"held_out must be between 1 and {images.shape[0] - 1}, got {held_out}")
    order = torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(seed))
    return images[order[held_out:]].clone(), images[order[:held_out]].clone()


class DigitsVAE(nn.Module):
    """An MLP VAE: 64 -> 128 -> (mu, log_var) in L dimensions, and L -> 128 -> 64 probabilities."""

    def __init__(self, latent_dim: int, hidden_dim: int = HIDDEN_DIM, input_dim: int = DIGIT_FEATURES):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.ReLU())
        self.to_mu = nn.Linear(hidden_dim, latent_dim)
        self.to_log_var = nn.Linear(hidden_dim, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, input_dim), nn.Sigmoid()
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(x)  # (B, hidden)
        return self.to_mu(hidden), self.to_log_var(hidden)  # (B, L), (B, L)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, D)


def build_vae(latent_dim: int) -> DigitsVAE:
    """Build a fresh DigitsVAE whose initial weights come from torch's default generator."""
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive int, got {latent_dim!r}")
    return DigitsVAE(latent_dim)


def train_vae(
    model: nn.Module, x_train: torch.Tensor, epochs: int, generator: torch.Generator | None = None
) -> list[float]:
    """Train ``model`` in place with Adam on minibatches of ``BATCH_SIZE``; return the mean loss of each epoch.

    The epoch's loss is the mean over its digits of the per-digit negative
    ELBO, as the minibatches saw it during the epoch. The shuffling and the
    reparameterization noise come from ``generator``, or from torch's default
    generator when it is None (the catalogue's signature has no generator).
    """
    if x_train.dim() != 2 or x_train.shape[1] != DIGIT_FEATURES:
        raise ValueError(f"x_train must have shape (N, {DIGIT_FEATURES}), got {tuple(x_train.shape)}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    count = x_train.shape[0]
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(count, generator=generator)
        total = 0.0
        for start in range(0, count, BATCH_SIZE):
            x = x_train[order[start : start + BATCH_SIZE]]  # (B, D)
            mu, log_var = model.encode(x)  # (B, L), (B, L)
            z = reparameterize(mu, log_var, generator=generator)  # (B, L)
            loss = vae_loss(x, model.decode(z), mu, log_var)  # ()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * x.shape[0]
        losses.append(total / count)
    return losses


def negative_elbo_terms(
    x: torch.Tensor, x_hat: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor
) -> dict[str, float]:
    """Compute the held-out score and its parts in float64, in nats per digit.

    ``negative_elbo`` is ``vae_loss(x, x_hat, mu, log_var)`` with beta = 1;
    ``reconstruction`` and ``kl`` are its two terms averaged over the batch,
    and ``posterior_variance`` is the mean of exp(log_var).
    """
    x, x_hat, mu, log_var = x.double(), x_hat.double(), mu.double(), log_var.double()
    kl = gaussian_kl(mu, log_var).mean()  # ()
    total = vae_loss(x, x_hat, mu, log_var)  # ()
    return {
        "negative_elbo": total.item(),
        "reconstruction": (total - kl).item(),
        "kl": kl.item(),
        "posterior_variance": log_var.exp().mean().item(),
    }
