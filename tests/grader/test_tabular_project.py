"""The tabular-gan project: the penguins split, the scores checked by hand, the probe's encoding, and the diagnosis.

These run without a sandbox: the probe runs in this process over the reference and the misconception
files, as the grader does on its side. test_exercises.py grades every variant and misconception
through the sandbox. The slow test measures the false-failure rate of the behaviour checks.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from grader.checking import CaseOutcome, run_probe
from grader.exercise import exercises_root, load_exercise_folder, load_module_from_path
from grader.harness.protocol import normalize_outputs
from grader.verdict import Stage
from reference_models import tabular

SLUG = "tabular-gan"


@pytest.fixture(scope="module")
def exercise():
    return load_exercise_folder(exercises_root() / SLUG)


@pytest.fixture(scope="module")
def checks(exercise):
    return exercise.checks()


@pytest.fixture(scope="module")
def probe(exercise):
    return load_module_from_path(exercise.probe_path, "probe_tabular_gan_tests")


@pytest.fixture(scope="module")
def visible_case(checks):
    return checks.build_cases(0)[0]


def grade_module(checks, probe, case, module):
    """Run the probe over ``module`` as the harness does and return (rows, outcome, expected)."""
    expected = run_probe(probe, checks.reference(), case)
    inputs = {name: tensor.clone() for name, tensor in case.inputs.items()}
    torch.manual_seed(case.seed)
    tensors, values = normalize_outputs(probe.run(module, inputs, case.params))
    outcome = CaseOutcome({name: tensor.detach().clone() for name, tensor in tensors.items()}, values)
    return checks.evaluate_case(case, outcome, expected), outcome, expected


def learner(fit_generate):
    return type("Learner", (), {"fit_generate": staticmethod(fit_generate)})


def row_named(rows, name):
    return next(row for row in rows if row.name.endswith(": " + name))


def test_split_is_stratified_and_typed():
    train, held_out = tabular.penguins_split()

    assert (len(train), len(held_out)) == (233, 100)
    assert train["species"].value_counts().to_dict() == {"Adelie": 102, "Gentoo": 83, "Chinstrap": 48}
    assert held_out["species"].value_counts().to_dict() == {"Adelie": 44, "Gentoo": 36, "Chinstrap": 20}
    assert list(train.columns) == list(tabular.COLUMNS)
    assert all(isinstance(train[column].dtype, pd.CategoricalDtype) for column in tabular.CATEGORICAL_COLUMNS)
    assert all(train[column].dtype == np.float64 for column in tabular.NUMERIC_COLUMNS)
    assert tabular.mode_count(train) == 5


def test_distance_to_closest_record_by_hand():
    train, _ = tabular.penguins_split()
    std = train[list(tabular.NUMERIC_COLUMNS)].std()
    nearby = train.iloc[[0]].reset_index(drop=True)
    nearby["bill_length_mm"] += 1.0
    nearby["body_mass_g"] -= 100.0
    other_sex = nearby.copy()
    other_sex["sex"] = pd.Categorical(
        ["male" if nearby["sex"].iloc[0] == "female" else "female"], categories=train["sex"].cat.categories
    )

    close = tabular.distances_to_closest_record(nearby, train)[0]
    far = tabular.distances_to_closest_record(other_sex, train)[0]
    copy = tabular.distances_to_closest_record(train.iloc[[5, 9]], train)

    numeric = (1.0 / std["bill_length_mm"]) ** 2 + (100.0 / std["body_mass_g"]) ** 2
    assert close == pytest.approx(math.sqrt(numeric), rel=1e-12)
    assert far == pytest.approx(math.sqrt(numeric + 1.0), rel=1e-12)
    assert copy.tolist() == [0.0, 0.0]


def test_utility_of_one_species_predicts_it_everywhere():
    train, held_out = tabular.penguins_split()
    adelie = train[train["species"] == "Adelie"]

    score = tabular.utility_macro_f1(adelie, train, held_out)

    # Adelie: precision 44/100, recall 1, F1 = 2 * 0.44 / 1.44; the other two species score 0.
    assert score == pytest.approx((2 * 0.44 / 1.44) / 3, rel=1e-12)


def test_missing_modes_lists_absent_combinations():
    train, _ = tabular.penguins_split()
    adelie = train[train["species"] == "Adelie"]

    assert tabular.missing_modes(adelie, train) == [("Chinstrap", "Dream"), ("Gentoo", "Biscoe")]
    assert tabular.missing_modes(train, train) == []


@pytest.mark.parametrize("generator", [tabular.gaussian_sample, tabular.noise_augmentation], ids=["gaussian", "augmentation"])
def test_reference_generators_are_typed_and_seeded(generator):
    train, _ = tabular.penguins_split()

    first = generator(train, 57, seed=3)
    again = generator(train, 57, seed=3)
    other = generator(train, 57, seed=4)

    assert len(first) == 57
    assert list(first.columns) == list(tabular.COLUMNS)
    assert first.dtypes.equals(train.dtypes)
    pd.testing.assert_frame_equal(again, first)
    assert not other.equals(first)


def test_generators_reject_invalid_n_rows():
    train, _ = tabular.penguins_split()

    with pytest.raises(ValueError, match="n_rows must be a positive int, got 0"):
        tabular.gaussian_sample(train, 0, seed=0)


def test_probe_round_trips_a_table(checks, probe, visible_case):
    train, _ = checks.split()
    table = tabular.gaussian_sample(train, visible_case.params["n_rows"], seed=1)
    table["island"] = table["island"].astype(object)
    table.loc[3, "island"] = "Atlantis"

    _, outcome, _ = grade_module(checks, probe, visible_case, learner(lambda train, n_rows, seed: table))
    rebuilt = checks.synthetic_table(visible_case, outcome.tensors)

    assert json.loads(outcome.values["columns"]) == list(tabular.COLUMNS)
    assert json.loads(outcome.values["dtypes"])["island"] == "object"
    assert json.loads(outcome.values["unseen.island"]) == ["'Atlantis'"]
    assert pd.isna(rebuilt.loc[3, "island"])
    assert rebuilt["species"].tolist() == table["species"].tolist()
    np.testing.assert_array_equal(rebuilt["body_mass_g"].to_numpy(), table["body_mass_g"].to_numpy())


def test_reference_passes_every_check(checks, probe, visible_case):
    rows, _, _ = grade_module(checks, probe, visible_case, checks.reference())

    assert all(row.passed for row in rows), [row.message for row in rows if not row.passed]


def test_wrong_sampler_fails_utility_and_diversity(checks, probe, visible_case):
    def only_adelie(train, n_rows, seed):
        return tabular.gaussian_sample(train[train["species"] == "Adelie"], n_rows, seed)

    rows, _, _ = grade_module(checks, probe, visible_case, learner(only_adelie))

    assert row_named(rows, "utility").stage is Stage.BEHAVIOUR
    assert not row_named(rows, "utility").passed
    assert not row_named(rows, "diversity").passed
    assert row_named(rows, "privacy").passed
    assert row_named(rows, "columns and dtypes").passed


def test_slightly_perturbed_copies_fail_privacy(checks, probe, visible_case):
    def jittered_copies(train, n_rows, seed):
        rows = train.sample(n=n_rows, replace=True, random_state=seed).reset_index(drop=True)
        rows["bill_length_mm"] += 1e-3
        return rows

    rows, _, _ = grade_module(checks, probe, visible_case, learner(jittered_copies))

    privacy = row_named(rows, "privacy")
    assert not privacy.passed
    assert "median distance" in privacy.message
    assert "exact copies" not in privacy.message


def test_modifying_train_in_place_fails(checks, probe, visible_case):
    def scribbles(train, n_rows, seed):
        train["bill_length_mm"] = train["bill_length_mm"] / 10.0
        return tabular.gaussian_sample(train.assign(bill_length_mm=train["bill_length_mm"] * 10.0), n_rows, seed)

    rows, _, _ = grade_module(checks, probe, visible_case, learner(scribbles))

    assert not row_named(rows, "inputs unchanged").passed


def test_hidden_rows_hide_the_details(checks, probe):
    hidden = checks.build_cases(7)[1]

    rows, _, _ = grade_module(checks, probe, hidden, learner(lambda train, n_rows, seed: train.iloc[:n_rows]))

    failed = [row for row in rows if not row.passed]
    assert failed
    assert all(row.message.startswith("Wrong ") and "on a hidden input" in row.message for row in failed)


def test_hidden_case_follows_variant_seed(checks):
    first, again, other = checks.build_cases(3)[1], checks.build_cases(3)[1], checks.build_cases(4)[1]

    assert first.params["n_rows"] == again.params["n_rows"]
    assert checks.HIDDEN_ROWS[0] <= first.params["n_rows"] <= checks.HIDDEN_ROWS[1]
    assert (first.params["n_rows"], first.params["seed"]) != (other.params["n_rows"], other.params["seed"])


@pytest.mark.parametrize(
    "misconception_id",
    ["copy-training-rows", "majority-class-only", "numeric-as-strings", "unseen-categories", "wrong-row-count",
     "independent-columns"],
)
def test_diagnose_names_exactly_one_misconception(checks, probe, exercise, visible_case, misconception_id):
    module = load_module_from_path(exercise.misconception(misconception_id).path, f"tabular_{misconception_id}_tests")

    rows, outcome, expected = grade_module(checks, probe, visible_case, module)
    found = checks.diagnose([visible_case], {visible_case.id: outcome}, {visible_case.id: expected}, rows)

    assert not all(row.passed for row in rows)
    assert found == [misconception_id]


def test_every_listed_misconception_is_tested(exercise):
    tested = {"copy-training-rows", "majority-class-only", "numeric-as-strings", "unseen-categories",
              "wrong-row-count", "independent-columns"}

    assert {item.id for item in exercise.misconceptions} == tested


STATISTICS_SEEDS = 2000


@pytest.mark.slow
def test_reference_generator_never_fails_behaviour_checks(checks):
    """The false-failure rate the statement gives: the reference generator over many seeds and hidden sizes."""
    train, held_out = checks.split()
    limits = checks.thresholds()
    rng = np.random.default_rng(2024)
    failures = []

    for seed in range(STATISTICS_SEEDS):
        n_rows = int(rng.integers(checks.HIDDEN_ROWS[0], checks.HIDDEN_ROWS[1] + 1))
        scores = checks.table_scores(tabular.gaussian_sample(train, n_rows, seed), train, held_out)
        if (
            scores["utility"] < limits["utility"]
            or scores["median_dcr"] < limits["median_dcr"]
            or scores["copy_fraction"] > limits["copy_fraction"]
            or scores["missing_modes"]
        ):
            failures.append((seed, n_rows, scores))

    assert failures == []
