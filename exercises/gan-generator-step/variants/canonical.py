"""Correct variant: BCE-with-logits against ones."""
import torch
import torch.nn.functional as F


def generator_step(D, G, z, opt_G):
    fake_logits = D(G(z))
    loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    opt_G.zero_grad()
    loss.backward()
    opt_G.step()
    return loss.item()
