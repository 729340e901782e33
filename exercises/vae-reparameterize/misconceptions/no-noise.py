"""Misconception: no noise at all."""
import torch


def reparameterize(mu, log_var):
    return mu + 0 * log_var
