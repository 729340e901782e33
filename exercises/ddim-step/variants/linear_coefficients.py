"""Correct variant: the step rewritten as c_x * x_t + c_eps * eps_pred + sigma * noise, coefficients in float64."""
import math


def ddim_step(x_t, eps_pred, alpha_bar_t, alpha_bar_prev, eta, noise):
    a_t, a_prev = float(alpha_bar_t), float(alpha_bar_prev)
    sigma_squared = eta**2 * (1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)
    ratio = math.sqrt(a_prev / a_t)
    c_x = ratio
    c_eps = math.sqrt(1 - a_prev - sigma_squared) - ratio * math.sqrt(1 - a_t)
    return c_x * x_t + c_eps * eps_pred + math.sqrt(sigma_squared) * noise
