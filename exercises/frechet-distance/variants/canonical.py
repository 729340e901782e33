"""Correct variant: scipy.linalg.sqrtm of the product, keeping the real part, as FID code usually does."""
import numpy as np
import scipy.linalg


def frechet_distance(mu1, sigma1, mu2, sigma2):
    difference = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(difference @ difference + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
