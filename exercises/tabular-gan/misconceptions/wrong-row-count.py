"""Misconception: the table has as many rows as the training table, whatever n_rows is."""
import numpy as np
import pandas as pd

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def fit_generate(train, n_rows, seed):
    rng = np.random.default_rng(seed)
    synthetic = train[["species", "island", "sex"]].copy().reset_index(drop=True)
    for name in NUMERIC:
        synthetic[name] = 0.0
    for (species, sex), group in train.groupby(["species", "sex"], observed=True):
        chosen = ((synthetic["species"] == species) & (synthetic["sex"] == sex)).to_numpy()
        values = group[NUMERIC].to_numpy()
        synthetic.loc[chosen, NUMERIC] = rng.multivariate_normal(values.mean(0), np.cov(values.T), size=int(chosen.sum()))
    return synthetic
