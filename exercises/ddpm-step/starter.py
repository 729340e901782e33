import torch


def ddpm_step(x_t, t, eps_pred, betas, noise):
    """Return x_{t-1}: the posterior mean from eps_pred, plus sqrt(beta_tilde_t) * noise when t > 0."""
    raise NotImplementedError("write one reverse step")
