"""Misconception: alpha weights the fake sample instead of the real one."""
import torch


def gradient_penalty(critic, real, fake, alpha):
    x_hat = (alpha * fake + (1 - alpha) * real).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = grad.flatten(start_dim=1).norm(dim=1)
    return ((norms - 1) ** 2).mean()
