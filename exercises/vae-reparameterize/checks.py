"""Cases, reference and statistical evaluation for vae-reparameterize.

The sample is random, so values are graded by properties that hold for any
draw: exact gradient identities, moments over many draws, fresh noise on each
call, and reproducibility under torch.manual_seed.
"""

import types

import torch

from grader.checking import Case, Tolerance, shape_problem
from grader.stats import test_standard_normal_columns
from grader.verdict import CheckResult, Stage

MOMENT_DRAWS = 20000
# Any standard normal draw below this magnitude is plausible: P(|eps| > 7) is 2.6e-12 per element.
MAX_PLAUSIBLE_NOISE = 7.0


def reference():
    from reference_models import vae

    return types.SimpleNamespace(reparameterize=vae.reparameterize)


def _case(case_id, title, mu, log_var, *, seed, visible=True, moments=False):
    generator = torch.Generator().manual_seed(seed + 1000)
    cotangent = (torch.rand(mu.shape, generator=generator, dtype=torch.float64) + 0.5).to(mu.dtype)
    return Case(
        case_id, title, visible, {"mu": mu, "log_var": log_var, "cotangent": cotangent},
        params={"reseed": seed + 7, "moments": moments}, seed=seed,
    )


def _random(batch, latent, seed, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    mu = 2 * torch.randn(batch, latent, generator=generator, dtype=torch.float64)
    log_var = -3 + 5 * torch.rand(batch, latent, generator=generator, dtype=torch.float64)
    return mu.to(dtype), log_var.to(dtype)


def _moments(latent, seed):
    mu_row, log_var_row = _random(1, latent, seed)
    return mu_row.expand(MOMENT_DRAWS, latent).clone(), log_var_row.expand(MOMENT_DRAWS, latent).clone()


def build_cases(variant_seed):
    from reference_models.data import digits_batch
    from reference_models.vae import encode_decode_batch

    generator = torch.Generator().manual_seed(31)
    digits = encode_decode_batch(digits_batch(16, generator), latent_dim=5, seed=31)
    cases = [
        _case("digits", "digits posteriors (B=16, L=5)", digits["mu"], digits["log_var"], seed=31),
        _case("moments", f"moments over {MOMENT_DRAWS} draws (L=3)", *_moments(3, 32), seed=32, moments=True),
        _case("batch-of-one", "batch of one (B=1, L=4)", *_random(1, 4, 33), seed=33),
        _case("float64", "float64 inputs", *_random(6, 3, 34, dtype=torch.float64), seed=34),
    ]
    rng = torch.Generator().manual_seed(variant_seed)
    latent = int(torch.randint(2, 6, (1,), generator=rng))
    cases.append(_case("hidden-1", "hidden check 1", *_moments(latent, variant_seed * 10), seed=variant_seed * 10,
                       visible=False, moments=True))
    batch, latent = int(torch.randint(2, 40, (1,), generator=rng)), int(torch.randint(2, 12, (1,), generator=rng))
    cases.append(_case("hidden-2", "hidden check 2", *_random(batch, latent, variant_seed * 10 + 1),
                       seed=variant_seed * 10 + 1, visible=False))
    return cases


def _standardized(case, z):
    mu, log_var = case.inputs["mu"].double(), case.inputs["log_var"].double()
    return (z.double() - mu) / torch.exp(0.5 * log_var)


def _value_problems(case, tensors):
    z = tensors["z"]
    eps = _standardized(case, z)
    if not torch.isfinite(eps).all():
        return ["`z` contains NaN or infinite values."]
    if case.params["moments"]:
        result = test_standard_normal_columns(eps)
        return [] if result.passed else [
            "Over many draws, (z - mu) / exp(0.5 * log_var) should be standard normal, but " + result.message + "."
        ]
    largest = eps.abs().max().item()
    if largest > MAX_PLAUSIBLE_NOISE:
        return [
            f"(z - mu) / exp(0.5 * log_var) reaches {largest:.3g}; a standard normal eps almost never exceeds "
            f"{MAX_PLAUSIBLE_NOISE:g} in magnitude, so z is not mu + exp(0.5 * log_var) * eps."
        ]
    return []


def _gradient_problems(case, tensors):
    tolerance = Tolerance(rtol=1e-4, atol=1e-5) if case.inputs["mu"].dtype == torch.float32 else Tolerance(1e-7, 1e-9)
    cotangent = case.inputs["cotangent"].double()
    problems = []
    for name in ("mu", "log_var"):
        if "grad." + name not in tensors:
            problems.append(f"No gradient reaches `{name}`: z must stay differentiable in it.")
    if problems:
        return problems
    z = tensors["z"].double()
    expected = {
        "mu": cotangent,
        "log_var": cotangent * 0.5 * (z - case.inputs["mu"].double()),
    }
    formulas = {"mu": "dz/dmu = 1", "log_var": "dz/dlog_var = 0.5 * (z - mu)"}
    for name, target in expected.items():
        got = tensors["grad." + name].double()
        if got.shape != target.shape or not torch.allclose(got, target, rtol=tolerance.rtol, atol=tolerance.atol):
            problems.append(f"The gradient with respect to `{name}` breaks the identity {formulas[name]}.")
    return problems


def _behaviour_problems(case, tensors):
    problems = []
    z, again = tensors["z"], tensors.get("z_again")
    if again is None or again.shape != z.shape:
        problems.append("A second call did not return a tensor of the same shape.")
    elif torch.equal(again, z):
        problems.append("Two calls returned the same z: the noise must be drawn fresh on every call.")
    seeded_a, seeded_b = tensors.get("z_seeded_a"), tensors.get("z_seeded_b")
    if seeded_a is None or seeded_b is None or not torch.equal(seeded_a, seeded_b):
        problems.append(
            "Reseeding with torch.manual_seed did not repeat the sample: draw the noise from torch's default generator."
        )
    for name in ("mu", "log_var"):
        after = tensors.get("after." + name)
        if after is None or not torch.equal(after, case.inputs[name]):
            problems.append(f"The input `{name}` was modified in place.")
    return problems


def evaluate_case(case, outcome, expected):
    """Grade one case by properties of the draw; returns one row per stage."""
    from grader.checking import compare_case

    if outcome is None or outcome.error is not None:
        return compare_case(case, outcome, expected)
    tensors = outcome.tensors
    shape = shape_problem("z", tensors.get("z"), expected["z"])
    stages = [(Stage.SHAPE, [shape] if shape else [])]
    if shape is None:
        stages += [
            (Stage.VALUE, _value_problems(case, tensors)),
            (Stage.GRADIENT, _gradient_problems(case, tensors)),
            (Stage.BEHAVIOUR, _behaviour_problems(case, tensors)),
        ]
    else:
        blocked = ["`z` cannot be checked until its shape and dtype are right."]
        stages += [(Stage.VALUE, blocked), (Stage.GRADIENT, blocked), (Stage.BEHAVIOUR, blocked)]

    rows = []
    for stage, problems in stages:
        passed = not problems
        if case.visible:
            message = " ".join(problems) or "Passed."
        else:
            message = "Passed." if passed else f"Wrong {stage.value} on a hidden input."
        rows.append(CheckResult(f"{case.title}: {stage.value}", case.visible, passed, message, stage, case.id))
    return rows


def diagnose(cases, outcomes, expected, rows):
    """Name the mistake from the implied noise scale and the behaviour across calls."""
    found = []
    for case in cases:
        outcome = outcomes.get(case.id)
        if outcome is None or outcome.error is not None or "z" not in outcome.tensors:
            continue
        tensors = outcome.tensors
        z = tensors["z"].double()
        if z.shape != case.inputs["mu"].shape:
            continue
        mu, log_var = case.inputs["mu"].double(), case.inputs["log_var"].double()
        if torch.equal(z, mu):
            found.append("no-noise")
            continue
        if "grad.mu" not in tensors and "grad.log_var" not in tensors:
            found.append("detached-sample")
        again = tensors.get("z_again")
        if again is not None and torch.equal(again, tensors["z"]):
            found.append("fixed-noise")
        elif not torch.equal(tensors.get("z_seeded_a", z), tensors.get("z_seeded_b", -z)):
            found.append("private-generator")
        if case.params["moments"]:
            deviation = (z - mu)[:, :]
            spread = deviation.std(dim=0)
            centre = deviation.mean(dim=0)
            candidates = {
                "no-half-in-exp": log_var[0].exp(),
                "log-var-as-std": log_var[0].abs(),
            }
            for misconception_id, scale in candidates.items():
                if torch.allclose(spread, scale, rtol=0.05):
                    found.append(misconception_id)
            uniform_scale = torch.exp(0.5 * log_var[0])
            if torch.allclose(centre, 0.5 * uniform_scale, rtol=0.05) and torch.allclose(
                spread, uniform_scale / 12**0.5, rtol=0.05
            ):
                found.append("uniform-noise")
    return list(dict.fromkeys(found))
