"""Misconception: the reduced dimension is kept with size 1."""
import torch


def logsumexp(x, dim):
    shift = x.amax(dim=dim, keepdim=True)
    shift = torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))
    return shift + torch.log(torch.exp(x - shift).sum(dim=dim, keepdim=True))
