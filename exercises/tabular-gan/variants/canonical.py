"""Correct variant: a Gaussian copula per species, with each measurement's empirical marginal within the species."""
import numpy as np
import pandas as pd
from scipy import stats

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def _fit_copula(values):
    """Normal scores of the ranks, and their correlation."""
    ranks = stats.rankdata(values, axis=0) / (len(values) + 1)
    scores = stats.norm.ppf(ranks)
    return np.corrcoef(scores.T)


def _sample_marginal(column, uniform):
    """Invert a smoothed empirical distribution: linear interpolation between sorted values, extended by half a step."""
    ordered = np.sort(column)
    positions = (np.arange(len(ordered)) + 0.5) / len(ordered)
    return np.interp(uniform, positions, ordered, left=ordered[0], right=ordered[-1])


def fit_generate(train, n_rows, seed):
    rng = np.random.default_rng(seed)
    frequencies = train["species"].value_counts(normalize=True, sort=False)
    species = rng.choice(frequencies.index.to_numpy(), size=n_rows, p=frequencies.to_numpy())

    parts = []
    for name in frequencies.index:
        count = int((species == name).sum())
        if count == 0:
            continue
        group = train[train["species"] == name]
        values = group[NUMERIC].to_numpy()
        correlation = _fit_copula(values)
        normal = rng.multivariate_normal(np.zeros(len(NUMERIC)), correlation, size=count)
        uniform = stats.norm.cdf(normal)
        # Jitter within the measurement's local spread so that sampled values are not training values.
        sampled = np.column_stack([_sample_marginal(values[:, i], uniform[:, i]) for i in range(len(NUMERIC))])
        sampled += rng.normal(0.0, 0.05, size=sampled.shape) * values.std(axis=0)
        rows = group[["island", "sex"]].sample(n=count, replace=True, random_state=int(rng.integers(2**31)))
        part = pd.DataFrame(sampled, columns=NUMERIC)
        part.insert(0, "sex", rows["sex"].to_numpy())
        part.insert(0, "island", rows["island"].to_numpy())
        part.insert(0, "species", name)
        parts.append(part)

    synthetic = pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    for column in ["species", "island", "sex"]:
        synthetic[column] = pd.Categorical(synthetic[column], categories=train[column].cat.categories)
    return synthetic[list(train.columns)]
