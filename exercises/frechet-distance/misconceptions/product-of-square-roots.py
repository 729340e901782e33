"""Misconception: (sigma1 sigma2)^(1/2) replaced by sigma1^(1/2) sigma2^(1/2), true only when they commute."""
import numpy as np
import scipy.linalg


def frechet_distance(mu1, sigma1, mu2, sigma2):
    difference = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1) @ scipy.linalg.sqrtm(sigma2)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(difference @ difference + np.trace(sigma1 + sigma2 - 2 * covmean))
