"""Cases and reference for ddpm-step: the last step t = 0, t = 1, the first step t = T - 1, middle steps, float64."""

import types

import torch

from grader.checking import Case


def reference():
    from reference_models import ddpm

    return types.SimpleNamespace(ddpm_step=ddpm.ddpm_step)


def _betas(kind, T, dtype):
    from reference_models.diffusion_schedules import beta_schedule, scaled_linear_betas

    betas = scaled_linear_betas(T) if kind == "scaled-linear" else beta_schedule(kind, T)
    return betas.to(dtype)  # (T,)


def _case(case_id, title, shape, schedule, t, *, seed, visible=True, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    inputs = {
        "x_t": torch.randn(shape, generator=generator, dtype=torch.float64).to(dtype),
        "eps_pred": torch.randn(shape, generator=generator, dtype=torch.float64).to(dtype),
        "betas": _betas(*schedule, dtype),
        "noise": torch.randn(shape, generator=generator, dtype=torch.float64).to(dtype),
    }
    return Case(case_id, title, visible, inputs, params={"t": t}, seed=seed)


def build_cases(variant_seed):
    cases = [
        _case("middle", "middle step t=417 (B=6, D=5), linear T=1000", (6, 5), ("linear", 1000), 417, seed=51),
        _case("last-step", "last step t=0: the mean alone (B=4, D=7), linear T=1000", (4, 7), ("linear", 1000), 0,
              seed=52),
        _case("t-equals-1", "t=1 (B=3, C=2, H=4, W=5), scaled linear T=50", (3, 2, 4, 5), ("scaled-linear", 50), 1,
              seed=53),
        _case("first-step", "first step t=T-1 (B=5, D=3), linear T=1000", (5, 3), ("linear", 1000), 999, seed=54),
        _case("first-step-cosine", "first step t=T-1 with the clipped beta 0.999 (B=2, D=6), cosine T=50", (2, 6),
              ("cosine", 50), 49, seed=55),
        _case("float64", "float64 inputs, t=23 (B=3, D=4), cosine T=333", (3, 4), ("cosine", 333), 23, seed=56,
              dtype=torch.float64),
    ]
    rng = torch.Generator().manual_seed(variant_seed)
    for index, kind in enumerate(("linear", "cosine", "scaled-linear", "cosine")):
        T = int(torch.randint(30, 1200, (1,), generator=rng))
        t = (0, 1, T - 1, int(torch.randint(2, T - 1, (1,), generator=rng)))[index]
        batch = int(torch.randint(1, 16, (1,), generator=rng))
        shape = (batch, int(torch.randint(1, 20, (1,), generator=rng)))
        cases.append(_case(f"hidden-{index + 1}", f"hidden check {index + 1}", shape, (kind, T), t,
                           seed=variant_seed * 10 + index, visible=False))
    return cases
