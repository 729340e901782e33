"""Comparison messages, tolerances and staged scores, on small hand-made tensors."""

import torch

from grader.checking import Case, CaseOutcome, Tolerance, compare_case, shape_problem, value_problem
from grader.grading import score_rows
from grader.verdict import CheckResult, Stage

FLOAT32 = Tolerance(rtol=1e-4, atol=1e-5)


def test_value_problem_is_none_within_tolerance():
    expected = torch.tensor([1.0, 2.0, 3.0])

    assert value_problem("out", expected * (1 + 5e-5), expected, FLOAT32) is None


def test_value_problem_names_worst_index_and_values():
    expected = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    got = torch.tensor([[1.0, 2.0], [3.5, 4.0]])

    message = value_problem("out", got, expected, FLOAT32)

    assert "absolute error 0.5 at index (1, 0)" in message
    assert "relative 0.167" in message
    assert "expected [1, 2, 3, 4], got [1, 2, 3.5, 4]" in message


def test_value_problem_of_scalar_states_both_values():
    message = value_problem("loss", torch.tensor(2.5), torch.tensor(2.0), FLOAT32)

    assert message.startswith("`loss` is 2.5; expected 2 (absolute error 0.5, relative 0.25")


def test_value_problem_reports_nan_where_finite_expected():
    message = value_problem("out", torch.tensor([1.0, float("nan")]), torch.tensor([1.0, 2.0]), FLOAT32)

    assert "non-finite value nan at index (1,)" in message


def test_value_problem_accepts_matching_infinities():
    values = torch.tensor([float("-inf"), 0.5])

    assert value_problem("out", values.clone(), values, FLOAT32) is None


def test_shape_problem_names_both_shapes():
    message = shape_problem("kl", torch.zeros(()), torch.zeros(4))

    assert message == "`kl` has a scalar (shape ()); expected shape (4,)."


def test_shape_problem_names_dtype():
    message = shape_problem("kl", torch.zeros(4, dtype=torch.float64), torch.zeros(4))

    assert message == "`kl` has dtype float64; expected float32."


def test_hidden_case_message_is_generic():
    case = Case("hidden-1", "hidden check 1", False, {"x": torch.ones(2)})
    outcome = CaseOutcome(tensors={"out": torch.tensor([9.0, 9.0])}, values={})

    rows = compare_case(case, outcome, {"out": torch.tensor([1.0, 2.0])})

    value_row = next(row for row in rows if row.stage is Stage.VALUE)
    assert value_row.passed is False
    assert value_row.message == "Wrong value on a hidden input."
    assert "9" not in " ".join(row.message for row in rows)


def test_hidden_case_exception_message_hides_text():
    case = Case("hidden-1", "hidden check 1", False, {"x": torch.ones(2)})
    outcome = CaseOutcome(tensors={}, values={}, error={"type": "ValueError", "message": "x was [1.0, 1.0]"})

    rows = compare_case(case, outcome, {"out": torch.tensor([1.0, 2.0])})

    assert {row.message for row in rows} == {"Your code raised an exception on a hidden input."}


def _rows(stage_results):
    return [
        CheckResult(f"{stage.value} {index}", True, passed, "", stage)
        for index, (stage, passed) in enumerate(stage_results)
    ]


def test_score_counts_stages_passed_then_fraction_of_failing_stage():
    rows = _rows([(Stage.SHAPE, True), (Stage.SHAPE, True), (Stage.VALUE, True), (Stage.VALUE, False),
                  (Stage.GRADIENT, True), (Stage.GRADIENT, True)])

    score, failed_stage = score_rows(rows)

    assert failed_stage is Stage.VALUE
    assert score == (1 + 0.5) / 3


def test_score_is_one_when_all_pass():
    assert score_rows(_rows([(Stage.SHAPE, True), (Stage.VALUE, True)])) == (1.0, None)
