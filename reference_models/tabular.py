"""Synthetic rows for the penguins table: the data split, a reference generator, an augmentation baseline and the scores.

Data: the Palmer penguins table shipped in the ``palmerpenguins`` package (Horst, Hill and
Gorman, 2020), rows with a missing value dropped (333 of 344), the ``year`` column left out.
Species are imbalanced: 146 Adelie, 68 Chinstrap, 119 Gentoo.

Reference generator (a per-class Gaussian): draw (species, island, sex) from their joint
frequencies in the training table, then the four measurements from a multivariate normal
fitted to the training rows of the same species and sex.

Scores of a synthetic table, all computed against the real training and held-out tables:

- utility: macro F1 on the held-out rows of a logistic regression that predicts ``species``
  from the other columns, trained on the synthetic rows;
- privacy: the distance to the closest record (DCR) from each synthetic row to the training
  rows, ``sqrt(sum_numeric ((a - b) / s)^2 + sum_categorical [a != b])`` with ``s`` the training
  standard deviation of each numeric column;
- diversity: the (species, island) combinations of the training table missing from the
  synthetic rows (mode coverage).

| name     | meaning                      | shape  |
| -------- | ---------------------------- | ------ |
| train    | real training table          | (N, 7) |
| held_out | real held-out table          | (H, 7) |
| rows     | synthetic table to score     | (M, 7) |
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

CATEGORICAL_COLUMNS = ("species", "island", "sex")
NUMERIC_COLUMNS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
COLUMNS = CATEGORICAL_COLUMNS + NUMERIC_COLUMNS
TARGET_COLUMN = "species"
MODE_COLUMNS = ("species", "island")
HELD_OUT_ROWS = 100
SPLIT_SEED = 0
AUGMENTATION_NOISE_SCALE = 0.5


@functools.lru_cache(maxsize=1)
def _penguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    table = load_penguins().dropna().reset_index(drop=True)
    columns = {}
    for column in CATEGORICAL_COLUMNS:
        columns[column] = pd.Categorical(table[column], categories=sorted(table[column].unique()))
    for column in NUMERIC_COLUMNS:
        columns[column] = table[column].astype("float64")
    return pd.DataFrame(columns, columns=list(COLUMNS))


def penguins_table() -> pd.DataFrame:
    """Return a copy of the 333 complete rows: species, island and sex as categoricals, four float64 measurements."""
    return _penguins().copy()


def penguins_split(held_out: int = HELD_OUT_ROWS, seed: int = SPLIT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the table into (train, held_out), stratified by species, with fresh 0-based indexes."""
    from sklearn.model_selection import train_test_split

    table = penguins_table()
    if not 0 < held_out < len(table):
        raise ValueError(f"held_out must be between 1 and {len(table) - 1}, got {held_out}")
    train, test = train_test_split(table, test_size=held_out, stratify=table[TARGET_COLUMN], random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def _check_request(train: pd.DataFrame, n_rows: int) -> None:
    missing = [column for column in COLUMNS if column not in train.columns]
    if missing:
        raise ValueError(f"train is missing the columns {missing}")
    if isinstance(n_rows, bool) or not isinstance(n_rows, int) or n_rows < 1:
        raise ValueError(f"n_rows must be a positive int, got {n_rows!r}")


def _as_table(columns: dict[str, np.ndarray], train: pd.DataFrame) -> pd.DataFrame:
    """Give generated columns the training table's column order and dtypes (categoricals with its categories)."""
    out = {}
    for column in COLUMNS:
        if column in CATEGORICAL_COLUMNS:
            out[column] = pd.Categorical(columns[column], categories=train[column].cat.categories)
        else:
            out[column] = np.asarray(columns[column], dtype=np.float64)
    return pd.DataFrame(out, columns=list(COLUMNS))


def gaussian_sample(train: pd.DataFrame, n_rows: int, seed: int) -> pd.DataFrame:
    """The reference generator: categories from their joint frequencies, measurements from a Gaussian per (species, sex)."""
    _check_request(train, n_rows)
    rng = np.random.default_rng(seed)
    combinations = train.groupby(list(CATEGORICAL_COLUMNS), observed=True).size()
    picks = rng.choice(len(combinations), size=n_rows, p=(combinations / combinations.sum()).to_numpy())
    keys = combinations.index[picks]
    columns = {column: np.array(keys.get_level_values(column)) for column in CATEGORICAL_COLUMNS}

    measurements = np.empty((n_rows, len(NUMERIC_COLUMNS)))  # (M, 4)
    for (species, sex), group in train.groupby(["species", "sex"], observed=True):
        chosen = (columns["species"] == species) & (columns["sex"] == sex)
        values = group[list(NUMERIC_COLUMNS)].to_numpy()  # (n_group, 4)
        measurements[chosen] = rng.multivariate_normal(values.mean(axis=0), np.cov(values.T), size=int(chosen.sum()))
    for index, column in enumerate(NUMERIC_COLUMNS):
        columns[column] = measurements[:, index]
    return _as_table(columns, train)


def noise_augmentation(
    train: pd.DataFrame, n_rows: int, seed: int, noise_scale: float = AUGMENTATION_NOISE_SCALE
) -> pd.DataFrame:
    """The augmentation baseline: real rows of a class drawn by class frequency, measurements plus Gaussian noise.

    Each synthetic row picks a species with its training frequency and copies the
    measurements of a random training row of that species. It adds Gaussian noise
    with ``noise_scale`` times the species' standard deviation of each column.
    Island and sex are drawn independently from their frequencies within the species.
    """
    _check_request(train, n_rows)
    if not noise_scale >= 0:
        raise ValueError(f"noise_scale must be non-negative, got {noise_scale!r}")
    rng = np.random.default_rng(seed)
    frequencies = train[TARGET_COLUMN].value_counts(normalize=True, sort=False)
    species = rng.choice(np.array(frequencies.index), size=n_rows, p=frequencies.to_numpy())
    columns = {"species": species}
    for column in ("island", "sex"):
        columns[column] = np.empty(n_rows, dtype=object)
    measurements = np.empty((n_rows, len(NUMERIC_COLUMNS)))  # (M, 4)
    for name, group in train.groupby(TARGET_COLUMN, observed=True):
        chosen = species == name
        count = int(chosen.sum())
        values = group[list(NUMERIC_COLUMNS)].to_numpy()  # (n_class, 4)
        base = values[rng.integers(0, len(values), size=count)]
        measurements[chosen] = base + noise_scale * values.std(axis=0, ddof=1) * rng.standard_normal(base.shape)
        for column in ("island", "sex"):
            within = group[column].value_counts(normalize=True, sort=False)
            within = within[within > 0]
            columns[column][chosen] = rng.choice(np.array(within.index), size=count, p=within.to_numpy())
    for index, column in enumerate(NUMERIC_COLUMNS):
        columns[column] = measurements[:, index]
    return _as_table(columns, train)


# Scores


def _features(table: pd.DataFrame, train: pd.DataFrame) -> np.ndarray:
    """Standardized measurements and one-hot island and sex, both relative to the real training table: (rows, 9)."""
    numeric = (table[list(NUMERIC_COLUMNS)].to_numpy() - train[list(NUMERIC_COLUMNS)].mean().to_numpy()) / train[
        list(NUMERIC_COLUMNS)
    ].std().to_numpy()
    one_hot = [
        (table[column].astype(object).to_numpy()[:, None] == np.array(train[column].cat.categories)[None, :]).astype(float)
        for column in CATEGORICAL_COLUMNS
        if column != TARGET_COLUMN
    ]
    return np.concatenate([numeric, *one_hot], axis=1)


def utility_macro_f1(rows: pd.DataFrame, train: pd.DataFrame, held_out: pd.DataFrame) -> float:
    """Macro F1 on ``held_out`` of a logistic regression trained on ``rows`` to predict species.

    With a single species in ``rows`` there is nothing to learn, and every held-out row is predicted as that species.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    labels = rows[TARGET_COLUMN].astype(object).to_numpy()
    truth = held_out[TARGET_COLUMN].astype(object).to_numpy()
    present = pd.unique(labels)
    if len(present) == 1:
        predicted = np.full(len(truth), present[0], dtype=object)
    else:
        classifier = LogisticRegression(max_iter=2000)
        classifier.fit(_features(rows, train), labels)
        predicted = classifier.predict(_features(held_out, train))
    return float(f1_score(truth, predicted, average="macro", labels=list(train[TARGET_COLUMN].cat.categories)))


def distances_to_closest_record(rows: pd.DataFrame, train: pd.DataFrame) -> np.ndarray:
    """DCR of each row of ``rows`` to ``train``: standardized Euclidean on measurements plus 1 per categorical mismatch, (M,)."""
    scale = train[list(NUMERIC_COLUMNS)].std().to_numpy()
    left = rows[list(NUMERIC_COLUMNS)].to_numpy() / scale  # (M, 4)
    right = train[list(NUMERIC_COLUMNS)].to_numpy() / scale  # (N, 4)
    squared = ((left[:, None, :] - right[None, :, :]) ** 2).sum(axis=-1)  # (M, N)
    for column in CATEGORICAL_COLUMNS:
        mine = rows[column].astype(object).to_numpy()
        theirs = train[column].astype(object).to_numpy()
        squared += mine[:, None] != theirs[None, :]
    return np.sqrt(squared.min(axis=1))


def missing_modes(rows: pd.DataFrame, train: pd.DataFrame) -> list[tuple[str, str]]:
    """List, sorted, the (species, island) combinations present in ``train`` but absent from ``rows``."""

    def modes(table: pd.DataFrame) -> set[tuple[str, str]]:
        pairs = zip(*(table[column].astype(object) for column in MODE_COLUMNS))
        return {pair for pair in pairs if all(isinstance(value, str) for value in pair)}

    return sorted(modes(train) - modes(rows))


def mode_count(train: pd.DataFrame) -> int:
    """Count the (species, island) combinations of the training table."""
    return len(train.groupby(list(MODE_COLUMNS), observed=True).size())
