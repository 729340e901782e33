"""Correct variant: the fake batch made under torch.no_grad, and BCE written with softplus.

BCE(l, 1) = softplus(-l) and BCE(l, 0) = softplus(l), both stable for large |l|.
"""
import torch
import torch.nn.functional as F


def discriminator_step(D, G, real, z, opt_D):
    with torch.no_grad():
        fake = G(z)
    D.zero_grad(set_to_none=False)
    loss = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
    loss.backward()
    opt_D.step()
    return float(loss.detach())
