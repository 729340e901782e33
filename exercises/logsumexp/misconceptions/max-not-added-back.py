"""Misconception: the maximum is subtracted but never added back."""
import torch


def logsumexp(x, dim):
    shift = x.amax(dim=dim, keepdim=True)
    shift = torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))
    return torch.log(torch.exp(x - shift).sum(dim=dim))
