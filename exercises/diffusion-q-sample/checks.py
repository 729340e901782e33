"""Cases and reference for diffusion-q-sample: image and feature batches, t at both ends of the schedule, float64."""

import types

import torch

from grader.checking import Case, values_close


def reference():
    from reference_models import ddpm

    return types.SimpleNamespace(q_sample=ddpm.q_sample)


def _schedule(kind, T, dtype):
    from reference_models.diffusion_schedules import alphas_cumprod, beta_schedule, scaled_linear_betas

    betas = scaled_linear_betas(T) if kind == "scaled-linear" else beta_schedule(kind, T)
    return alphas_cumprod(betas.double()).to(dtype)  # (T,)


def _steps(batch, T, generator, *, ends=True):
    """Draw steps in [0, T) per sample; with ``ends`` the first two are 0 and T - 1, so both boundaries are checked."""
    t = torch.randint(0, T, (batch,), generator=generator)
    if ends and batch >= 2:
        t[0], t[1] = 0, T - 1
    return t


def _case(case_id, title, shape, schedule, *, seed, visible=True, dtype=torch.float32, t=None):
    generator = torch.Generator().manual_seed(seed)
    alphas_cumprod = _schedule(*schedule, dtype)
    T = alphas_cumprod.shape[0]
    inputs = {
        "x0": (1.5 * torch.randn(shape, generator=generator, dtype=torch.float64)).to(dtype),
        "t": _steps(shape[0], T, generator) if t is None else t,
        "noise": torch.randn(shape, generator=generator, dtype=torch.float64).to(dtype),
        "alphas_cumprod": alphas_cumprod,
        # A random cotangent so that a gradient scaled by the wrong sample's coefficient shows.
        "cotangent": (torch.rand(shape, generator=generator, dtype=torch.float64) + 0.5).to(dtype),
    }
    return Case(case_id, title, visible, inputs, seed=seed)


def build_cases(variant_seed):
    cases = [
        _case("images", "image batch (B=5, C=2, H=3, W=7), linear schedule T=1000", (5, 2, 3, 7),
              ("linear", 1000), seed=41),
        _case("features", "feature batch (B=7, D=11), cosine schedule T=333", (7, 11), ("cosine", 333), seed=42),
        _case("images-b-equals-h", "image batch with B = H (B=4, C=3, H=4, W=6), scaled linear T=50", (4, 3, 4, 6),
              ("scaled-linear", 50), seed=43),
        _case("batch-of-one", "batch of one at t = 0 (B=1, D=9)", (1, 9), ("cosine", 50), seed=44,
              t=torch.tensor([0])),
        _case("float64", "float64 inputs (B=6, D=3), cosine T=7", (6, 3), ("cosine", 7), seed=45, dtype=torch.float64),
    ]
    rng = torch.Generator().manual_seed(variant_seed)
    for index in range(4):
        batch = int(torch.randint(2, 24, (1,), generator=rng))
        if index % 2 == 0:
            shape = (batch, *[int(size) for size in torch.randint(1, 9, (3,), generator=rng)])
        else:
            shape = (batch, int(torch.randint(1, 40, (1,), generator=rng)))
        kind = ("linear", "cosine", "scaled-linear", "cosine")[index]
        T = int(torch.randint(25, 1200, (1,), generator=rng))
        cases.append(_case(f"hidden-{index + 1}", f"hidden check {index + 1}", shape, (kind, T),
                           seed=variant_seed * 10 + index, visible=False))
    return cases


def diagnose(cases, outcomes, expected, rows):
    """Name "no-gradient" when x_t is right but no gradient reached x0, which the output matcher cannot compare."""
    for case in cases:
        outcome = outcomes.get(case.id)
        if outcome is None or outcome.error is not None:
            continue
        x_t = outcome.tensors.get("x_t")
        reference = expected[case.id]["x_t"]
        if x_t is None or x_t.shape != reference.shape:
            continue
        right_value = values_close(x_t, reference, case.tolerance("x_t", reference.dtype))
        if right_value and "grad.x0" not in outcome.tensors:
            return ["no-gradient"]
    return []
