"""Misconception: the direction term keeps sqrt(1 - alpha_bar_prev), without subtracting sigma^2."""
import math

import torch


def ddim_step(x_t, eps_pred, alpha_bar_t, alpha_bar_prev, eta, noise):
    a_t, a_prev = float(alpha_bar_t), float(alpha_bar_prev)
    x0 = (x_t - math.sqrt(1 - a_t) * eps_pred) / math.sqrt(a_t)
    sigma = eta * math.sqrt((1 - a_prev) / (1 - a_t)) * math.sqrt(1 - a_t / a_prev)
    return math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps_pred + sigma * noise
