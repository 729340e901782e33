"""Misconception: the penalty is summed over the batch instead of averaged."""
import torch


def gradient_penalty(critic, real, fake, alpha):
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = grad.flatten(start_dim=1).norm(dim=1)
    return ((norms - 1) ** 2).sum()
