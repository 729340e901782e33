"""Calls the learner's vae_loss on one case and returns the loss and its gradients."""

import torch


def run(module, inputs, params):
    x_hat = inputs["x_hat"].requires_grad_()
    mu = inputs["mu"].requires_grad_()
    log_var = inputs["log_var"].requires_grad_()

    loss = module.vae_loss(inputs["x"], x_hat, mu, log_var, beta=params["beta"])

    outputs = {"loss": loss}
    if isinstance(loss, torch.Tensor) and loss.requires_grad and loss.numel() == 1:
        gradients = torch.autograd.grad(loss.sum(), [x_hat, mu, log_var], allow_unused=True)
        for name, gradient in zip(["x_hat", "mu", "log_var"], gradients):
            if gradient is not None:
                outputs["grad." + name] = gradient
    return outputs
