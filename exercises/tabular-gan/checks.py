"""Cases, scoring, diagnosis and pictures for tabular-gan, a project on the penguins table.

The learner's generator runs inside the sandbox, and its table comes back as
tensors and JSON (see probe.py). The trusted side rebuilds the table and scores
it in three stages. Shape: columns and dtypes. Value: the row count, the
categories and finite numbers. Behaviour: utility, privacy and mode coverage
against the real data. Generators are random and differ by design, so
``diagnose`` names misconceptions from properties of the table instead of
matching outputs.
"""

import functools
import json
import math
import tomllib
import types
from pathlib import Path

import numpy as np
import torch

from grader.checking import Case, CaseOutcome
from grader.verdict import CheckResult, Stage

EXERCISE_VERSION = tomllib.loads(Path(__file__).with_name("exercise.toml").read_text())["version"]

VISIBLE_ROWS = 500
VISIBLE_SEED = 11
HIDDEN_ROWS = (150, 400)  # inclusive bounds of the hidden case's n_rows
AUGMENTATION_SEED = 0

# Utility: macro F1 on held-out rows at least the real-only classifier's minus this margin.
UTILITY_MARGIN = 0.10
# Privacy: the median DCR of the synthetic rows at least this fraction of the held-out rows' median DCR ...
MIN_DCR_RATIO = 0.5
# ... and at most this fraction of synthetic rows closer than COPY_DISTANCE to a training row.
COPY_DISTANCE = 1e-6
MAX_COPY_FRACTION = 0.01

# Diagnosis: most rows are copies; the measurements hardly differ between species.
COPIED_MAJORITY = 0.5
INDEPENDENT_SPREAD_RATIO = 0.2

# The probe sends back only tables with at most this many times n_rows rows (MAX_ROWS_FACTOR there).
READ_BACK_ROWS_FACTOR = 4

NUMERIC_DTYPE = "float64"
CATEGORICAL_DTYPE = "category"


def reference():
    from reference_models import tabular

    return types.SimpleNamespace(fit_generate=tabular.gaussian_sample)


@functools.lru_cache(maxsize=2)
def _split(version):
    from reference_models.tabular import penguins_split

    return penguins_split()


def split():
    """Return copies of the real (train, held_out) tables, which are built once per exercise version."""
    train, held_out = _split(EXERCISE_VERSION)
    return train.copy(), held_out.copy()


def _case(case_id, title, *, n_rows, seed, visible):
    from reference_models.tabular import CATEGORICAL_COLUMNS, COLUMNS

    train, _ = split()
    inputs = {}
    for column in COLUMNS:
        if column in CATEGORICAL_COLUMNS:
            inputs["train." + column] = torch.tensor(train[column].cat.codes.to_numpy(), dtype=torch.int64)
        else:
            inputs["train." + column] = torch.tensor(train[column].to_numpy(), dtype=torch.float64)
    params = {
        "columns": list(COLUMNS),
        "categories": {column: list(train[column].cat.categories) for column in CATEGORICAL_COLUMNS},
        "n_rows": n_rows,
        "seed": seed,
    }
    return Case(case_id, title, visible, inputs, params=params, seed=seed)


def build_cases(variant_seed):
    cases = [_case("penguins", f"penguins, {VISIBLE_ROWS} rows, seed {VISIBLE_SEED}", n_rows=VISIBLE_ROWS,
                   seed=VISIBLE_SEED, visible=True)]
    rng = torch.Generator().manual_seed(variant_seed)
    n_rows = int(torch.randint(HIDDEN_ROWS[0], HIDDEN_ROWS[1] + 1, (1,), generator=rng))
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=rng))
    cases.append(_case("hidden-1", "hidden check 1", n_rows=n_rows, seed=seed, visible=False))
    return cases


# Rebuilding and scoring the synthetic table


def synthetic_table(case, tensors):
    """Rebuild the synthetic DataFrame from the probe's tensors; None when a column is missing or ragged.

    Codes of -1 (values not seen in training) become missing values of the categorical column.
    """
    import pandas as pd

    data = {}
    for column in case.params["columns"]:
        tensor = tensors.get("synthetic." + column)
        if tensor is None or tensor.dim() != 1:
            return None
        if column in case.params["categories"]:
            categories = case.params["categories"][column]
            codes = tensor.to(torch.int64).numpy()
            if ((codes < -1) | (codes >= len(categories))).any():
                return None
            data[column] = pd.Categorical.from_codes(codes, categories=categories)
        else:
            data[column] = tensor.to(torch.float64).numpy()
    if len({len(values) for values in data.values()}) != 1:
        return None
    return pd.DataFrame(data, columns=case.params["columns"])


