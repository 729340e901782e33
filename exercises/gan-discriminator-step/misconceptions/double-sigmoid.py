"""Misconception: a sigmoid is applied to the logits before BCE-with-logits, which applies its own."""
import torch
import torch.nn.functional as F


def discriminator_step(D, G, real, z, opt_D):
    fake = G(z).detach()
    real_probs = torch.sigmoid(D(real))
    fake_probs = torch.sigmoid(D(fake))
    loss = (F.binary_cross_entropy_with_logits(real_probs, torch.ones_like(real_probs))
            + F.binary_cross_entropy_with_logits(fake_probs, torch.zeros_like(fake_probs)))
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()
    return loss.item()
