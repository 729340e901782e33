"""Misconception: rows are collected as lists and turned into one NumPy array, so every value becomes a string."""
import numpy as np
import pandas as pd

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def fit_generate(train, n_rows, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for index in rng.integers(0, len(train), size=n_rows):
        row = train.iloc[index]
        group = train[train["species"] == row["species"]][NUMERIC]
        numbers = rng.normal(group.mean().to_numpy(), group.std().to_numpy())
        rows.append([row["species"], row["island"], row["sex"], *numbers])
    return pd.DataFrame(np.array(rows), columns=list(train.columns))
