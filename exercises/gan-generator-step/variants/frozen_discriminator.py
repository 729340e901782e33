"""Correct variant: D's parameters frozen during the step, so backpropagation skips them, then unfrozen.

-log sigmoid(l) is written with logsigmoid, which is stable for large |l|.
"""
import torch
import torch.nn.functional as F


def generator_step(D, G, z, opt_G):
    flags = [parameter.requires_grad for parameter in D.parameters()]
    for parameter in D.parameters():
        parameter.requires_grad_(False)
    try:
        loss = -F.logsigmoid(D(G(z))).mean()
        opt_G.zero_grad(set_to_none=False)
        loss.backward()
        opt_G.step()
    finally:
        for parameter, flag in zip(D.parameters(), flags):
            parameter.requires_grad_(flag)
    return float(loss.detach())
