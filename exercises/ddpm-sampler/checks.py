"""Cases, reference and statistical evaluation for ddpm-sampler.

The samples are random, so they are graded by their distribution. The probe runs the learner's
sampler with the exact noise predictor of a known Gaussian mixture. The samples must match that
mixture (a Kolmogorov-Smirnov bound per axis) and cover its modes in proportion to their weights (a
binomial bound per mode). The behaviour stage checks the order of the steps and that the generator
argument alone drives the randomness.

False failures. Every statistical test below rejects a correct sampler with probability at most
ALPHA_PER_TEST, provided the sampler's own distribution is within the stated bias allowances of the
mixture. Allowances are needed because the ancestral sampler with finitely many steps is not exact.
A submission runs TESTS_PER_SUBMISSION such tests, so a correct one fails by chance with probability
at most TESTS_PER_SUBMISSION * ALPHA_PER_TEST = 8e-7 < 1e-6 (a union bound).
tests/grader/test_statistics_diffusion.py measures both the bias and the failure count over
2000 runs.
"""


# Misconceptions are named by diagnose() below: rerunning each buggy sampler costs seconds and
# draws other samples, so matching their outputs would find nothing.
MATCH_OUTPUTS = False

import base64
import dataclasses
import math
import types

import torch

from grader.checking import Case, compare_case, shape_problem
from grader.verdict import CheckResult, Stage

BATCH = 4000
# Samples in each of the three runs that check the use of the generator.
REPEAT_BATCH = 256
ALPHA_PER_TEST = 5e-8
# Two visible cases (2-D and 3-D, three modes each) and one hidden 2-D case: 2 + 3 + 2 axes and 3 + 3 + 3 modes.
TESTS_PER_SUBMISSION = 16
# The sampler's own marginal CDFs differ from the mixture's by a bias that shrinks with T and with
# wider modes. At T = 80 to 120 and mode scales 0.3 to 0.5, the Kolmogorov-Smirnov distance of the
# reference sampler from the mixture measured 0.01 to 0.02 (0.015 at T = 80, s = 0.3, from 300,000
# samples), and the slow tests check that this allowance covers every case.
KS_BIAS_ALLOWANCE = 0.035
# Likewise for the share of samples nearest each mode, whose measured bias is below 0.01. The modes
# are at least 3 standard deviations from every bisecting line, so the nearest-mode region of each
# component contains all but at most about 0.3 % of it.
WEIGHT_BIAS_ALLOWANCE = 0.02
# Dvoretzky-Kiefer-Wolfowitz with Massart's constant: P(sup |F_n - G| > eps) <= 2 exp(-2 n eps^2).
KS_SAMPLING_MARGIN = math.sqrt(math.log(2 / ALPHA_PER_TEST) / (2 * BATCH))
KS_THRESHOLD = KS_BIAS_ALLOWANCE + KS_SAMPLING_MARGIN


def reference():
    from reference_models import ddpm

    return types.SimpleNamespace(sample=ddpm.sample)


def _mixture_case(case_id, title, weights, means, stds, T, *, seed, visible=True, repeat=False):
    from reference_models.diffusion_schedules import scaled_linear_betas

    inputs = {
        "weights": torch.tensor(weights, dtype=torch.float64),
        "means": torch.tensor(means, dtype=torch.float64),
        "stds": torch.tensor(stds, dtype=torch.float64),
        "betas": scaled_linear_betas(T),
    }
    params = {"batch": BATCH, "seed": seed, "other_seed": seed + 1, "repeat": repeat, "repeat_batch": REPEAT_BATCH}
    return Case(case_id, title, visible, inputs, params=params, seed=seed)


