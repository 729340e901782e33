"""Misconception: the categorical columns are rebuilt from integer codes, so their values are 0, 1, 2 instead of names."""
import numpy as np
import pandas as pd

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def fit_generate(train, n_rows, seed):
    rng = np.random.default_rng(seed)
    codes = np.column_stack([train[c].cat.codes.to_numpy() for c in ["species", "island", "sex"]])
    picks = codes[rng.integers(0, len(train), size=n_rows)]
    numbers = np.empty((n_rows, len(NUMERIC)))
    for species in np.unique(picks[:, 0]):
        chosen = picks[:, 0] == species
        values = train[train["species"].cat.codes == species][NUMERIC].to_numpy()
        numbers[chosen] = rng.multivariate_normal(values.mean(0), np.cov(values.T), size=int(chosen.sum()))
    synthetic = pd.DataFrame({
        "species": pd.Categorical(picks[:, 0]),
        "island": pd.Categorical(picks[:, 1]),
        "sex": pd.Categorical(picks[:, 2]),
    })
    for i, name in enumerate(NUMERIC):
        synthetic[name] = numbers[:, i]
    return synthetic
