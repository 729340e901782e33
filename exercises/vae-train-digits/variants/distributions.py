"""Correct variant: torch.distributions for the posterior, the prior and the Bernoulli likelihood; tanh layers, batches of 100."""
import torch
from torch import nn
from torch.distributions import Bernoulli, Normal, kl_divergence


class TanhVAE(nn.Module):
    def __init__(self, latent_dim):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, 200), nn.Tanh(), nn.Linear(200, 2 * latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 200), nn.Tanh(), nn.Linear(200, 64))

    def encode(self, x):
        mu, log_var = self.encoder(x).chunk(2, dim=-1)
        return mu, log_var

    def decode(self, z):
        return torch.sigmoid(self.decoder(z))

    def negative_elbo(self, x):
        mu, log_var = self.encode(x)
        posterior = Normal(mu, torch.exp(0.5 * log_var))
        z = posterior.rsample()
        # The decoder's logits give the same Bernoulli as decode's probabilities, computed stably.
        likelihood = Bernoulli(logits=self.decoder(z), validate_args=False)
        prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
        per_digit = -likelihood.log_prob(x).sum(-1) + kl_divergence(posterior, prior).sum(-1)
        return per_digit


def build_vae(latent_dim):
    return TanhVAE(latent_dim)


def train_vae(model, x_train, epochs):
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    history = []
    for epoch in range(epochs):
        per_digit = []
        for batch in torch.randperm(x_train.shape[0]).split(100):
            loss = model.negative_elbo(x_train[batch])
            optimizer.zero_grad()
            loss.mean().backward()
            optimizer.step()
            per_digit.append(loss.detach())
        history.append(torch.cat(per_digit).mean().item())
    return history
