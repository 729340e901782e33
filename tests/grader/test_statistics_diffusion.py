"""The ddpm-sampler statistics: the reference passes over many runs, and wrong samplers are rejected.

These tests call the exercise's checks on the trusted side, without a sandbox. The slow ones draw
8 million samples with the reference sampler. They show what the statement promises: no false
failure in 2000 runs, and a bias of the finite-step sampler within the allowances of the thresholds.
"""

import math

import pytest
import torch

from grader.checking import CaseOutcome, run_probe
from grader.exercise import get_exercise, load_module_from_path
from grader.verdict import Stage

SLUG = "ddpm-sampler"
RUNS_PER_CALL = 25


@pytest.fixture(scope="module")
def exercise():
    return get_exercise(SLUG)


@pytest.fixture(scope="module")
def checks(exercise):
    return exercise.checks()


@pytest.fixture(scope="module")
def probe(exercise):
    return load_module_from_path(exercise.probe_path, "probe_ddpm_sampler_statistics")


def _case(checks, case_id, variant_seed=0):
    return next(case for case in checks.build_cases(variant_seed) if case.id == case_id)


def _reference_runs(checks, case, runs, seed):
    """Draw ``runs`` independent sets of BATCH reference samples for ``case``: a list of (BATCH, D) tensors.

    Rows of one sampler call are independent, so one call with RUNS_PER_CALL * BATCH rows gives
    RUNS_PER_CALL independent runs at a fraction of the cost.
    """
    from reference_models.ddpm import sample
    from reference_models.gaussian_mixture import mixture_denoiser

    inputs = case.inputs
    betas = inputs["betas"]
    denoiser = mixture_denoiser(inputs["weights"], inputs["means"], inputs["stds"], torch.cumprod(1 - betas.double(), 0))
    generator = torch.Generator().manual_seed(seed)
    dim = inputs["means"].shape[1]
    result = []
    while len(result) < runs:
        count = min(RUNS_PER_CALL, runs - len(result))
        samples = sample(denoiser, (count * checks.BATCH, dim), betas, generator)
        result.extend(samples.split(checks.BATCH))
    return result


@pytest.fixture(scope="module")
def reference_runs(checks):
    """2000 runs of the reference sampler: 800 and 600 on the two visible cases, 600 on 30 hidden variants."""
    torch.set_num_threads(1)
    configurations = [(_case(checks, "three-modes-2d"), 800), (_case(checks, "three-modes-3d"), 600)]
    configurations += [(_case(checks, "hidden-1", variant_seed), 20) for variant_seed in range(1000, 1030)]
    return [(case, _reference_runs(checks, case, runs, seed=index)) for index, (case, runs) in enumerate(configurations)]


@pytest.mark.slow
def test_reference_sampler_never_fails_in_2000_runs(checks, reference_runs):
    failures = []
    runs = 0
    for case, samples_list in reference_runs:
        inputs = case.inputs
        for samples in samples_list:
            result = checks.evaluate_distribution(samples, inputs["weights"], inputs["means"], inputs["stds"])
            runs += 1
            if not result.passed:
                failures.append((case.id, result.problems))

    assert runs == 2000
    assert failures == []


@pytest.mark.slow
def test_reference_sampler_bias_within_allowances(checks, reference_runs):
    from scipy import stats

    from reference_models.gaussian_mixture import marginal_cdf

    for case, samples_list in reference_runs:
        inputs = case.inputs
        pooled = torch.cat(samples_list).double()
        count = pooled.shape[0]
        # The pooled distance is the bias plus sampling noise of at most about 2 / sqrt(count).
        noise = 2 / math.sqrt(count)
        for axis in range(pooled.shape[1]):
            cdf = marginal_cdf(inputs["weights"], inputs["means"], inputs["stds"], axis)
            distance = stats.kstest(pooled[:, axis].numpy(), cdf).statistic
            assert distance + noise < checks.KS_BIAS_ALLOWANCE, (case.id, axis, distance)

        nearest = torch.cdist(pooled, inputs["means"]).argmin(dim=1)
        for mode, weight in enumerate(inputs["weights"].tolist()):
            share = float((nearest == mode).double().mean())
            assert abs(share - weight) + noise < checks.WEIGHT_BIAS_ALLOWANCE, (case.id, mode, share, weight)


def test_false_failure_bound_below_one_in_million(checks):
    cases = checks.build_cases(0)
    tests = sum(case.inputs["means"].shape[1] + case.inputs["means"].shape[0] for case in cases)

    assert tests == checks.TESTS_PER_SUBMISSION
    assert checks.TESTS_PER_SUBMISSION * checks.ALPHA_PER_TEST < 1e-6
    assert 2 * math.exp(-2 * checks.BATCH * checks.KS_SAMPLING_MARGIN**2) == pytest.approx(checks.ALPHA_PER_TEST)


def test_exact_mixture_samples_pass(checks):
    from reference_models.gaussian_mixture import sample_mixture

    case = _case(checks, "three-modes-2d")
    inputs = case.inputs
    generator = torch.Generator().manual_seed(5)

    samples = sample_mixture(inputs["weights"], inputs["means"], inputs["stds"], checks.BATCH, generator).float()
    result = checks.evaluate_distribution(samples, inputs["weights"], inputs["means"], inputs["stds"])

    assert result.passed, result.problems


@pytest.mark.parametrize("misconception_id", ["no-reverse-noise", "noise-at-last-step", "variance-without-sqrt"])
def test_distribution_check_rejects_wrong_sampler(exercise, checks, probe, misconception_id):
    case = _case(checks, "three-modes-2d")
    module = load_module_from_path(exercise.misconception(misconception_id).path, f"wrong_sampler_{misconception_id}")
    expected = run_probe(probe, checks.reference(), case)

    outcome = CaseOutcome(run_probe(probe, module, case), {})
    rows = checks.evaluate_case(case, outcome, expected)

    value_rows = [row for row in rows if row.stage is Stage.VALUE]
    assert len(value_rows) == 1
    assert not value_rows[0].passed
    assert "Kolmogorov-Smirnov" in value_rows[0].message
    assert checks.diagnose([case], {case.id: outcome}, {case.id: expected}, rows) == [misconception_id]


def test_probe_denoiser_matches_reference_denoiser(checks, probe):
    from reference_models.gaussian_mixture import mixture_denoiser

    case = _case(checks, "three-modes-3d")
    inputs = case.inputs
    betas = inputs["betas"]
    reference = mixture_denoiser(inputs["weights"], inputs["means"], inputs["stds"], torch.cumprod(1 - betas.double(), 0))
    copy = probe.make_denoiser(inputs["weights"], inputs["means"], inputs["stds"], betas, [])
    generator = torch.Generator().manual_seed(3)
    x_t = 2 * torch.randn(64, 3, generator=generator)
    t_batch = torch.randint(0, betas.shape[0], (64,), generator=generator)

    torch.testing.assert_close(copy(x_t, t_batch), reference(x_t, t_batch), rtol=1e-6, atol=1e-7)


def test_probe_denoiser_rejects_integer_step(checks, probe):
    case = _case(checks, "three-modes-2d")
    inputs = case.inputs
    denoiser = probe.make_denoiser(inputs["weights"], inputs["means"], inputs["stds"], inputs["betas"], [])

    with pytest.raises(TypeError, match=r"expects t_batch as a long tensor of shape \(4,\)"):
        denoiser(torch.zeros(4, 2), 5)
