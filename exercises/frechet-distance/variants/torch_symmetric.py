"""Correct variant: in torch, through the symmetric matrix sigma1^(1/2) sigma2 sigma1^(1/2), which is similar to sigma1 sigma2."""
import torch


def _sqrt_psd(matrix):
    eigenvalues, eigenvectors = torch.linalg.eigh(matrix)
    return eigenvectors @ torch.diag(eigenvalues.clamp_min(0).sqrt()) @ eigenvectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    mu1, mu2 = torch.from_numpy(mu1), torch.from_numpy(mu2)
    sigma1, sigma2 = torch.from_numpy(sigma1), torch.from_numpy(sigma2)
    root = _sqrt_psd(sigma1)
    middle = root @ sigma2 @ root
    middle = (middle + middle.T) / 2
    trace_covmean = torch.linalg.eigvalsh(middle).clamp_min(0).sqrt().sum()
    distance = (mu1 - mu2).pow(2).sum() + torch.trace(sigma1) + torch.trace(sigma2) - 2 * trace_covmean
    return distance.item()
