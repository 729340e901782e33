"""Misconception: the factor 2 in front of the square-root term is missing."""
import numpy as np
import scipy.linalg


def frechet_distance(mu1, sigma1, mu2, sigma2):
    difference = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    return float(difference @ difference + np.trace(sigma1 + sigma2 - covmean))
