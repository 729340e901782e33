import torch
import torch.nn.functional as F


def generator_step(D, G, z, opt_G):
    """Update G once with the non-saturating loss, BCE-with-logits of D(G(z)) against 1; return loss.item()."""
    raise NotImplementedError("write the generator step")
