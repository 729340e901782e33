"""Misconception: the fake batch is detached, as in the discriminator step, so no gradient reaches G."""
import torch
import torch.nn.functional as F


def generator_step(D, G, z, opt_G):
    fake_logits = D(G(z).detach())
    loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    opt_G.zero_grad()
    loss.backward()
    opt_G.step()
    return loss.item()
