"""next-token-probs: the reference on the statement's example, the rounding guard on cases, and ties graded by rule."""

import textwrap

import pytest
import torch

from grader.checking import CaseOutcome
from grader.errors import GraderError
from grader.exercise import get_exercise
from grader.verdict import Stage, Status
from reference_models.sampling import next_token_probs

LOGITS = torch.tensor([[3.0, 2.0, 1.0, 0.0, -1.0]])


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({"top_k": 3}, [0.5065, 0.3072, 0.1863, 0.0, 0.0], id="top-k"),
        pytest.param({"top_k": 3, "top_p": 0.6}, [0.6225, 0.3775, 0.0, 0.0, 0.0], id="top-k-then-top-p"),
        pytest.param({"top_k": 3, "top_p": 0.5}, [1.0, 0.0, 0.0, 0.0, 0.0], id="renormalized-before-top-p"),
        pytest.param({"top_p": 0.5}, [0.6225, 0.3775, 0.0, 0.0, 0.0], id="top-p-alone-keeps-two"),
    ],
)
def test_statement_example(options, expected):
    probs = next_token_probs(LOGITS, temperature=2.0, **options)

    torch.testing.assert_close(probs, torch.tensor([expected]), rtol=0, atol=5e-5)
    removed = torch.tensor([expected]) == 0
    assert torch.all(probs[removed] == 0)


def test_top_p_keeps_crossing_token():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2]]))

    probs = next_token_probs(logits, top_p=0.7)

    torch.testing.assert_close(probs, torch.tensor([[0.625, 0.375, 0.0]]))


def test_top_p_keeps_at_least_one():
    probs = next_token_probs(torch.tensor([[0.0, 1.0, 0.5]]), top_p=0.01)

    assert probs.tolist() == [[0.0, 1.0, 0.0]]


def test_case_near_boundary_rejected():
    checks = get_exercise("next-token-probs").checks()
    # Two equal tokens: the running total is exactly 0.5 after the first, equal to top_p.
    logits = torch.zeros(1, 2)

    assert checks.margin_problems(logits, {"top_p": 0.5}) == [
        "row 0: a cumulative probability is within 0.0001 of top_p"
    ]
    with pytest.raises(GraderError, match="too close to a rounding boundary"):
        checks._case("near", "near", logits, {"top_p": 0.5})


def test_hidden_cases_clear_of_boundaries():
    checks = get_exercise("next-token-probs").checks()

    for variant_seed in range(50):
        for case in checks.build_cases(variant_seed):
            assert checks.margin_problems(case.inputs["logits"], case.params) == [], (variant_seed, case.id)


LAST_OF_TIES = """
    import torch

    def _keep(mask_sorted, order):
        return torch.zeros_like(mask_sorted).scatter(-1, order, mask_sorted)

    def next_token_probs(logits, temperature=1.0, top_k=None, top_p=None):
        # Flipping the vocabulary makes torch.topk and torch.sort prefer the last of tied tokens.
        scaled = (logits / temperature).flip(-1)
        if top_k is not None:
            top = torch.topk(scaled, min(top_k, scaled.shape[-1]), dim=-1).indices
            scaled = scaled.masked_fill(~torch.zeros_like(scaled, dtype=torch.bool).scatter(-1, top, True), float("-inf"))
        if top_p is not None:
            probs = torch.softmax(scaled, dim=-1)
            sorted_probs, order = probs.sort(dim=-1, descending=True, stable=True)
            keep = _keep(sorted_probs.cumsum(-1) - sorted_probs < top_p, order)
            scaled = scaled.masked_fill(~keep, float("-inf"))
        return torch.softmax(scaled, dim=-1).flip(-1)
    """


def test_other_tie_order_passes(grade_source):
    verdict = grade_source("next-token-probs", textwrap.dedent(LAST_OF_TIES))

    assert verdict.status is Status.PASSED, [(check.name, check.message) for check in verdict.checks if not check.passed]


def _top_k_ties_case():
    checks = get_exercise("next-token-probs").checks()
    case = next(case for case in checks.build_cases(0) if case.id == "top-k-ties")
    return checks, case


def _value_row(checks, case, probs):
    outcome = CaseOutcome(tensors={"probs": probs, "after.logits": case.inputs["logits"].clone()}, values={})
    expected = {"probs": next_token_probs(case.inputs["logits"], **case.params)}
    rows = checks.evaluate_case(case, outcome, expected)
    return next(row for row in rows if row.stage is Stage.VALUE)


def test_any_tied_choice_passes():
    checks, case = _top_k_ties_case()
    # Row 0 is (2, 1, 0.25, 1, 1, -1) with top_k = 3: token 0 and two of the tokens 1, 3 and 4.
    for pair in [(1, 3), (1, 4), (3, 4)]:
        probs = next_token_probs(case.inputs["logits"], **case.params)
        kept = torch.tensor([0, *pair])
        probs[0] = 0.0
        probs[0, kept] = torch.softmax(case.inputs["logits"][0, kept], dim=0)

        row = _value_row(checks, case, probs)

        assert row.passed, (pair, row.message)


def test_removed_token_leak_fails():
    checks, case = _top_k_ties_case()
    probs = next_token_probs(case.inputs["logits"], **case.params)
    removed = int(torch.nonzero(probs[2] == 0)[0])
    probs[2, removed] = 1e-9

    row = _value_row(checks, case, probs)

    assert not row.passed
    assert row.message == (
        f"Token {removed} of row 2 is removed by the filtering but has probability 1e-09; "
        "removed tokens must have probability exactly 0. "
        "Row 2 keeps 4 tokens with nonzero probability, but these options keep 3."
    )
