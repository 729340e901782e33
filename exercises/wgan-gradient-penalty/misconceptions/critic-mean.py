"""Misconception: the gradient of the mean score, which is each sample's gradient divided by B."""
import torch


def gradient_penalty(critic, real, fake, alpha):
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).mean(), x_hat, create_graph=True)
    norms = grad.flatten(start_dim=1).norm(dim=1)
    return ((norms - 1) ** 2).mean()