def table_scores(table, train, held_out):
    """Utility, privacy and diversity of a table whose categories are all seen and whose numbers are finite."""
    from reference_models.tabular import distances_to_closest_record, missing_modes, utility_macro_f1

    distances = distances_to_closest_record(table, train)
    return {
        "utility": utility_macro_f1(table, train, held_out),
        "median_dcr": float(np.median(distances)),
        "copy_fraction": float(np.mean(distances < COPY_DISTANCE)),
        "missing_modes": missing_modes(table, train),
    }


@functools.lru_cache(maxsize=2)
def _baselines(version):
    from reference_models.tabular import noise_augmentation

    train, held_out = _split(version)
    real = table_scores(train, train, held_out)
    # The real-only row's privacy is that of fresh real rows: the held-out rows' distances to the training rows.
    holdout = table_scores(held_out, train, held_out)
    real.update(median_dcr=holdout["median_dcr"], copy_fraction=holdout["copy_fraction"])
    augmented = table_scores(noise_augmentation(train, VISIBLE_ROWS, AUGMENTATION_SEED), train, held_out)
    return {"real": real, "augmentation": augmented}


def baselines():
    """Scores of real-only training and of the noise-augmentation baseline, computed once per exercise version."""
    return _baselines(EXERCISE_VERSION)


def thresholds():
    real = baselines()["real"]
    return {
        "utility": real["utility"] - UTILITY_MARGIN,
        "median_dcr": MIN_DCR_RATIO * real["median_dcr"],
        "copy_fraction": MAX_COPY_FRACTION,
    }


# Stages


def _shape_problems(case, tensors, values):
    if values.get("problem"):
        return [values["problem"] + "."]
    expected_columns = case.params["columns"]
    try:
        columns = json.loads(values.get("columns") or "null")
        dtypes = json.loads(values.get("dtypes") or "null")
    except json.JSONDecodeError:
        return ["The table's columns could not be read back."]
    if not isinstance(columns, list) or not isinstance(dtypes, dict):
        return ["The table's columns could not be read back."]
    problems = []
    if columns != expected_columns:
        problems.append(f"The columns are {columns[:10]}; expected {expected_columns}, in this order.")
    wrong = []
    for column in expected_columns:
        expected_dtype = CATEGORICAL_DTYPE if column in case.params["categories"] else NUMERIC_DTYPE
        if column in dtypes and dtypes[column] != expected_dtype:
            wrong.append(f"`{column}` is {dtypes[column]} (expected {expected_dtype})")
    if wrong:
        problems.append("Columns with the wrong dtype: " + ", ".join(wrong) + ".")
    if not problems and "synthetic." + expected_columns[0] not in tensors and isinstance(tensors.get("rows"), torch.Tensor):
        problems.append(
            f"The table has {int(tensors['rows'])} rows, more than {READ_BACK_ROWS_FACTOR} times n_rows = "
            f"{case.params['n_rows']}, so it was not read back; return exactly n_rows rows."
        )
    return problems


def _value_problems(case, tensors, values):
    """Problems of the row count, the categories and the numbers; the second list holds those that block scoring."""
    counted, blocking = [], []
    rows, n_rows = int(tensors["rows"]), case.params["n_rows"]
    if rows != n_rows:
        counted.append(f"The table has {rows} rows; fit_generate must return exactly n_rows = {n_rows}.")
    for column in case.params["columns"]:
        tensor = tensors.get("synthetic." + column)
        if tensor is None:
            continue
        if column in case.params["categories"]:
            unseen = int((tensor == -1).sum())
            if unseen:
                examples = ", ".join(json.loads(values.get("unseen." + column) or "[]"))
                blocking.append(
                    f"Column `{column}` has {unseen} values not seen in training (for example {examples}); "
                    f"use only the training categories {case.params['categories'][column]}."
                )
        elif not torch.isfinite(tensor).all():
            bad = int((~torch.isfinite(tensor)).sum())
            blocking.append(f"Column `{column}` has {bad} values that are NaN, infinite or not numbers.")
    return counted + blocking, blocking


def _behaviour_checks(case, table):
    """Run the utility, privacy and diversity checks on a scorable table; return (name, problems) pairs."""
    train, held_out = split()
    scores = table_scores(table, train, held_out)
    real, limits = baselines()["real"], thresholds()
    augmented = baselines()["augmentation"]

    utility = []
    if not scores["utility"] >= limits["utility"]:
        utility.append(
            f"A logistic regression trained on your rows reaches a macro F1 of {scores['utility']:.3f} on held-out real "
            f"rows; trained on the real rows it reaches {real['utility']:.3f} (noise augmentation: "
            f"{augmented['utility']:.3f}). Passing needs at least {limits['utility']:.3f}."
        )
    privacy = []
    if not scores["median_dcr"] >= limits["median_dcr"]:
        privacy.append(
            f"The median distance from your rows to their closest training row is {scores['median_dcr']:.3f}; held-out "
            f"real rows are at {real['median_dcr']:.3f}. Passing needs at least {limits['median_dcr']:.3f}: "
            "generate new rows rather than copying or barely perturbing training rows."
        )
    if not scores["copy_fraction"] <= limits["copy_fraction"]:
        privacy.append(
            f"{scores['copy_fraction']:.1%} of your rows are exact copies of training rows; at most "
            f"{MAX_COPY_FRACTION:.0%} may be."
        )
    diversity = []
    if scores["missing_modes"]:
        listed = ", ".join(f"{species} on {island}" for species, island in scores["missing_modes"])
        diversity.append(f"Your rows miss these species-island combinations of the training table: {listed}.")
    return [("utility", utility), ("privacy", privacy), ("diversity", diversity)]


