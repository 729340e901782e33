"""Misconception: the squared norm, without the square root."""
import torch


def gradient_penalty(critic, real, fake, alpha):
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    squared_norms = grad.flatten(start_dim=1).pow(2).sum(dim=1)
    return ((squared_norms - 1) ** 2).mean()
