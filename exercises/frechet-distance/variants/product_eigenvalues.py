"""Correct variant: Tr((sigma1 sigma2)^(1/2)) as the sum of the square roots of the product's eigenvalues.

Those eigenvalues are real and non-negative in exact arithmetic, but rounding can leave tiny imaginary
parts or tiny negative values, which are dropped.
"""
import numpy as np


def frechet_distance(mu1, sigma1, mu2, sigma2):
    eigenvalues = np.linalg.eigvals(sigma1 @ sigma2).real
    trace_covmean = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2) - 2.0 * trace_covmean)
