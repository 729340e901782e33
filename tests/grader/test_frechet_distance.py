"""frechet-distance: the reference on hand-computed cases, and how results that are not floats are graded."""

import textwrap

import numpy as np
import pytest
import scipy.linalg

from grader.verdict import Stage, Status
from reference_models.frechet import frechet_distance


def test_frechet_distance_diagonal_example():
    distance = frechet_distance(np.zeros(2), np.diag([1.0, 4.0]), np.array([1.0, 2.0]), np.diag([4.0, 1.0]))

    assert isinstance(distance, float)
    assert distance == pytest.approx(7.0, abs=1e-12)


def test_frechet_distance_non_commuting_singular_example():
    corner = np.array([[1.0, 0.0], [0.0, 0.0]])
    ones = np.ones((2, 2))

    distance = frechet_distance(np.zeros(2), corner, np.zeros(2), ones)

    assert distance == pytest.approx(1.0, abs=1e-12)


def test_frechet_distance_matches_sqrtm_for_full_rank():
    rng = np.random.default_rng(3)
    first, second = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    sigma1, sigma2 = first @ first.T + np.eye(6), second @ second.T + np.eye(6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2 * covmean)

    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"sigma1 and sigma2 must have shape \(2, 2\), got \(3, 3\) and \(2, 2\)"):
        frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))


EIGENVALUE_BODY = """
    import numpy as np

    def frechet_distance(mu1, sigma1, mu2, sigma2):
        eigenvalues = np.linalg.eigvals(sigma1 @ sigma2).real
        trace_covmean = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
        return {result}
    """
DISTANCE = "np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2) - 2.0 * trace_covmean"


def test_frechet_distance_numpy_float64_passes(grade_source):
    source = textwrap.dedent(EIGENVALUE_BODY.format(result=DISTANCE))

    verdict = grade_source("frechet-distance", source)

    assert verdict.status is Status.PASSED, [check.message for check in verdict.checks if not check.passed]


def test_frechet_distance_array_result_fails_at_shape(grade_source):
    source = textwrap.dedent(EIGENVALUE_BODY.format(result=f"np.asarray({DISTANCE})"))

    verdict = grade_source("frechet-distance", source)

    assert verdict.status is Status.FAILED
    shape_rows = [check for check in verdict.checks if check.stage is Stage.SHAPE and check.visible]
    assert shape_rows
    assert all(not check.passed for check in shape_rows)
    assert shape_rows[0].message == (
        "frechet_distance returned a ndarray; expected a Python float. Convert the result with float(...)."
    )
    assert verdict.diagnosis == []


def test_frechet_distance_complex_result_is_diagnosed(grade_source):
    source = textwrap.dedent(EIGENVALUE_BODY.format(result=f"complex({DISTANCE})"))

    verdict = grade_source("frechet-distance", source)

    assert verdict.status is Status.FAILED
    assert [item.id for item in verdict.diagnosis] == ["complex-result"]
    first_shape = next(check for check in verdict.checks if check.stage is Stage.SHAPE)
    assert first_shape.message.startswith("frechet_distance returned a complex; expected a Python float.")
