"""Correct variant: torch.autograd.grad with create_graph=True, the gradient flattened per sample."""
import torch


def gradient_penalty(critic, real, fake, alpha):
    x_hat = alpha * real + (1 - alpha) * fake
    x_hat.requires_grad_(True)
    scores = critic(x_hat)
    grad = torch.autograd.grad(outputs=scores, inputs=x_hat, grad_outputs=torch.ones_like(scores),
                               create_graph=True)[0]
    norms = grad.view(grad.shape[0], -1).norm(2, dim=1)
    return ((norms - 1) ** 2).mean()