def _input_problems(values):
    if values.get("train_unchanged") is False:
        return ["fit_generate modified the training table in place; work on a copy."]
    return []


def _row(case, name, stage, problems):
    passed = not problems
    if case.visible:
        message = " ".join(problems[:3]) or "Passed."
    else:
        message = "Passed." if passed else f"Wrong {stage.value} ({name}) on a hidden input."
    return CheckResult(f"{case.title}: {name}", case.visible, passed, message, stage, case.id)


BEHAVIOUR_CHECKS = ("utility", "privacy", "diversity", "inputs unchanged")


def _error_text(outcome):
    if outcome is None:
        return "Your code produced no result for this input (the process stopped before it finished)."
    error = outcome.error or {}
    if error.get("kind") == "forbidden_call":
        return f"Forbidden call: {error.get('message', '')}"
    text = f"Your code raised {error.get('type', 'an exception')}: {error.get('message', '')}"
    trace = error.get("traceback", "")
    return text + ("\n" + trace if trace else "")


def evaluate_case(case, outcome, expected):
    """Grade one generated table: columns and dtypes, then rows and values, then utility, privacy and diversity."""
    if outcome is None or outcome.error is not None:
        message = _error_text(outcome)
        names = [("columns and dtypes", Stage.SHAPE), ("rows and values", Stage.VALUE)]
        names += [(name, Stage.BEHAVIOUR) for name in BEHAVIOUR_CHECKS]
        return [_row(case, name, stage, [message]) for name, stage in names]

    tensors, values = outcome.tensors, outcome.values
    rows = []
    shape = _shape_problems(case, tensors, values)
    rows.append(_row(case, "columns and dtypes", Stage.SHAPE, shape))
    table = None if shape else synthetic_table(case, tensors)
    if table is None:
        blocked = ["The table cannot be checked until its columns and dtypes are right."]
        rows.append(_row(case, "rows and values", Stage.VALUE, blocked))
        rows += [_row(case, name, Stage.BEHAVIOUR, blocked) for name in BEHAVIOUR_CHECKS[:3]]
        rows.append(_row(case, "inputs unchanged", Stage.BEHAVIOUR, _input_problems(values)))
        return rows

    value, blocking = _value_problems(case, tensors, values)
    rows.append(_row(case, "rows and values", Stage.VALUE, value))
    if blocking:
        blocked = ["The table cannot be scored until every category was seen in training and every number is finite."]
        rows += [_row(case, name, Stage.BEHAVIOUR, blocked) for name in BEHAVIOUR_CHECKS[:3]]
    else:
        rows += [_row(case, name, Stage.BEHAVIOUR, problems) for name, problems in _behaviour_checks(case, table)]
    rows.append(_row(case, "inputs unchanged", Stage.BEHAVIOUR, _input_problems(values)))
    return rows


# Diagnosis


def _usable(outcome):
    return isinstance(outcome, CaseOutcome) and outcome.error is None


def _species_spread(table):
    """Variance across species of the per-species means of the standardized measurements, summed over columns."""
    from reference_models.tabular import NUMERIC_COLUMNS

    train, _ = split()
    standardized = (table[list(NUMERIC_COLUMNS)] - train[list(NUMERIC_COLUMNS)].mean()) / train[list(NUMERIC_COLUMNS)].std()
    means = standardized.groupby(table["species"].astype(object)).mean()
    return float(means.var(ddof=0).sum()) if len(means) > 1 else 0.0


