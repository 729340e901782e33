"""Correct variant: x_hat from torch.lerp, and the norm as the root of a sum of squares over non-batch dimensions."""
import torch


def gradient_penalty(critic, real, fake, alpha):
    x_hat = torch.lerp(fake, real, alpha).detach().requires_grad_()
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), [x_hat], create_graph=True)
    dims = tuple(range(1, grad.dim()))
    norms = grad.pow(2).sum(dim=dims).sqrt()
    return (norms - 1).square().sum() / real.shape[0]
