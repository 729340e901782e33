"""Misconception: eta enters sigma squared."""
import math

import torch


def ddim_step(x_t, eps_pred, alpha_bar_t, alpha_bar_prev, eta, noise):
    a_t, a_prev = float(alpha_bar_t), float(alpha_bar_prev)
    x0 = (x_t - math.sqrt(1 - a_t) * eps_pred) / math.sqrt(a_t)
    sigma = eta**2 * math.sqrt((1 - a_prev) / (1 - a_t)) * math.sqrt(1 - a_t / a_prev)
    return math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev - sigma**2) * eps_pred + sigma * noise
