"""Misconception: the imaginary part that sqrtm can return is kept, so the result may be complex."""
import numpy as np
import scipy.linalg


def frechet_distance(mu1, sigma1, mu2, sigma2):
    difference = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    return difference @ difference + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)
