"""Calls the learner's gaussian_kl inside the sandbox and records the KL, its gradients and the inputs after the call."""

import torch


def run(module, inputs, params):
    mu = inputs["mu"].requires_grad_()
    log_var = inputs["log_var"].requires_grad_()
    kl = module.gaussian_kl(mu, log_var)

    outputs = {"kl": kl}
    if isinstance(kl, torch.Tensor) and kl.requires_grad:
        cotangent = inputs["cotangent"]
        if kl.shape == cotangent.shape:
            gradients = torch.autograd.grad((kl * cotangent).sum(), [mu, log_var], allow_unused=True)
            for name, gradient in zip(["mu", "log_var"], gradients):
                if gradient is not None:
                    outputs["grad." + name] = gradient
    outputs["after.mu"] = mu.detach()
    outputs["after.log_var"] = log_var.detach()
    return outputs
