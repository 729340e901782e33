"""Cases and reference for frechet-distance: commuting and non-commuting, full-rank and singular covariances, digit features, seeded hidden variants.

The inputs are float64 tensors, which the probe hands to the learner as NumPy arrays.
"""

import dataclasses
import types

import numpy as np
import torch

from grader.checking import Case, Tolerance, compare_case
from grader.verdict import Stage

# scipy.linalg.sqrtm and eigenvalues of the non-symmetric product sigma1 @ sigma2 lose digits
# near zero eigenvalues (singular covariances): over 500 random singular pairs with D < 20 both
# stayed within 3e-7 of the reference's trace term, so 1e-5 leaves a wide margin while every
# wrong formula here is off by more than 0.01.
DISTANCE_TOLERANCE = Tolerance(rtol=1e-6, atol=1e-5)


def reference():
    from reference_models import frechet

    return types.SimpleNamespace(frechet_distance=frechet.frechet_distance)


def _case(case_id, title, mu1, sigma1, mu2, sigma2, *, seed=0, visible=True):
    tensors = {
        "mu1": torch.as_tensor(mu1, dtype=torch.float64),
        "sigma1": torch.as_tensor(sigma1, dtype=torch.float64),
        "mu2": torch.as_tensor(mu2, dtype=torch.float64),
        "sigma2": torch.as_tensor(sigma2, dtype=torch.float64),
    }
    return Case(case_id, title, visible, tensors, seed=seed, tolerances={"distance": DISTANCE_TOLERANCE})


def _covariance(rng, size, rank, scale=1.0):
    """Draw a PSD (size, size) matrix of the given rank, made exactly symmetric."""
    factor = rng.normal(size=(size, rank))
    matrix = scale * factor @ factor.T / rank
    return 0.5 * (matrix + matrix.T)


def _gaussians(seed, size, rank1, rank2, *, mean_shift=1.0):
    rng = np.random.default_rng(seed)
    mu1 = rng.normal(size=size)
    mu2 = mu1 + mean_shift * rng.normal(size=size)
    return mu1, _covariance(rng, size, rank1, 1.5), mu2, _covariance(rng, size, rank2, 0.7)


def _diagonal(seed, size):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=size), np.diag(rng.uniform(0.2, 3.0, size)),
            rng.normal(size=size), np.diag(rng.uniform(0.2, 3.0, size)))


def _identical(seed, size):
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=size)
    sigma = _covariance(rng, size, size) + 0.1 * np.eye(size)
    return mu, sigma, mu.copy(), sigma.copy()


def _digit_features(first_class, second_class, *, features, samples, seed):
    """Statistics of random tanh features of two digit classes, as FID computes them from a network's features."""
    from reference_models.data import digits

    images, labels = digits()
    generator = torch.Generator().manual_seed(seed)
    projection = torch.randn(images.shape[1], features, generator=generator, dtype=torch.float64) / 4.0
    statistics = []
    for label in (first_class, second_class):
        activations = torch.tanh(images[labels == label][:samples].double() @ projection).numpy()
        statistics += [activations.mean(axis=0), np.cov(activations, rowvar=False)]
    return statistics


def build_cases(variant_seed):
    cases = [
        _case("non-commuting", "non-commuting full-rank covariances (D=5)", *_gaussians(61, 5, 5, 5), seed=61),
        _case("diagonal", "diagonal covariances, which commute (D=4)", *_diagonal(62, 4), seed=62),
        _case("rank-deficient", "singular covariances of ranks 2 and 3 (D=6)", *_gaussians(63, 6, 2, 3), seed=63),
        _case("rank-one", "a rank-1 and a full-rank covariance (D=7)", *_gaussians(64, 7, 1, 7), seed=64),
        _case("identical", "identical Gaussians: distance 0 (D=3)", *_identical(65, 3), seed=65),
        _case("one-dimension", "one dimension (D=1)", *_gaussians(66, 1, 1, 1, mean_shift=2.0), seed=66),
        _case("equal-means", "equal means, different covariances (D=8)", *_gaussians(67, 8, 8, 5, mean_shift=0.0),
              seed=67),
        _case("digit-features", "features of digits 3 and 8 (D=10, 150 samples each)",
              *_digit_features(3, 8, features=10, samples=150, seed=68), seed=68),
        _case("few-samples", "features of 9 samples per class: singular (D=12)",
              *_digit_features(1, 7, features=12, samples=9, seed=69), seed=69),
    ]
    rng = np.random.default_rng(variant_seed)
    for index in range(3):
        size = int(rng.integers(2, 17))
        rank1, rank2 = (int(rank) for rank in rng.integers(1, size + 1, size=2))
        cases.append(
            _case(f"hidden-{index + 1}", f"hidden check {index + 1}",
                  *_gaussians(variant_seed * 10 + index, size, rank1, rank2), seed=variant_seed * 10 + index,
                  visible=False)
        )
    return cases


def _type_message(returned):
    if returned.startswith("complex"):
        return (
            f"frechet_distance returned a {returned}; expected a Python float. scipy.linalg.sqrtm returns a complex "
            "matrix with tiny imaginary parts when rounding leaves sigma1 @ sigma2 with slightly negative or complex "
            "eigenvalues, as singular covariances do. Keep the real part of the square root (.real) and return float(...)."
        )
    return f"frechet_distance returned a {returned}; expected a Python float. Convert the result with float(...)."


def evaluate_case(case, outcome, expected):
    """Grade a result that is not a float and explain what was returned. Return None for a float, which the default comparison grades."""
    if outcome is None or outcome.error is not None or "distance" in outcome.tensors:
        return None
    rows = compare_case(case, outcome, expected)
    if not case.visible:
        return rows
    message = _type_message(str(outcome.values.get("distance.type", "nothing")))
    return [dataclasses.replace(row, message=message) if row.stage is Stage.SHAPE else row for row in rows]


def diagnose(cases, outcomes, expected, rows):
    """Name complex-result when any case returned a complex number, which the output matcher cannot compare."""
    for case in cases:
        outcome = outcomes.get(case.id)
        if outcome is not None and outcome.error is None:
            if str(outcome.values.get("distance.type", "")).startswith("complex"):
                return ["complex-result"]
    return []
