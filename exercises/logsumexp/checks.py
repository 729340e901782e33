"""Cases and reference for logsumexp: every dimension of each input, entries up to 1e4 in magnitude, -inf entries and slices, seeded hidden variants."""

import types

import torch

from grader.checking import Case

NEG_INF = float("-inf")


def reference():
    from reference_models import logsumexp

    return types.SimpleNamespace(logsumexp=logsumexp.logsumexp)


def _all_dims(rank):
    return list(range(rank)) + list(range(-rank, 0))


def _case(case_id, title, x, *, dims=None, seed=0, visible=True):
    dims = _all_dims(x.dim()) if dims is None else dims
    return Case(case_id, title, visible, {"x": x}, params={"dims": dims}, seed=seed)


def _random(shape, seed, *, scale=3.0, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(shape, generator=generator, dtype=torch.float64)).to(dtype)


def _large_entries(dtype=torch.float32):
    """Rows near +1e4, near -1e4, and both at once: exp overflows or underflows to 0 in float32 and float64."""
    rows = [
        [1.0e4, 9999.5, 9990.0, 9998.25, 1.0e4 - 3.0],
        [-1.0e4, -9999.0, -9995.5, -1.0e4 + 0.75, -9997.0],
        [1.0e4, -1.0e4, 0.0, 5000.0, -2.5],
    ]
    return torch.tensor(rows, dtype=torch.float64).to(dtype)


def _with_neg_inf(seed):
    """(4, 6): scattered -inf entries, one row with a single finite entry, no slice entirely -inf."""
    x = _random((4, 6), seed)
    x[0, [1, 4]] = NEG_INF
    x[2, [0, 2, 3, 5]] = NEG_INF
    x[3, :5] = NEG_INF
    return x


def _neg_inf_slice(seed):
    """(3, 4): row 1 is entirely -inf, so logsumexp along the last dimension must give -inf there."""
    x = _random((3, 4), seed)
    x[1, :] = NEG_INF
    x[2, 0] = NEG_INF
    return x


def _hidden(index, rng, seed):
    rank = int(torch.randint(1, 5, (1,), generator=rng))
    shape = tuple(int(size) for size in torch.randint(1, 7, (rank,), generator=rng))
    generator = torch.Generator().manual_seed(seed)
    x = 5.0 * torch.randn(shape, generator=generator, dtype=torch.float64)
    # Shift some entries to magnitudes near 1e4 and set others to -inf.
    large = torch.rand(shape, generator=generator) < 0.3
    signs = torch.where(torch.rand(shape, generator=generator) < 0.5, -1.0, 1.0).double()
    x = torch.where(large, signs * (1.0e4 - x.abs()), x)
    x = torch.where(torch.rand(shape, generator=generator) < 0.15, NEG_INF, x)
    return _case(f"hidden-{index + 1}", f"hidden check {index + 1}", x.float(), seed=seed, visible=False)


def build_cases(variant_seed):
    cases = [
        _case("random-3d", "random (2, 3, 4), every dim", _random((2, 3, 4), 51), seed=51),
        _case("large-entries", "entries of magnitude near 1e4 (3, 5)", _large_entries(), seed=52),
        _case("neg-inf-entries", "-inf entries among finite ones (4, 6)", _with_neg_inf(53), seed=53),
        _case("neg-inf-slice", "a row of only -inf (3, 4)", _neg_inf_slice(54), seed=54),
        _case("size-one-dim", "a dimension of size 1 (5, 1, 3)", _random((5, 1, 3), 55), seed=55),
        _case("vector", "a vector (7,): the result is a scalar", _random((7,), 56, scale=20.0), seed=56),
        _case("float64", "float64 entries near 1e4 (3, 5)", _large_entries(torch.float64), seed=57),
    ]
    rng = torch.Generator().manual_seed(variant_seed)
    for index in range(3):
        cases.append(_hidden(index, rng, variant_seed * 10 + index))
    return cases
