"""The causal-attention reference against torch's fused attention and a hand-computed example."""

import torch
import torch.nn.functional as F

from reference_models.attention import causal_attention


def test_causal_attention_matches_fused_attention():
    generator = torch.Generator().manual_seed(4)
    q, k, v = (torch.randn(2, 3, 7, 5, generator=generator, dtype=torch.float64) for _ in range(3))

    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)

    torch.testing.assert_close(causal_attention(q, k, v), expected, rtol=1e-12, atol=1e-12)


def test_causal_attention_worked_example():
    q = torch.tensor([[5.0, -3.0, 2.0, 7.0], [1.0, 1.0, 1.0, 1.0]]).view(1, 1, 2, 4)
    k = torch.tensor([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]).view(1, 1, 2, 4)
    v = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]).view(1, 1, 2, 4)
    # Position 1 scores (2, 4) / sqrt(4) = (1, 2); softmax(1, 2) = (1, e) / (1 + e).
    first_weight = 1 / (1 + torch.e)

    out = causal_attention(q, k, v)

    torch.testing.assert_close(out[0, 0, 0], torch.tensor([1.0, 0.0, 0.0, 0.0]))
    torch.testing.assert_close(out[0, 0, 1], torch.tensor([first_weight, 1 - first_weight, 0.0, 0.0]))


def test_first_position_ignores_later_keys():
    generator = torch.Generator().manual_seed(5)
    q, k, v = (torch.randn(1, 2, 6, 3, generator=generator) for _ in range(3))
    changed_k, changed_v = k.clone(), v.clone()
    changed_k[:, :, 1:] += 100.0
    changed_v[:, :, 1:] -= 100.0

    torch.testing.assert_close(causal_attention(q, changed_k, changed_v)[:, :, 0], v[:, :, 0], rtol=0, atol=0)
