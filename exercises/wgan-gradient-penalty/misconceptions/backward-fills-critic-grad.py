"""Misconception: backward() finds the input gradient, which also writes .grad on every critic parameter."""
import torch


def gradient_penalty(critic, real, fake, alpha):
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    critic(x_hat).sum().backward(create_graph=True)
    norms = x_hat.grad.flatten(start_dim=1).norm(dim=1)
    return ((norms - 1) ** 2).mean()
