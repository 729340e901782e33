"""Correct variant: Gaussian lora_A, F.linear for both products, and merged() built from a deep copy of the base."""
import copy

import torch
import torch.nn.functional as F
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        base.requires_grad_(False)
        self.base = base
        self.r, self.alpha = r, alpha
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) / r)
        self.lora_B = nn.Parameter(base.weight.new_zeros(base.out_features, r))

    def forward(self, x):
        low_rank = F.linear(F.linear(x, self.lora_A), self.lora_B)
        return F.linear(x, self.base.weight, self.base.bias) + low_rank * (self.alpha / self.r)

    @torch.no_grad()
    def merged(self):
        layer = copy.deepcopy(self.base)
        layer.weight += (self.alpha / self.r) * (self.lora_B @ self.lora_A)
        return layer
