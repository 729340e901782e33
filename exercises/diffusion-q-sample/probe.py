"""Calls the learner's q_sample inside the sandbox and records x_t, its gradient in x0 and the inputs after the call."""

import torch


def run(module, inputs, params):
    x0 = inputs["x0"].requires_grad_()
    t, noise, alphas_cumprod = inputs["t"], inputs["noise"], inputs["alphas_cumprod"]
    x_t = module.q_sample(x0, t, noise, alphas_cumprod)

    outputs = {"x_t": x_t}
    cotangent = inputs["cotangent"]
    if isinstance(x_t, torch.Tensor) and x_t.requires_grad and x_t.shape == cotangent.shape:
        (gradient,) = torch.autograd.grad((x_t * cotangent).sum(), [x0], allow_unused=True)
        if gradient is not None:
            outputs["grad.x0"] = gradient
    outputs["after.x0"] = x0.detach()
    outputs["after.t"] = t
    outputs["after.noise"] = noise
    outputs["after.alphas_cumprod"] = alphas_cumprod
    return outputs
