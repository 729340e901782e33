import numpy as np
import scipy.linalg


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)) as a Python float.

    mu1 and mu2 are float64 arrays of shape (D,), sigma1 and sigma2 symmetric positive semi-definite (D, D).
    """
    raise NotImplementedError("write the Fréchet distance between two Gaussians")
