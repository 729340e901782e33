"""The logsumexp reference: agreement with torch.logsumexp, large entries, -inf slices and dim checks."""

import math

import pytest
import torch

from reference_models.logsumexp import logsumexp


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, -3])
def test_logsumexp_matches_torch_along_every_dim(dim):
    x = torch.randn(3, 4, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * 10

    torch.testing.assert_close(logsumexp(x, dim), torch.logsumexp(x, dim), rtol=1e-12, atol=1e-12)


def test_logsumexp_entries_near_ten_thousand():
    x = torch.tensor([[1.0e4, 1.0e4], [-1.0e4, -1.0e4]])

    result = logsumexp(x, 1)

    torch.testing.assert_close(result, torch.tensor([1.0e4 + math.log(2), -1.0e4 + math.log(2)]), rtol=1e-7, atol=0)


def test_logsumexp_neg_inf_slice_is_neg_inf():
    neg_inf = float("-inf")
    x = torch.tensor([[1.0, 2.0, 3.0], [neg_inf, neg_inf, neg_inf], [neg_inf, 0.0, neg_inf]])

    result = logsumexp(x, -1)

    assert result[1].item() == neg_inf
    assert result[2].item() == 0.0
    torch.testing.assert_close(result[0], torch.tensor(3 + math.log(math.exp(-2) + math.exp(-1) + 1)))
    assert not result.isnan().any()


def test_logsumexp_rejects_dim_out_of_range():
    with pytest.raises(ValueError, match=r"dim must be in \[-2, 2\) for a tensor with 2 dimensions, got 2"):
        logsumexp(torch.zeros(2, 3), 2)
