"""The statistical checks of vae-reparameterize: a correct sampler almost never fails, a wrong one always does.

These run on the trusted side, without the sandbox, over the same evaluation
the grader applies to the learner's outputs.
"""

import pytest
import torch

from grader.checking import CaseOutcome, run_probe
from grader.exercise import get_exercise, load_module_from_path
from grader.grading import probe_for
from grader.stats import false_failure_bound
from grader.verdict import Stage


def _moment_cases(variant_seed):
    checks = get_exercise("vae-reparameterize").checks()
    return checks, [case for case in checks.build_cases(variant_seed) if case.params["moments"]]


def _value_rows(checks, module, case):
    probe = probe_for(get_exercise("vae-reparameterize"))
    outputs = run_probe(probe, module, case)
    rows = checks.evaluate_case(case, CaseOutcome(tensors=outputs, values={}), outputs)
    return [row for row in rows if row.stage is Stage.VALUE]


def test_stated_false_failure_rate_is_below_one_in_a_million():
    assert false_failure_bound(columns=5) < 1e-6


def test_uniform_noise_fails_the_moment_check():
    checks, cases = _moment_cases(variant_seed=3)
    exercise = get_exercise("vae-reparameterize")
    wrong = load_module_from_path(exercise.misconception("uniform-noise").path, "uniform_noise_for_test")

    for case in cases:
        assert [row.passed for row in _value_rows(checks, wrong, case)] == [False]


@pytest.mark.slow
def test_reference_passes_moment_checks_over_many_seeds():
    checks, _ = _moment_cases(variant_seed=0)
    reference = checks.reference()
    failures = []
    for seed in range(300):
        for case in _moment_cases(variant_seed=seed)[1]:
            case.seed = 100_000 + seed  # a fresh draw of the noise for every repetition
            torch.manual_seed(case.seed)
            if not all(row.passed for row in _value_rows(checks, reference, case)):
                failures.append((seed, case.id))

    # With a false-failure rate below 1e-6 per case, 600 cases fail with probability below 6e-4.
    assert failures == []