def hidden_mixture(generator):
    """Draw a three-mode 2-D mixture whose modes stay well apart.

    The modes lie at radius 2.0 to 2.4 around a centre near the origin, at angles 120 degrees apart,
    each moved by up to 11.5 degrees. The scales s_k are 0.35 to 0.5 and T is 90 to 120, which keeps
    the bias of the finite-step sampler below that of the visible 3-D case (T = 80).

    Returns (weights, means, stds, T) as Python lists and an int.
    """
    # A flat Dirichlet draw (normalised exponentials), squeezed so that every weight is at least 0.15.
    exponentials = -torch.log(torch.rand(3, generator=generator, dtype=torch.float64))
    weights = (0.15 + 0.55 * exponentials / exponentials.sum()).tolist()
    base_angle = 2 * math.pi * float(torch.rand(1, generator=generator))
    centre = (0.8 * torch.rand(2, generator=generator, dtype=torch.float64) - 0.4).tolist()
    means, stds = [], []
    for index in range(3):
        angle = base_angle + 2 * math.pi * index / 3 + 0.2 * (2 * float(torch.rand(1, generator=generator)) - 1)
        radius = 2.0 + 0.4 * float(torch.rand(1, generator=generator))
        means.append([centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle)])
        stds.append(0.35 + 0.15 * float(torch.rand(1, generator=generator)))
    T = int(torch.randint(90, 121, (1,), generator=generator))
    return weights, means, stds, T


def build_cases(variant_seed):
    cases = [
        _mixture_case(
            "three-modes-2d", f"three modes in 2-D, weights 0.5/0.3/0.2, T=100, {BATCH} samples",
            [0.5, 0.3, 0.2], [[-1.5, 0.5], [1.5, 1.5], [0.5, -2.0]], [0.4, 0.3, 0.5], 100, seed=81, repeat=True,
        ),
        _mixture_case(
            "three-modes-3d", f"three modes in 3-D, weights 0.2/0.55/0.25, T=80, {BATCH} samples",
            [0.2, 0.55, 0.25], [[1.0, -1.0, 1.5], [-1.5, 0.5, 0.0], [1.0, 1.5, -1.5]], [0.35, 0.45, 0.3], 80, seed=82,
        ),
    ]
    weights, means, stds, T = hidden_mixture(torch.Generator().manual_seed(variant_seed))
    cases.append(_mixture_case("hidden-1", "hidden check 1", weights, means, stds, T,
                               seed=variant_seed, visible=False, repeat=True))
    return cases


@dataclasses.dataclass
class DistributionTest:
    """The outcome of the distribution checks on one set of samples (N, D)."""

    passed: bool
    problems: list[str]
    ks_distances: list[float]
    mode_fractions: list[float]
    mode_bounds: list[tuple[float, float]]


def mode_bounds(weight: float, count: int) -> tuple[int, int]:
    """Accepted numbers of samples nearest a mode of this weight, each tail at most ALPHA_PER_TEST / 2.

    If the true share p is within WEIGHT_BIAS_ALLOWANCE of the weight, the count is Binomial(count, p),
    and the binomial family is stochastically increasing in p, so the bounds at the ends of the
    allowance bound both tails.
    """
    from scipy import stats

    low_p = max(weight - WEIGHT_BIAS_ALLOWANCE, 0.0)
    high_p = min(weight + WEIGHT_BIAS_ALLOWANCE, 1.0)
    lower = int(stats.binom.ppf(ALPHA_PER_TEST / 2, count, low_p))
    upper = int(stats.binom.isf(ALPHA_PER_TEST / 2, count, high_p))
    return lower, upper


def evaluate_distribution(samples: torch.Tensor, weights: torch.Tensor, means: torch.Tensor, stds: torch.Tensor) -> DistributionTest:
    """Compare ``samples`` (N, D) with the mixture: one KS bound per axis, one binomial bound per mode."""
    from scipy import stats

    from reference_models.gaussian_mixture import marginal_cdf

    values = samples.detach().double()
    count, dim = values.shape
    if not torch.isfinite(values).all():
        bad = int((~torch.isfinite(values)).any(dim=1).sum())
        return DistributionTest(False, [f"{bad} of {count} samples contain NaN or infinite values."], [], [], [])

    problems = []
    distances = []
    for axis in range(dim):
        distance = float(stats.kstest(values[:, axis].numpy(), marginal_cdf(weights, means, stds, axis)).statistic)
        distances.append(distance)
        if distance > KS_THRESHOLD:
            problems.append(
                f"Along axis {axis} the samples' distribution is {distance:.3f} from the mixture's "
                f"(Kolmogorov-Smirnov distance; at most {KS_THRESHOLD:.3f} is accepted)."
            )

    nearest = torch.cdist(values, means.double()).argmin(dim=1)  # (N,)
    fractions, bounds = [], []
    for mode, weight in enumerate(weights.tolist()):
        hits = int((nearest == mode).sum())
        lower, upper = mode_bounds(weight, count)
        fractions.append(hits / count)
        bounds.append((lower / count, upper / count))
        if not lower <= hits <= upper:
            centre = ", ".join(f"{value:.2f}" for value in means[mode].tolist())
            problems.append(
                f"Mode {mode} at ({centre}) has weight {weight:.2f}, but {hits / count:.1%} of the samples are "
                f"nearest to it (accepted: {lower / count:.1%} to {upper / count:.1%})."
            )
    return DistributionTest(not problems, problems, distances, fractions, bounds)


