"""Misconception: every column is sampled on its own from its overall distribution, ignoring the species."""
import numpy as np
import pandas as pd


def fit_generate(train, n_rows, seed):
    rng = np.random.default_rng(seed)
    synthetic = {}
    for name in train.columns:
        column = train[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            frequencies = column.value_counts(normalize=True)
            values = rng.choice(frequencies.index.to_numpy(), size=n_rows, p=frequencies.to_numpy())
            synthetic[name] = pd.Categorical(values, categories=column.cat.categories)
        else:
            synthetic[name] = rng.normal(column.mean(), column.std(), size=n_rows)
    return pd.DataFrame(synthetic)
