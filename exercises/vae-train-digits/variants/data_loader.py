"""Correct variant: a DataLoader over a TensorDataset, a forward() that returns everything, two hidden layers, batches of 128."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class DeepVAE(nn.Module):
    def __init__(self, latent_dim):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, 128), nn.LeakyReLU(0.1), nn.Linear(128, 64), nn.LeakyReLU(0.1))
        self.heads = nn.Linear(64, 2 * latent_dim)
        self.latent_dim = latent_dim
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 64), nn.LeakyReLU(0.1), nn.Linear(64, 128), nn.LeakyReLU(0.1), nn.Linear(128, 64)
        )

    def encode(self, x):
        out = self.heads(self.body(x))
        return out[:, : self.latent_dim], out[:, self.latent_dim :]

    def decode(self, z):
        return self.decoder(z).sigmoid()

    def forward(self, x):
        mu, log_var = self.encode(x)
        std = (0.5 * log_var).exp()
        z = torch.addcmul(mu, std, torch.randn_like(std))
        return self.decode(z), mu, log_var


def build_vae(latent_dim):
    return DeepVAE(latent_dim)


def train_vae(model, x_train, epochs):
    loader = DataLoader(TensorDataset(x_train), batch_size=128, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(epochs):
        epoch_sum = 0.0
        for (x,) in loader:
            x_hat, mu, log_var = model(x)
            bce = F.binary_cross_entropy(x_hat, x, reduction="sum")
            kl = 0.5 * (log_var.exp() + mu * mu - 1.0 - log_var).sum()
            loss_sum = bce + kl
            optimizer.zero_grad()
            (loss_sum / x.shape[0]).backward()
            optimizer.step()
            epoch_sum += loss_sum.item()
        losses.append(epoch_sum / len(loader.dataset))
    return losses