def _value_problems(case, tensors):
    inputs = case.inputs
    return evaluate_distribution(tensors["samples"], inputs["weights"], inputs["means"], inputs["stds"]).problems


def _behaviour_problems(case, tensors):
    problems = []
    T = case.inputs["betas"].shape[0]
    timesteps = tensors.get("state.timesteps")
    expected_steps = torch.arange(T - 1, -1, -1)
    if timesteps is None or not torch.equal(timesteps, expected_steps):
        shown = timesteps[:6].tolist() if timesteps is not None else []
        problems.append(
            f"The denoiser should be called once per step with t = {T - 1}, {T - 2}, ..., 0 ({T} calls); "
            f"it was called {0 if timesteps is None else timesteps.numel()} times, first with t = {shown}."
        )
    if case.params.get("repeat"):
        first = tensors.get("repeat_first")
        same, other = tensors.get("repeat_same_seed"), tensors.get("repeat_other_seed")
        if first is None or not _identical(same, first):
            problems.append(
                "A generator seeded the same way did not repeat the samples: draw x_T and every step's noise "
                "with `generator` (torch.randn(shape, generator=generator)), never from torch's global generator."
            )
        if first is not None and torch.isfinite(first).all() and _identical(other, first):
            problems.append("A generator with another seed gave the same samples: the noise must come from `generator`.")
    after = tensors.get("after.betas")
    if after is None or not torch.equal(after, case.inputs["betas"]):
        problems.append("The input `betas` was modified in place.")
    return problems


def evaluate_case(case, outcome, expected):
    """Grade one case by the distribution of the samples and the sampler's behaviour; one row per stage."""
    if outcome is None or outcome.error is not None:
        return compare_case(case, outcome, expected)
    tensors = outcome.tensors
    shape = shape_problem("samples", tensors.get("samples"), expected["samples"])
    stages = [(Stage.SHAPE, [shape] if shape else [])]
    if shape is None:
        stages += [(Stage.VALUE, _value_problems(case, tensors)), (Stage.BEHAVIOUR, _behaviour_problems(case, tensors))]
    else:
        blocked = ["`samples` cannot be checked until its shape and dtype are right."]
        stages += [(Stage.VALUE, blocked), (Stage.BEHAVIOUR, blocked)]

    rows = []
    for stage, problems in stages:
        passed = not problems
        if case.visible:
            message = " ".join(problems) or "Passed."
        else:
            message = "Passed." if passed else f"Wrong {stage.value} on a hidden input."
        rows.append(CheckResult(f"{case.title}: {stage.value}", case.visible, passed, message, stage, case.id))
    return rows


def spread_ratio(samples: torch.Tensor, means: torch.Tensor, stds: torch.Tensor) -> float:
    """Estimate the spread, in units of its s_k, of the samples nearest the most popular mode.

    The spread is 1.4826 times the median absolute deviation from the median, averaged over axes:
    the standard deviation for normal data, and unmoved by a few stray samples. A sampler that
    collapses the samples onto one point gives about 0 even when that point is off the mode. A
    correct sampler gives about 0.9, because the finite-step sampler is slightly too narrow.
    """
    values = samples.double()
    nearest = torch.cdist(values, means.double()).argmin(dim=1)  # (N,)
    mode = int(torch.bincount(nearest, minlength=means.shape[0]).argmax())
    members = values[nearest == mode]  # (M, D)
    deviations = (members - members.median(dim=0).values).abs()  # (M, D)
    return 1.4826 * float(deviations.median(dim=0).values.mean()) / float(stds[mode])


