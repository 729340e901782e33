"""Correct variant: in float64, the shift clamped to the lowest finite float so that -inf - shift stays -inf."""
import torch


def logsumexp(x, dim):
    wide = x.double()
    shift, _ = wide.max(dim=dim)
    shift = shift.clamp_min(torch.finfo(torch.float64).min)
    scaled = torch.exp(wide - shift.unsqueeze(dim))
    return (shift + scaled.sum(dim=dim).log()).to(x.dtype)
