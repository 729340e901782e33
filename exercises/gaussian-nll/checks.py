"""Cases and reference for gaussian-nll: sizes that all differ, log-variances on both sides of 0 and at 0, seeded hidden variants."""

import types

import torch

from grader.checking import Case


def reference():
    from reference_models import likelihood

    return types.SimpleNamespace(gaussian_nll=likelihood.gaussian_nll)


def _case(case_id, title, *, batch, features, seed, log_var_range=(-2.0, 2.0), visible=True, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    low, high = log_var_range
    x = 1.5 * torch.randn(batch, features, generator=generator, dtype=torch.float64)
    mu = x + torch.randn(batch, features, generator=generator, dtype=torch.float64)
    log_var = low + (high - low) * torch.rand(batch, features, generator=generator, dtype=torch.float64)
    tensors = {"x": x.to(dtype), "mu": mu.to(dtype), "log_var": log_var.to(dtype)}
    return Case(case_id, title, visible, tensors, seed=seed)


def build_cases(variant_seed):
    cases = [
        _case("random", "random inputs (B=5, D=3)", batch=5, features=3, seed=41),
        _case("batch-of-one", "batch of one (B=1, D=7)", batch=1, features=7, seed=42),
        _case("one-feature", "one feature (B=6, D=1)", batch=6, features=1, seed=43),
        _case("unit-variance", "unit variances, log_var = 0 (B=4, D=5)", batch=4, features=5, seed=44,
              log_var_range=(0.0, 0.0)),
        _case("small-variance", "small variances, log_var from -6 to -3 (B=3, D=9)", batch=3, features=9, seed=45,
              log_var_range=(-6.0, -3.0)),
        _case("positive-log-var", "log_var from 0.5 to 4 (B=8, D=4)", batch=8, features=4, seed=46,
              log_var_range=(0.5, 4.0)),
        _case("float64", "float64 inputs (B=7, D=6)", batch=7, features=6, seed=47, dtype=torch.float64),
    ]
    rng = torch.Generator().manual_seed(variant_seed)
    for index in range(4):
        batch = int(torch.randint(2, 40, (1,), generator=rng))
        features = int(torch.randint(2, 50, (1,), generator=rng))
        cases.append(
            _case(f"hidden-{index + 1}", f"hidden check {index + 1}", batch=batch, features=features,
                  seed=variant_seed * 10 + index, log_var_range=(-4.0, 4.0), visible=False)
        )
    return cases
