"""Misconception: the norm over dimension 1 only, which for images is the channels at each pixel."""
import torch


def gradient_penalty(critic, real, fake, alpha):
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = grad.norm(2, dim=1)
    return ((norms - 1) ** 2).mean()