def _identical(first: torch.Tensor | None, second: torch.Tensor) -> bool:
    """True when both tensors hold the same values, NaN in the same places counting as equal."""
    if first is None or first.shape != second.shape:
        return False
    return torch.equal(first.isnan(), second.isnan()) and torch.equal(first.nan_to_num(), second.nan_to_num())


def diagnose(cases, outcomes, expected, rows):
    """Name the mistake from the steps the denoiser saw, the generator behaviour and the spread of the samples."""
    found = []
    for case in cases:
        outcome = outcomes.get(case.id)
        if outcome is None or outcome.error is not None or "samples" not in outcome.tensors:
            continue
        tensors = outcome.tensors
        samples = tensors["samples"]
        T = case.inputs["betas"].shape[0]

        timesteps = tensors.get("state.timesteps")
        in_wrong_order = timesteps is not None and torch.equal(timesteps, torch.arange(T))
        if in_wrong_order:
            found.append("steps-in-wrong-order")
        first = tensors.get("repeat_first")
        if case.params.get("repeat") and first is not None:
            same, other = tensors.get("repeat_same_seed"), tensors.get("repeat_other_seed")
            if same is not None and not _identical(same, first):
                found.append("global-generator")
            if torch.isfinite(first).all() and _identical(other, first):
                found.append("generator-ignored")

        if samples.dim() != 2 or samples.shape[1] != case.inputs["means"].shape[1]:
            continue
        if not torch.isfinite(samples).all() or samples.abs().max() > 1e3:
            found.append("alpha-bar-in-mean")
            continue
        if in_wrong_order:
            continue
        ratio = spread_ratio(samples, case.inputs["means"], case.inputs["stds"])
        if ratio < 0.13:
            found.append("no-reverse-noise")
        elif ratio < 0.6:
            found.append("variance-without-sqrt")
        elif ratio > 1.6:
            found.append("noise-at-last-step")
    return list(dict.fromkeys(found))


def _scatter_svg(samples, means, stds, limit=1500):
    """Draw an SVG scatter of the first two coordinates of ``samples``, with a circle of radius 2 s_k around each mode."""
    points = samples[:limit, :2].double()
    centres = means[:, :2].double()
    low = torch.minimum(points.min(0).values, centres.min(0).values - 2 * stds.max()) - 0.2
    high = torch.maximum(points.max(0).values, centres.max(0).values + 2 * stds.max()) + 0.2
    size = 360.0
    scale = size / float((high - low).max())

    def position(point):
        return (float(point[0] - low[0]) * scale, size - float(point[1] - low[1]) * scale)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size:.0f}" height="{size:.0f}" viewBox="0 0 {size:.0f} {size:.0f}">',
             f'<rect width="{size:.0f}" height="{size:.0f}" fill="white"/>']
    for point in points:
        x, y = position(point)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.2" fill="#1f77b4" fill-opacity="0.5"/>')
    for centre, std in zip(centres, stds.tolist()):
        x, y = position(centre)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{2 * std * scale:.1f}" fill="none" stroke="#d62728" stroke-width="1.5"/>')
    parts.append("</svg>")
    return "".join(parts)


def artifacts(cases, outcomes, expected):
    """Return a scatter of the learner's samples for the first visible case, with the mixture's modes drawn in."""
    for case in cases:
        outcome = outcomes.get(case.id)
        if not case.visible or outcome is None or outcome.error is not None:
            continue
        samples = outcome.tensors.get("samples")
        if samples is None or samples.dim() != 2 or samples.shape[1] < 2 or not torch.isfinite(samples).all():
            continue
        svg = _scatter_svg(samples, case.inputs["means"], case.inputs["stds"])
        return {"images": [{
            "title": f"{case.title}: your samples (blue) and circles of two standard deviations around each mode (red)",
            "media_type": "image/svg+xml",
            "data": base64.b64encode(svg.encode()).decode("ascii"),
        }]}
    return {}
