"""Misconception: the fake batch is not detached, so backpropagation reaches G."""
import torch
import torch.nn.functional as F


def discriminator_step(D, G, real, z, opt_D):
    fake = G(z)
    real_logits = D(real)
    fake_logits = D(fake)
    loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()
    return loss.item()
