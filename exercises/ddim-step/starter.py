import math

import torch


def ddim_step(x_t, eps_pred, alpha_bar_t, alpha_bar_prev, eta, noise):
    """Return the DDIM update from alpha_bar_t to alpha_bar_prev; the alpha-bars are floats or 0-d tensors."""
    raise NotImplementedError("write one DDIM step")
