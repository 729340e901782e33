"""Calls the learner's fit_generate inside the sandbox and sends its table back as tensors and JSON.

The training table arrives as tensors: numeric columns as float64, categorical
columns as int64 codes into the category lists in ``params``. The synthetic
table goes back the same way. Numeric columns become float64, with NaN for
values that are not numbers. Categorical columns become int64 codes into the
training categories, with -1 for any value not seen in training. The column
order and each column's dtype go back as JSON strings, and the trusted side
rebuilds the table and scores it.
"""

import json

import torch

# A result with more rows than this, relative to n_rows, is only counted, not sent back.
MAX_ROWS_FACTOR = 4
MAX_COLUMNS_LISTED = 50
MAX_UNSEEN_SHOWN = 5


def report_progress(text):
    """Show a progress line on the site; the harness replaces this no-op inside the sandbox."""


def _train_table(inputs, params):
    import pandas as pd

    data = {}
    for column in params["columns"]:
        values = inputs["train." + column]
        if column in params["categories"]:
            data[column] = pd.Categorical.from_codes(values.tolist(), categories=params["categories"][column])
        else:
            data[column] = values.numpy()
    return pd.DataFrame(data, columns=params["columns"])


def _column(table, name):
    values = table[name]
    # Duplicate column names make table[name] a DataFrame; the first one is scored.
    return values.iloc[:, 0] if values.ndim == 2 else values


def _encode_categorical(values, categories):
    index = {value: code for code, value in enumerate(categories)}
    codes, unseen = [], set()
    for value in values.tolist():
        if isinstance(value, str) and value in index:
            codes.append(index[value])
        else:
            codes.append(-1)
            if len(unseen) < MAX_UNSEEN_SHOWN:
                unseen.add(repr(value)[:40])
    return torch.tensor(codes, dtype=torch.int64), sorted(unseen)


def _encode_numeric(values):
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=float("nan"))
    return torch.from_numpy(numbers.copy())


def run(module, inputs, params):
    import pandas as pd

    train = _train_table(inputs, params)
    untouched = train.copy(deep=True)
    report_progress(f"fitting on {len(train)} rows, generating {params['n_rows']}")
    synthetic = module.fit_generate(train, params["n_rows"], params["seed"])
    report_progress("encoding the synthetic rows")
    train_unchanged = bool(train.equals(untouched))

    if not isinstance(synthetic, pd.DataFrame):
        return {
            "problem": f"fit_generate returned {type(synthetic).__qualname__}, expected a pandas.DataFrame",
            "train_unchanged": train_unchanged,
        }
    outputs = {
        "train_unchanged": train_unchanged,
        "rows": len(synthetic),
        "columns": json.dumps([str(name)[:80] for name in synthetic.columns[:MAX_COLUMNS_LISTED]]),
        "dtypes": json.dumps(
            {str(name)[:80]: str(dtype)[:80] for name, dtype in list(synthetic.dtypes.items())[:MAX_COLUMNS_LISTED]}
        ),
    }
    if len(synthetic) > MAX_ROWS_FACTOR * params["n_rows"]:
        return outputs
    for column in params["columns"]:
        if column not in synthetic.columns:
            continue
        values = _column(synthetic, column)
        if column in params["categories"]:
            codes, unseen = _encode_categorical(values, params["categories"][column])
            outputs["synthetic." + column] = codes
            outputs["unseen." + column] = json.dumps(unseen)
        else:
            outputs["synthetic." + column] = _encode_numeric(values)
    return outputs
