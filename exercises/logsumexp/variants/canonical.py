"""Correct variant: shift by the maximum of each slice, with 0 as the shift where a slice is entirely -inf."""
import torch


def logsumexp(x, dim):
    shift = x.amax(dim=dim, keepdim=True)
    shift = torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))
    total = torch.exp(x - shift).sum(dim=dim, keepdim=True)
    return (shift + torch.log(total)).squeeze(dim)
