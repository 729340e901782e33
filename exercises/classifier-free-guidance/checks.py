"""Cases and reference for classifier-free-guidance: scales 0, 1, 7.5 and negative, image and feature batches, float64."""

import types

import torch

from grader.checking import Case


def reference():
    from reference_models import guidance

    return types.SimpleNamespace(cfg_combine=guidance.cfg_combine)


def _case(case_id, title, shape, guidance_scale, *, seed, visible=True, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    eps_uncond = torch.randn(shape, generator=generator, dtype=torch.float64)
    # The conditional prediction is the unconditional one moved by a smaller offset, as for a real network.
    eps_cond = eps_uncond + 0.3 * torch.randn(shape, generator=generator, dtype=torch.float64)
    inputs = {"eps_uncond": eps_uncond.to(dtype), "eps_cond": eps_cond.to(dtype)}
    return Case(case_id, title, visible, inputs, params={"guidance_scale": guidance_scale}, seed=seed)


def build_cases(variant_seed):
    cases = [
        _case("scale-7.5", "guidance_scale=7.5 (B=2, C=4, H=8, W=8)", (2, 4, 8, 8), 7.5, seed=71),
        _case("scale-0", "guidance_scale=0: the unconditional prediction (B=3, D=5)", (3, 5), 0.0, seed=72),
        _case("scale-1", "guidance_scale=1: the conditional prediction (B=4, D=6)", (4, 6), 1.0, seed=73),
        _case("negative-scale", "negative guidance_scale=-1.5 (B=5, D=3)", (5, 3), -1.5, seed=74),
        _case("float64", "float64 inputs, guidance_scale=3.2 (B=1, C=3, H=4, W=5)", (1, 3, 4, 5), 3.2, seed=75,
              dtype=torch.float64),
    ]
    rng = torch.Generator().manual_seed(variant_seed)
    for index in range(3):
        # Away from 0.5, where swapping the two predictions changes nothing, and from 0 and 1.
        guidance_scale = round(float(torch.empty(1).uniform_(1.5, 12.0, generator=rng)), 2)
        if index == 2:
            guidance_scale = -guidance_scale / 4
        shape = (int(torch.randint(1, 8, (1,), generator=rng)), int(torch.randint(1, 6, (1,), generator=rng)),
                 int(torch.randint(1, 10, (1,), generator=rng)))
        cases.append(_case(f"hidden-{index + 1}", f"hidden check {index + 1}", shape, guidance_scale,
                           seed=variant_seed * 10 + index, visible=False))
    return cases
