"""Calls the learner's vae_loss inside the sandbox and records the loss, its gradients and the inputs after the call."""

import torch


def run(module, inputs, params):
    x = inputs["x"]
    x_hat = inputs["x_hat"].requires_grad_()
    mu = inputs["mu"].requires_grad_()
    log_var = inputs["log_var"].requires_grad_()

    if params.get("beta") is None:
        loss = module.vae_loss(x, x_hat, mu, log_var)
    else:
        loss = module.vae_loss(x, x_hat, mu, log_var, beta=params["beta"])

    outputs = {"loss": loss, "after.x": x}
    if isinstance(loss, torch.Tensor) and loss.requires_grad and loss.numel() == 1:
        gradients = torch.autograd.grad(loss.sum(), [x_hat, mu, log_var], allow_unused=True)
        for name, gradient in zip(["x_hat", "mu", "log_var"], gradients):
            if gradient is not None:
                outputs["grad." + name] = gradient
    for name, tensor in (("x_hat", x_hat), ("mu", mu), ("log_var", log_var)):
        outputs["after." + name] = tensor.detach()
    return outputs
