"""Cases and reference for diffusion-beta-schedule: both kinds at T away from 1000, at T = 1000 and T = 1, and an unknown kind."""

import types

import torch

from grader.checking import Case, Tolerance

VISIBLE_STEPS = (7, 50, 333, 1000, 2, 1)
# The cosine betas near t = 0 are 1 - alpha_bar(t + 1) / alpha_bar(t) with a ratio within 1e-4 of 1,
# so a float32 computation loses about 3e-5 of absolute accuracy there (measured up to T = 2000);
# 5e-5 allows for that and still catches the unnormalised f(0), which moves betas[0] by about 1.4e-4.
COSINE_TOLERANCE = Tolerance(rtol=1e-4, atol=5e-5)


def reference():
    from reference_models import diffusion_schedules

    return types.SimpleNamespace(beta_schedule=diffusion_schedules.beta_schedule)


def _case(kind, T, *, visible=True, case_id=None, title=None):
    tolerances = {"betas": COSINE_TOLERANCE} if kind == "cosine" else {}
    return Case(
        case_id or f"{kind}-T{T}", title or f'kind="{kind}", T={T}', visible, {},
        params={"kind": kind, "T": T}, tolerances=tolerances,
    )


def _unknown_kind_case(kind, *, visible=True, case_id="unknown-kind", title=None):
    return Case(
        case_id, title or f'unknown kind "{kind}" raises ValueError', visible, {},
        params={"kind": kind, "T": 10, "unknown_kind": True},
    )


def build_cases(variant_seed):
    cases = [_case(kind, T) for kind in ("linear", "cosine") for T in VISIBLE_STEPS]
    cases.append(_unknown_kind_case("quadratic"))

    rng = torch.Generator().manual_seed(variant_seed)
    for index, kind in enumerate(("linear", "cosine", "linear", "cosine")):
        T = int(torch.randint(3, 1500, (1,), generator=rng))
        cases.append(_case(kind, T, visible=False, case_id=f"hidden-{index + 1}", title=f"hidden check {index + 1}"))
    cases.append(_unknown_kind_case("Cosine", visible=False, case_id="hidden-5", title="hidden check 5"))
    return cases
