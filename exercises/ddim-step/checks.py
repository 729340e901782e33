"""Cases and reference for ddim-step: eta at 0, 1 and between, the last step (alpha_bar_prev = 1), float and 0-d tensor alpha-bars."""

import types

import torch

from grader.checking import Case


def reference():
    from reference_models import ddim

    return types.SimpleNamespace(ddim_step=ddim.ddim_step)


def _case(case_id, title, shape, alpha_bar_t, alpha_bar_prev, eta, *, seed, visible=True, as_tensors=False,
          dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    inputs = {
        "x_t": torch.randn(shape, generator=generator, dtype=torch.float64).to(dtype),
        "eps_pred": torch.randn(shape, generator=generator, dtype=torch.float64).to(dtype),
        "noise": torch.randn(shape, generator=generator, dtype=torch.float64).to(dtype),
    }
    params = {"eta": eta}
    if as_tensors:
        inputs["alpha_bar_t"] = torch.tensor(alpha_bar_t, dtype=dtype)
        inputs["alpha_bar_prev"] = torch.tensor(alpha_bar_prev, dtype=dtype)
    else:
        params.update(alpha_bar_t=alpha_bar_t, alpha_bar_prev=alpha_bar_prev)
    return Case(case_id, title, visible, inputs, params=params, seed=seed)


def _cosine_alpha_bars(T, t, t_prev):
    from reference_models.diffusion_schedules import alphas_cumprod, beta_schedule

    alpha_bars = alphas_cumprod(beta_schedule("cosine", T).double())
    return float(alpha_bars[t]), float(alpha_bars[t_prev])


def build_cases(variant_seed):
    cases = [
        _case("eta-between", "eta=0.37, alpha-bars 0.31 -> 0.58 as floats (B=4, D=6)", (4, 6), 0.31, 0.58, 0.37,
              seed=61),
        _case("eta-0", "eta=0, deterministic, alpha-bars 0.05 -> 0.2 (B=3, C=2, H=4, W=5)", (3, 2, 4, 5), 0.05, 0.2,
              0.0, seed=62),
        _case("eta-1", "eta=1, alpha-bars 0.62 -> 0.83 (B=5, D=3)", (5, 3), 0.62, 0.83, 1.0, seed=63),
        _case("last-step", "last step: alpha_bar_prev=1, eta=0.6 (B=2, D=7)", (2, 7), 0.97, 1.0, 0.6, seed=64),
        _case("tensor-alpha-bars", "0-d tensor alpha-bars, cosine T=1000 from t=600 to t=400, eta=0.8 (B=3, D=5)",
              (3, 5), *_cosine_alpha_bars(1000, 600, 400), 0.8, seed=65, as_tensors=True),
        _case("float64", "float64 inputs with 0-d float64 alpha-bars, eta=0.25 (B=6, D=2)", (6, 2), 0.18, 0.47, 0.25,
              seed=66, as_tensors=True, dtype=torch.float64),
    ]
    rng = torch.Generator().manual_seed(variant_seed)
    for index in range(4):
        alpha_bar_t = 0.01 + 0.9 * float(torch.rand(1, generator=rng))
        alpha_bar_prev = alpha_bar_t + (1 - alpha_bar_t) * (0.1 + 0.8 * float(torch.rand(1, generator=rng)))
        eta = (0.0, 1.0, round(0.05 + 0.9 * float(torch.rand(1, generator=rng)), 3), 0.5)[index]
        if index == 3:
            alpha_bar_prev = 1.0
        shape = (int(torch.randint(1, 12, (1,), generator=rng)), int(torch.randint(1, 20, (1,), generator=rng)))
        cases.append(_case(f"hidden-{index + 1}", f"hidden check {index + 1}", shape, alpha_bar_t, alpha_bar_prev, eta,
                           seed=variant_seed * 10 + index, visible=False, as_tensors=index % 2 == 1))
    return cases
