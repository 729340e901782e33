import torch
import torch.nn.functional as F


def discriminator_step(D, G, real, z, opt_D):
    """Update D once: BCE-with-logits of D(real) against 1 plus D(G(z).detach()) against 0; return loss.item()."""
    raise NotImplementedError("write the discriminator step")
