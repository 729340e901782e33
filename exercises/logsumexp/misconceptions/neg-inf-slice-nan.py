"""Misconception: the max shift without a guard, so a slice of only -inf computes -inf - (-inf) = NaN."""
import torch


def logsumexp(x, dim):
    shift = x.amax(dim=dim, keepdim=True)
    return (shift + torch.log(torch.exp(x - shift).sum(dim=dim, keepdim=True))).squeeze(dim)
