import torch
import torch.nn.functional as F

def vae_loss(x, x_hat, mu, log_var, beta=1.0):
    bce = F.binary_cross_entropy(x_hat, x, reduction="none").sum(dim=1)
    kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)
    return (bce + beta * kl).mean()
