"""Misconception: the input gradient is taken without create_graph=True, so the penalty is detached from the critic."""
import torch


def gradient_penalty(critic, real, fake, alpha):
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    norms = grad.flatten(start_dim=1).norm(dim=1)
    return ((norms - 1) ** 2).mean()
