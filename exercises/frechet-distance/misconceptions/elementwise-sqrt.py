"""Misconception: the square root of sigma1 @ sigma2 is taken entry by entry."""
import numpy as np


def frechet_distance(mu1, sigma1, mu2, sigma2):
    difference = mu1 - mu2
    covmean = np.sqrt(sigma1 @ sigma2)
    return float(difference @ difference + np.trace(sigma1 + sigma2 - 2 * covmean))
