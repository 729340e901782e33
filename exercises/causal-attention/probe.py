"""Calls the learner's causal_attention inside the sandbox and records the output, the gradients of q, k, v for a random cotangent, and the inputs after the call."""

import torch

NAMES = ("q", "k", "v")


def run(module, inputs, params):
    tensors = [inputs[name].requires_grad_() for name in NAMES]
    out = module.causal_attention(*tensors)

    outputs = {"out": out}
    cotangent = inputs["cotangent"]
    if isinstance(out, torch.Tensor) and out.requires_grad and out.shape == cotangent.shape:
        gradients = torch.autograd.grad((out * cotangent).sum(), tensors, allow_unused=True)
        for name, gradient in zip(NAMES, gradients):
            if gradient is not None:
                outputs["grad." + name] = gradient
    for name, tensor in zip(NAMES, tensors):
        outputs["after." + name] = tensor.detach()
    return outputs
