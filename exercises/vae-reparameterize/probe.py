"""Calls the learner's reparameterize inside the sandbox: the sample, its gradients, a second draw, and two reseeded draws."""

import torch


def run(module, inputs, params):
    mu = inputs["mu"].requires_grad_()
    log_var = inputs["log_var"].requires_grad_()
    z = module.reparameterize(mu, log_var)

    outputs = {"z": z}
    cotangent = inputs["cotangent"]
    if isinstance(z, torch.Tensor) and z.requires_grad and z.shape == cotangent.shape:
        gradients = torch.autograd.grad((z * cotangent).sum(), [mu, log_var], allow_unused=True)
        for name, gradient in zip(["mu", "log_var"], gradients):
            if gradient is not None:
                outputs["grad." + name] = gradient

    with torch.no_grad():
        outputs["z_again"] = module.reparameterize(mu.detach(), log_var.detach())
        torch.manual_seed(params["reseed"])
        outputs["z_seeded_a"] = module.reparameterize(mu.detach(), log_var.detach())
        torch.manual_seed(params["reseed"])
        outputs["z_seeded_b"] = module.reparameterize(mu.detach(), log_var.detach())
    outputs["after.mu"] = mu.detach()
    outputs["after.log_var"] = log_var.detach()
    return outputs
