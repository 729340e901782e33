import math

import torch


def causal_attention(q, k, v):
    """softmax(q @ k^T / sqrt(d)) @ v with every position masked from later ones, (B, H, T, d) in and out.

    torch.nn.functional.scaled_dot_product_attention and torch.nn.MultiheadAttention are not allowed.
    """
    raise NotImplementedError("write causal attention")
