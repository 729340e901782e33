import torch
import torch.nn.functional as F
from torch import nn


def build_vae(latent_dim):
    """Return an nn.Module with encode(x) -> (mu, log_var) and decode(z) -> x_hat, for flattened 8x8 digits (64 features)."""
    raise NotImplementedError("build the VAE")


def train_vae(model, x_train, epochs):
    """Train model on x_train (N, 64) for the given number of epochs; return the mean loss of each epoch."""
    raise NotImplementedError("write the training loop")
