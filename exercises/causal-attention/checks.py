"""Cases and reference for causal-attention: sizes that all differ, T = 1, T = d, several heads, large logits, seeded hidden variants."""

import types

import torch

from grader.checking import Case, Tolerance


def reference():
    from reference_models import attention

    return types.SimpleNamespace(causal_attention=attention.causal_attention)


def _case(case_id, title, *, batch, heads, positions, head_dim, seed, scale=1.0, visible=True):
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, heads, positions, head_dim)
    tensors = {
        name: (scale * torch.randn(shape, generator=generator, dtype=torch.float64)).float() for name in ("q", "k")
    }
    tensors["v"] = torch.randn(shape, generator=generator, dtype=torch.float64).float()
    tensors["cotangent"] = torch.randn(shape, generator=generator, dtype=torch.float64).float()
    tolerances = {}
    if scale > 1.0:
        # Scores of a few hundred carry float32 rounding of about 1e-5 each, which the softmax passes on to the
        # weights: variants/einsum_additive_mask.py differs from the reference by 4.4e-6 in grad.q here, close to
        # the default atol of 1e-5. The wrong formulas move the outputs by at least 9e-3 here (the wrong scales
        # differ least, since the softmax is nearly one-hot at these scores), and the other cases catch them too.
        loose = Tolerance(rtol=1e-3, atol=1e-4)
        tolerances = {name: loose for name in ("out", "grad.q", "grad.k", "grad.v")}
    return Case(case_id, title, visible, tensors, seed=seed, tolerances=tolerances)


def build_cases(variant_seed):
    cases = [
        _case("random", "random (B=2, H=3, T=5, d=4)", batch=2, heads=3, positions=5, head_dim=4, seed=71),
        _case("one-position", "one position (B=2, H=2, T=1, d=8)", batch=2, heads=2, positions=1, head_dim=8, seed=72),
        _case("long-narrow", "more positions than features (B=1, H=2, T=7, d=3)", batch=1, heads=2, positions=7,
              head_dim=3, seed=73),
        _case("t-equals-d", "as many positions as features (B=3, H=1, T=4, d=4)", batch=3, heads=1, positions=4,
              head_dim=4, seed=74),
        _case("many-heads", "several heads, wide features (B=1, H=4, T=9, d=16)", batch=1, heads=4, positions=9,
              head_dim=16, seed=75),
        _case("large-logits", "large logits, scores of a few hundred (B=2, H=2, T=6, d=5)", batch=2, heads=2,
              positions=6, head_dim=5, seed=76, scale=12.0),
    ]
    rng = torch.Generator().manual_seed(variant_seed)
    for index in range(3):
        batch, heads = (int(size) for size in torch.randint(1, 4, (2,), generator=rng))
        positions, head_dim = (int(size) for size in torch.randint(2, 13, (2,), generator=rng))
        cases.append(
            _case(f"hidden-{index + 1}", f"hidden check {index + 1}", batch=batch, heads=heads, positions=positions,
                  head_dim=head_dim, seed=variant_seed * 10 + index, visible=False)
        )
    return cases
