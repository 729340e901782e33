import torch


def gradient_penalty(critic, real, fake, alpha):
    """Mean over the batch of (||grad of critic at x_hat|| - 1)^2, x_hat = alpha * real + (1 - alpha) * fake."""
    raise NotImplementedError("write the gradient penalty")
