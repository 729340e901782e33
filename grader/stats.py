"""Statistical checks for randomized exercises, each with a stated false-failure rate.

Runs on the trusted side. A correct sampler fails a check only by chance;
the thresholds below bound that chance, and the slow tests measure it over
many seeds.
"""

from __future__ import annotations

import dataclasses
import math

import torch

# Two-sided tail of a standard normal beyond 5.6 standard errors: about 2.1e-8.
Z_THRESHOLD = 5.6
Z_FALSE_FAILURE = math.erfc(Z_THRESHOLD / math.sqrt(2))
# The Kolmogorov-Smirnov test rejects below this p-value.
KS_MIN_P_VALUE = 2e-7


@dataclasses.dataclass
class StandardNormalTest:
    passed: bool
    message: str
    mean_z: list[float]
    variance_z: list[float]
    ks_p_value: float


def test_standard_normal_columns(samples: torch.Tensor) -> StandardNormalTest:
    """Test that every column of ``samples`` (N, L) is a standard normal sample.

    Each column's mean must be within Z_THRESHOLD standard errors of 0, and its
    sample variance within Z_THRESHOLD standard errors of 1 (the standard error
    of a normal sample's variance is sqrt(2 / N)). A Kolmogorov-Smirnov test
    compares all values with N(0, 1). The false-failure rate is at most
    2 * L * Z_FALSE_FAILURE + KS_MIN_P_VALUE.
    """
    from scipy import stats

    values = samples.double()
    count = values.shape[0]
    mean_z = (values.mean(dim=0) * math.sqrt(count)).tolist()
    variance_z = ((values.var(dim=0) - 1.0) * math.sqrt(count / 2.0)).tolist()
    flat = values.reshape(-1).numpy()
    ks_p_value = float(stats.kstest(flat, "norm").pvalue) if math.isfinite(flat.sum()) else 0.0

    problems = []
    for column, z in enumerate(mean_z):
        if not abs(z) < Z_THRESHOLD:
            problems.append(f"the mean of latent dimension {column} is {z:.1f} standard errors from the expected value")
    for column, z in enumerate(variance_z):
        if not abs(z) < Z_THRESHOLD:
            problems.append(f"the spread of latent dimension {column} is {z:.1f} standard errors from the expected value")
    if not ks_p_value > KS_MIN_P_VALUE:
        problems.append(f"the standardized noise does not look standard normal (Kolmogorov-Smirnov p = {ks_p_value:.2g})")
    message = "; ".join(problems[:3]) if problems else "Passed."
    return StandardNormalTest(not problems, message, mean_z, variance_z, ks_p_value)


def false_failure_bound(columns: int) -> float:
    return 2 * columns * Z_FALSE_FAILURE + KS_MIN_P_VALUE
