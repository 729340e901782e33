"""Log-sum-exp along one dimension, stable for large entries and for entries of -inf.

log sum_i exp(x_i) = m + log sum_i exp(x_i - m) for any finite m. Taking m = max_i x_i
makes the largest exponent exp(0) = 1, so the sum neither overflows nor underflows to 0.
A slice whose entries are all -inf has no finite maximum. There m is replaced by 0, so the
sum is a sum of exp(-inf) = 0 and the result is log 0 = -inf, as it should be.

| name | symbol       | shape                         |
| ---- | ------------ | ----------------------------- |
| x    | x            | any, e.g. (B, T, V)           |
| dim  | reduced axis | an int in [-x.dim(), x.dim()) |
"""

from __future__ import annotations

import torch


def logsumexp(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Return log(sum(exp(x))) along ``dim`` with that dimension removed. Entries of +inf are outside the contract."""
    if not -x.dim() <= dim < x.dim():
        raise ValueError(f"dim must be in [{-x.dim()}, {x.dim()}) for a tensor with {x.dim()} dimensions, got {dim}")
    shift = x.amax(dim=dim, keepdim=True)  # x's shape with size 1 at dim
    shift = torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))
    total = torch.exp(x - shift).sum(dim=dim, keepdim=True)  # size 1 at dim
    return (shift + torch.log(total)).squeeze(dim)  # x's shape without dim
