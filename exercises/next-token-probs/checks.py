"""Cases, reference and tie-aware evaluation for next-token-probs.

Where tokens tie at the top-k or the top-p cut, the contract lets a solution keep any of them as
long as it keeps the required number. So the value stage rebuilds the expected distribution from
the scaled logits. Tokens above the cut keep their softmax mass and tokens below it are exactly 0.
Within a tie at the cut, the tokens that the learner kept are taken as the kept ones. Visible
and hidden inputs stay clear of cumulative sums that float32 rounding could put on either side
of top_p (see ``margin_problems``).
"""

import types

import torch

from grader.checking import Case, shape_problem, value_problem
from grader.errors import GraderError
from grader.verdict import CheckResult, Stage

# A cumulative probability this close to top_p could round to either side of it in float32.
TOP_P_MARGIN = 1e-4
# Distinct scaled logits closer than this could swap places under float32 rounding.
MIN_LOGIT_GAP = 1e-3
# With top_p = 1 every token is kept, but a probability below this could vanish from a float32 cumulative sum.
MIN_PROBABILITY_AT_TOP_P_ONE = 1e-6


def reference():
    from reference_models import sampling

    return types.SimpleNamespace(next_token_probs=sampling.next_token_probs)


def scaled_logits(logits, params):
    """Divide the logits by the temperature in their own dtype, as the contract does, and widen the result to float64."""
    return (logits / params.get("temperature", 1.0)).double()


def kept_count(sorted_row, top_k, top_p):
    """Count the tokens that a row keeps, from its scaled logits sorted in descending order (float64)."""
    count = len(sorted_row) if top_k is None else min(top_k, len(sorted_row))
    if top_p is None:
        return count
    probs = torch.softmax(sorted_row[:count], dim=0)
    mass_before = torch.cumsum(probs, dim=0) - probs
    return int((mass_before < top_p).sum())


def margin_problems(logits, params):
    """List why a case's decisions could depend on float32 rounding, or nothing when they cannot."""
    problems = []
    top_k, top_p = params.get("top_k"), params.get("top_p")
    for row_index, row in enumerate(scaled_logits(logits, params)):
        sorted_row = torch.sort(row, descending=True).values
        gaps = sorted_row[:-1] - sorted_row[1:]
        if ((gaps > 0) & (gaps < MIN_LOGIT_GAP)).any():
            problems.append(f"row {row_index}: two scaled logits differ by less than {MIN_LOGIT_GAP}")
        if top_p is None:
            continue
        count = len(row) if top_k is None else min(top_k, len(row))
        probs = torch.softmax(sorted_row[:count], dim=0)
        if top_p < 1:
            cumulative = torch.cumsum(probs, dim=0)
            if ((cumulative - top_p).abs() < TOP_P_MARGIN).any():
                problems.append(f"row {row_index}: a cumulative probability is within {TOP_P_MARGIN} of top_p")
        elif probs.min() < MIN_PROBABILITY_AT_TOP_P_ONE:
            problems.append(f"row {row_index}: a probability below {MIN_PROBABILITY_AT_TOP_P_ONE} with top_p = 1")
    return problems


def _case(case_id, title, logits, params, *, seed=0, visible=True):
    problems = margin_problems(logits, params)
    if problems:
        raise GraderError(f"next-token-probs case {case_id!r} is too close to a rounding boundary: {problems}")
    return Case(case_id, title, visible, {"logits": logits}, params=params, seed=seed)


def _random_logits(batch, vocabulary, seed, scale=2.0):
    generator = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(batch, vocabulary, generator=generator, dtype=torch.float64)).float()


def _tiny_temperature_logits():
    """Rows for temperature 1/1024: a clear winner, two tied winners, and a near-uniform row."""
    rows = [
        [1.0, 3.0, -2.0, 0.5, 2.5, 0.0, -1.0, 1.5, -0.5, 2.0],
        [2.75, -1.0, 0.0, 2.75, 1.0, -2.0, 0.5, 1.5, -0.25, 2.0],
        [0.01, 0.02, 0.0, -0.01, 0.03, 0.015, -0.02, 0.005, 0.025, -0.015],
    ]
    return torch.tensor(rows)


