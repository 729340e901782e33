"""Correct variant: fold the slices together with torch.logaddexp, which is stable and maps (-inf, -inf) to -inf."""
import functools

import torch


def logsumexp(x, dim):
    return functools.reduce(torch.logaddexp, x.unbind(dim))
