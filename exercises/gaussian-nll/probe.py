"""Calls the learner's gaussian_nll inside the sandbox and records the loss, its gradients and the inputs after the call."""

import torch


def run(module, inputs, params):
    x = inputs["x"]
    mu = inputs["mu"].requires_grad_()
    log_var = inputs["log_var"].requires_grad_()
    nll = module.gaussian_nll(x, mu, log_var)

    outputs = {"nll": nll}
    if isinstance(nll, torch.Tensor) and nll.requires_grad and nll.numel() == 1:
        gradients = torch.autograd.grad(nll.sum(), [mu, log_var], allow_unused=True)
        for name, gradient in zip(["mu", "log_var"], gradients):
            if gradient is not None:
                outputs["grad." + name] = gradient
    outputs["after.x"] = x
    outputs["after.mu"] = mu.detach()
    outputs["after.log_var"] = log_var.detach()
    return outputs