def diagnose(cases, outcomes, expected, rows):
    """Name misconceptions from the table: its dtypes, row count, categories, copies, species and their measurements."""
    found = []
    failed = {(row.case_id, row.name.rsplit(": ", 1)[-1]) for row in rows if not row.passed}
    for case in cases:
        outcome = outcomes.get(case.id)
        if not _usable(outcome):
            continue
        tensors, values = outcome.tensors, outcome.values
        try:
            dtypes = json.loads(values.get("dtypes") or "{}")
        except json.JSONDecodeError:
            dtypes = {}
        if not isinstance(dtypes, dict):
            dtypes = {}
        numeric = [column for column in case.params["columns"] if column not in case.params["categories"]]
        if any(column in dtypes and dtypes[column] in ("object", "str", "string") for column in numeric):
            found.append("numeric-as-strings")
        if isinstance(tensors.get("rows"), torch.Tensor) and int(tensors["rows"]) != case.params["n_rows"]:
            found.append("wrong-row-count")
        if any(
            isinstance(tensors.get("synthetic." + column), torch.Tensor) and bool((tensors["synthetic." + column] == -1).any())
            for column in case.params["categories"]
        ):
            found.append("unseen-categories")
        found += _diagnose_scores(case, tensors, failed)
    return list(dict.fromkeys(found))


def _diagnose_scores(case, tensors, failed):
    from reference_models.tabular import distances_to_closest_record

    table = synthetic_table(case, tensors)
    if table is None or table.isna().any().any() or not np.isfinite(table.select_dtypes("number").to_numpy()).all():
        return []
    if len(table) == 0:
        return []
    train, _ = split()
    found = []
    if float(np.mean(distances_to_closest_record(table, train) < COPY_DISTANCE)) > COPIED_MAJORITY:
        found.append("copy-training-rows")
    species = table["species"].astype(object).nunique()
    if species == 1:
        found.append("majority-class-only")
    elif (case.id, "utility") in failed and _species_spread(table) < INDEPENDENT_SPREAD_RATIO * _species_spread(train):
        found.append("independent-columns")
    return found


# Pictures


def artifacts(cases, outcomes, expected):
    """Real against synthetic marginals, and the three scores of the learner's table against the baselines."""
    from grader.artifacts import svg_bar_panels, svg_table

    case = next((case for case in cases if case.visible), None)
    outcome = outcomes.get(case.id) if case else None
    if case is None or not _usable(outcome):
        return {}
    table = synthetic_table(case, outcome.tensors)
    if table is None:
        return {}
    train, held_out = split()
    images = [svg_bar_panels("Fraction of rows per category and per bin: real training rows and yours",
                             _marginal_panels(train, table), columns=2)]
    if not table.isna().any().any() and np.isfinite(table.select_dtypes("number").to_numpy()).all() and len(table):
        reference_table = synthetic_table(case, expected[case.id])
        images.append(_score_table(table_scores(table, train, held_out), table_scores(reference_table, train, held_out)))
    return {"images": images}


HISTOGRAM_BINS = 12


def _marginal_panels(train, table):
    from grader.artifacts import BarPanel
    from reference_models.tabular import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS

    panels = []
    for column in CATEGORICAL_COLUMNS:
        labels = list(train[column].cat.categories)
        real = train[column].value_counts(normalize=True).reindex(labels, fill_value=0.0)
        synthetic = table[column].value_counts(normalize=True).reindex(labels, fill_value=0.0)
        panels.append(BarPanel(column, labels, {"real": real.tolist(), "synthetic": synthetic.tolist()}))
    for column in NUMERIC_COLUMNS:
        low, high = float(train[column].min()), float(train[column].max())
        pad = 0.1 * (high - low)
        edges = np.linspace(low - pad, high + pad, HISTOGRAM_BINS + 1)
        labels = [f"{edge:.4g}" for edge in edges[:-1]]
        panels.append(BarPanel(column, labels, {
            "real": _histogram(train[column].to_numpy(), edges),
            "synthetic": _histogram(table[column].to_numpy(), edges),
        }))
    return panels


def _histogram(values, edges):
    """Fractions of the finite values per bin; values outside the edges count in the end bins."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return [0.0] * (len(edges) - 1)
    counts, _ = np.histogram(np.clip(finite, edges[0], edges[-1]), bins=edges)
    return (counts / len(finite)).tolist()


def _score_table(yours, reference_scores):
    from grader.artifacts import svg_table
    from reference_models.tabular import mode_count

    train, _ = split()
    modes = mode_count(train)
    limits, base = thresholds(), baselines()

    def cells(name, scores):
        return [
            name,
            f"{scores['utility']:.3f}",
            f"{scores['median_dcr']:.3f}",
            f"{scores['copy_fraction']:.1%}",
            f"{modes - len(scores['missing_modes'])} of {modes}",
        ]

    return svg_table(
        "Scores of your rows against the baselines",
        ["rows", "utility: macro F1", "privacy: median DCR", "exact copies", "modes covered"],
        [
            ["required", f">= {limits['utility']:.3f}", f">= {limits['median_dcr']:.3f}", f"<= {MAX_COPY_FRACTION:.0%}",
             f"{modes} of {modes}"],
            cells("real rows only", base["real"]),
            cells("noise augmentation", base["augmentation"]),
            cells("per-class Gaussian", reference_scores),
            cells("yours", yours),
        ],
        column_width=150,
    )
