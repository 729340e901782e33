"""Correct variant: the update applied as one delta weight, W + (alpha / r) B A, in both forward and merged."""
import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.scale = alpha / r
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features).uniform_(-0.5, 0.5))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))

    def delta_weight(self):
        return self.scale * torch.matmul(self.lora_B, self.lora_A)

    def forward(self, x):
        return nn.functional.linear(x, self.base.weight + self.delta_weight(), self.base.bias)

    def merged(self):
        layer = nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None)
        layer.weight = nn.Parameter((self.base.weight + self.delta_weight()).detach().clone())
        if self.base.bias is not None:
            layer.bias = nn.Parameter(self.base.bias.detach().clone())
        return layer
