"""Misconception: the KL term is left out, so the model is a plain autoencoder with noise."""
import torch
import torch.nn.functional as F
from torch import nn


class VAE(nn.Module):
    def __init__(self, latent_dim, hidden_dim=256):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(64, hidden_dim), nn.ReLU())
        self.mu = nn.Linear(hidden_dim, latent_dim)
        self.log_var = nn.Linear(hidden_dim, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 64), nn.Sigmoid()
        )

    def encode(self, x):
        h = self.hidden(x)
        return self.mu(h), self.log_var(h)

    def decode(self, z):
        return self.decoder(z)


def build_vae(latent_dim):
    return VAE(latent_dim)


def train_vae(model, x_train, epochs):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(x_train))
        total = 0.0
        for start in range(0, len(x_train), 64):
            x = x_train[order[start:start + 64]]
            mu, log_var = model.encode(x)
            z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
            x_hat = model.decode(z)
            reconstruction = F.binary_cross_entropy(x_hat, x, reduction="none").sum(dim=1)
            loss = reconstruction.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
        losses.append(total / len(x_train))
    return losses
