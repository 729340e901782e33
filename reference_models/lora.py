"""A LoRA adapter around a frozen linear layer.

Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models" (2021): the pretrained weight W
stays frozen and a trainable low-rank update B A is added, scaled by alpha / r. B starts at zero,
so the adapted layer starts out equal to the base layer, and A starts random, so that B receives
a nonzero gradient from the first step. Symbols:

| name      | symbol  | shape                                        |
| --------- | ------- | -------------------------------------------- |
| base      | W, b    | (out_features, in_features), (out_features,) |
| lora_A    | A       | (r, in_features)                             |
| lora_B    | B       | (out_features, r)                            |
| alpha / r | scaling | float                                        |
| x         | input   | (..., in_features)                           |
"""

from __future__ import annotations

import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    """forward(x) = base(x) + (alpha / r) * x @ lora_A.T @ lora_B.T, with the base layer frozen."""

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise TypeError(f"base must be an nn.Linear, got {type(base).__name__}")
        if isinstance(r, bool) or not isinstance(r, int) or r < 1:
            raise ValueError(f"r must be a positive int, got {r!r}")
        self.base = base
        self.base.requires_grad_(False)
        self.r = r
        self.alpha = alpha
        self.scaling = alpha / r
        factory = {"dtype": base.weight.dtype, "device": base.weight.device}
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, **factory))  # (r, in_features)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, **factory))  # (out_features, r)
        # nn.Linear's default initialisation of its weight, drawn from torch's default generator.
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        update = x @ self.lora_A.T @ self.lora_B.T  # (..., out_features)
        return self.base(x) + self.scaling * update  # (..., out_features)

    @torch.no_grad()
    def merged(self) -> nn.Linear:
        """Return a new nn.Linear with weight W + (alpha / r) B A and a copy of the bias, sharing no storage with the base."""
        base = self.base
        merged = nn.Linear(base.in_features, base.out_features, bias=base.bias is not None,
                           dtype=base.weight.dtype, device=base.weight.device)
        merged.weight.copy_(base.weight + self.scaling * (self.lora_B @ self.lora_A))  # (out_features, in_features)
        if base.bias is not None:
            merged.bias.copy_(base.bias)  # (out_features,)
        return merged
