"""Correct variant: BCE(l, 1) = softplus(-l), and G's gradients zeroed through the module."""
import torch.nn.functional as F


def generator_step(D, G, z, opt_G):
    G.zero_grad()
    loss = F.softplus(-D(G(z))).sum() / z.shape[0]
    loss.backward()
    opt_G.step()
    return loss.item()
