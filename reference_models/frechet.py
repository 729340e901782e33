"""Fréchet distance between two Gaussians, the statistic behind FID.

Dowson and Landau, "The Fréchet distance between multivariate normal distributions" (1982),
give the squared distance between N(mu1, sigma1) and N(mu2, sigma2) as

    d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)),

and Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
Equilibrium" (2017), apply it to Inception features as the FID. Symbols:

| name   | symbol  | shape  |
| ------ | ------- | ------ |
| mu1    | mu_1    | (D,)   |
| sigma1 | Sigma_1 | (D, D) |
| mu2    | mu_2    | (D,)   |
| sigma2 | Sigma_2 | (D, D) |

The product sigma1 sigma2 is not symmetric, but with S = sigma1^(1/2) it is similar to
S sigma2 S = S^(-1) (sigma1 sigma2) S, which is symmetric positive semi-definite. So
Tr((sigma1 sigma2)^(1/2)) is the sum of the square roots of the eigenvalues of S sigma2 S,
which symmetric eigen-decompositions give accurately even when either covariance is singular
(the similarity argument extends to singular sigma1 by continuity).
"""

from __future__ import annotations

import numpy as np


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Return the symmetric square root of a symmetric PSD matrix, taking eigenvalues below 0 from rounding as 0."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)  # (D,), (D, D)
    roots = np.sqrt(np.clip(eigenvalues, 0.0, None))  # (D,)
    return (eigenvectors * roots) @ eigenvectors.T  # (D, D)


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """Return Tr((sigma1 sigma2)^(1/2)) for symmetric PSD sigma1, sigma2."""
    root1 = _psd_sqrt(sigma1)  # (D, D)
    middle = root1 @ sigma2 @ root1  # (D, D)
    middle = 0.5 * (middle + middle.T)  # make it exactly symmetric for eigvalsh
    eigenvalues = np.linalg.eigvalsh(middle)  # (D,)
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Return ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)) as a Python float.

    The arguments are float64 arrays, and sigma1 and sigma2 must be symmetric positive semi-definite.
    """
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    sigma1, sigma2 = np.asarray(sigma1, dtype=np.float64), np.asarray(sigma2, dtype=np.float64)
    if mu1.ndim != 1 or mu1.shape != mu2.shape:
        raise ValueError(f"mu1 and mu2 must have one shape (D,), got {mu1.shape} and {mu2.shape}")
    expected = (mu1.shape[0], mu1.shape[0])
    if sigma1.shape != expected or sigma2.shape != expected:
        raise ValueError(f"sigma1 and sigma2 must have shape {expected}, got {sigma1.shape} and {sigma2.shape}")
    difference = mu1 - mu2  # (D,)
    trace_term = np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt_product(sigma1, sigma2)
    return float(difference @ difference + trace_term)