def _top_k_ties():
    """top_k = 3: a tie at the cut (two of three 1.0s kept), a row of equal logits, ties inside the kept set."""
    rows = [
        [2.0, 1.0, 0.25, 1.0, 1.0, -1.0],
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        [3.0, -1.0, 2.5, 0.0, 2.5, 1.0],
    ]
    return torch.tensor(rows)


def _top_p_ties():
    """top_p = 0.5: two of three tied leaders kept, one dominant token, three of five equal tokens."""
    rows = [
        [1.0, -1.0, 1.0, 0.0, 1.0],
        [2.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
    ]
    return torch.tensor(rows)


def _order_logits(seed):
    """Build a descending ramp, where top-p on the renormalized top-3 keeps 2 tokens but on the full distribution 3, and random rows."""
    # Divided by 1.3 here so that the case's temperature 1/1.3 brings the ramp back to steps of 0.4.
    ramp = torch.tensor([[2.0, 1.6, 1.2, 0.8, 0.4, 0.0, -0.4]]) / 1.3
    return torch.cat([ramp, _random_logits(3, 7, seed)])


def _hidden(index, rng, seed):
    """Draw options and logits from the seed, redrawing the logits until no decision sits on a rounding boundary."""
    batch = int(torch.randint(1, 6, (1,), generator=rng))
    vocabulary = int(torch.randint(5, 60, (1,), generator=rng))
    temperatures = [0.25, 0.5, 0.7, 1.0, 1.5, 2.0]
    params = {"temperature": temperatures[int(torch.randint(0, len(temperatures), (1,), generator=rng))]}
    if float(torch.rand(1, generator=rng)) < 0.7:
        params["top_k"] = int(torch.randint(1, vocabulary + 1, (1,), generator=rng))
    if float(torch.rand(1, generator=rng)) < 0.7:
        params["top_p"] = round(0.3 + 0.65 * float(torch.rand(1, generator=rng)), 3)
    for attempt in range(100):
        logits = _random_logits(batch, vocabulary, seed * 100 + attempt)
        if not margin_problems(logits, params):
            return _case(f"hidden-{index + 1}", f"hidden check {index + 1}", logits, params, seed=seed, visible=False)
    raise GraderError(f"next-token-probs: no hidden case {index + 1} clear of rounding boundaries for seed {seed}")


def build_cases(variant_seed):
    cases = [
        _case("defaults", "defaults: a plain softmax (B=3, V=7)", _random_logits(3, 7, 81), {}, seed=81),
        _case("temperature", "temperature 0.5, options passed as None (B=2, V=9)", _random_logits(2, 9, 82),
              {"temperature": 0.5, "top_k": None, "top_p": None}, seed=82),
        _case("top-k", "temperature 2 and top_k=3 (B=3, V=8)", _random_logits(3, 8, 83),
              {"temperature": 2.0, "top_k": 3}, seed=83),
        _case("top-p", "temperature 0.7 and top_p=0.8 (B=4, V=10)", _random_logits(4, 10, 84),
              {"temperature": 0.7, "top_p": 0.8}, seed=84),
        _case("top-k-then-top-p", "top_k=3 then top_p=0.7 at temperature 1/1.3 (B=4, V=7)", _order_logits(85),
              {"temperature": 1 / 1.3, "top_k": 3, "top_p": 0.7}, seed=85),
        _case("nothing-removed", "top_k=V and top_p=1 remove nothing (B=2, V=6)", _random_logits(2, 6, 86, scale=1.0),
              {"temperature": 0.8, "top_k": 6, "top_p": 1.0}, seed=86),
        _case("tiny-temperature", "temperature 1/1024 with top_p=0.9 (B=3, V=10)", _tiny_temperature_logits(),
              {"temperature": 1 / 1024, "top_p": 0.9}, seed=87),
        _case("top-k-ties", "ties at the top-k cut, top_k=3 (B=3, V=6)", _top_k_ties(), {"top_k": 3}, seed=88),
        _case("top-p-ties", "ties at the top-p cut, top_p=0.5 (B=3, V=5)", _top_p_ties(), {"top_p": 0.5}, seed=89),
        _case("one-token", "top_p=0.05, below the largest probability: one token kept (B=2, V=8)",
              _random_logits(2, 8, 90), {"temperature": 1.5, "top_p": 0.05}, seed=90),
        _case("greedy", "top_k=1 (B=2, V=5)", _random_logits(2, 5, 91), {"temperature": 0.9, "top_k": 1}, seed=91),
    ]
    rng = torch.Generator().manual_seed(variant_seed)
    for index in range(4):
        cases.append(_hidden(index, rng, variant_seed * 10 + index))
    return cases


def _expected_for(case, probs):
    """Rebuild the expected probabilities, taking the learner's choice within ties at the cut.

    Returns the expected (B, V) float64 tensor and the (B, V) mask of removed tokens.
    """
    params = case.params
    scaled = scaled_logits(case.inputs["logits"], params)
    expected = torch.zeros_like(scaled)
    removed = torch.ones_like(scaled, dtype=torch.bool)
    for row_index, row in enumerate(scaled):
        sorted_row = torch.sort(row, descending=True).values
        count = kept_count(sorted_row, params.get("top_k"), params.get("top_p"))
        boundary = sorted_row[count - 1]
        kept = row > boundary
        tied = torch.nonzero(row == boundary).flatten()
        needed = count - int(kept.sum())
        if len(tied) > needed:
            # Take the tied tokens that the learner gave the most probability to.
            order = torch.argsort(probs[row_index, tied].double().nan_to_num(nan=-1.0), descending=True, stable=True)
            tied = tied[order[:needed]]
        kept[tied] = True
        expected[row_index, kept] = torch.softmax(row[kept], dim=0)
        removed[row_index] = ~kept
    return expected, removed


def _value_problems(case, probs):
    expected, removed = _expected_for(case, probs)
    problems = []
    problem = value_problem("probs", probs, expected, case.tolerance("probs", probs.dtype))
    if problem:
        problems.append(problem)
    leaked = removed & (probs != 0)
    if leaked.any():
        row_index, token = (int(index) for index in torch.nonzero(leaked)[0])
        problems.append(
            f"Token {token} of row {row_index} is removed by the filtering but has probability "
            f"{probs[row_index, token].item():.6g}; removed tokens must have probability exactly 0."
        )
    kept_expected = (~removed).sum(dim=1)
    kept_got = (probs != 0).sum(dim=1)
    differing = torch.nonzero(kept_expected != kept_got).flatten()
    if problems and len(differing):
        row_index = int(differing[0])
        kept = int(kept_got[row_index])
        problems.append(
            f"Row {row_index} keeps {kept} token{'' if kept == 1 else 's'} with nonzero probability, but these options "
            f"keep {int(kept_expected[row_index])}."
        )
    return problems


def evaluate_case(case, outcome, expected):
    """Grade one case: shape, tie-aware values with exact zeros, and the logits after the call."""
    from grader.checking import compare_case

    if outcome is None or outcome.error is not None:
        return compare_case(case, outcome, expected)
    tensors = outcome.tensors
    probs = tensors.get("probs")
    shape = shape_problem("probs", probs, expected["probs"])
    if shape is not None and "probs.type" in outcome.values:
        shape += f" The function returned a {outcome.values['probs.type']}, not a torch.Tensor."
    stages = [(Stage.SHAPE, [shape] if shape else [])]
    if shape is None:
        stages.append((Stage.VALUE, _value_problems(case, probs)))
    else:
        stages.append((Stage.VALUE, ["`probs` cannot be checked until its shape and dtype are right."]))
    after = tensors.get("after.logits")
    if after is None or not torch.equal(after, case.inputs["logits"]):
        stages.append((Stage.BEHAVIOUR, ["The input `logits` was modified in place."]))
    else:
        stages.append((Stage.BEHAVIOUR, []))

    rows = []
    for stage, problems in stages:
        passed = not problems
        if case.visible:
            message = " ".join(problems) or "Passed."
        else:
            message = "Passed." if passed else f"Wrong {stage.value} on a hidden input."
        rows.append(CheckResult(f"{case.title}: {stage.value}", case.visible, passed, message, stage, case.id))
    return rows
