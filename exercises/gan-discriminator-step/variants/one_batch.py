"""Correct variant: one forward pass over real and fake together.

Both halves have B rows, so the sum of the two half means is twice the mean over all 2B rows.
"""
import torch
import torch.nn.functional as F


def discriminator_step(D, G, real, z, opt_D):
    batch = torch.cat([real, G(z).detach()])
    labels = torch.cat([torch.ones(real.shape[0], 1), torch.zeros(z.shape[0], 1)])
    loss = 2 * F.binary_cross_entropy_with_logits(D(batch), labels)
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()
    return loss.detach().item()
