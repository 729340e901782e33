"""Name the learner's mistake by matching failing outputs against known misconceptions.

Runs on the trusted side. Each misconception of an exercise is a buggy
solution in ``misconceptions/<id>.py``. It runs through the same probe on the
same inputs, and a learner whose wrong outputs all agree with one of them gets
that misconception's message.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from grader.checking import Case, CaseOutcome, run_probe, values_close
from grader.exercise import Exercise, load_module_from_path
from grader.verdict import CheckResult, Diagnosis

logger = logging.getLogger(__name__)


def _misconception_module(exercise: Exercise, misconception_id: str) -> Any:
    cache = _MODULES.setdefault((exercise.slug, exercise.version), {})
    if misconception_id not in cache:
        path = exercise.misconception(misconception_id).path
        cache[misconception_id] = load_module_from_path(path, f"misconception_{exercise.slug}_{misconception_id}")
    return cache[misconception_id]


_MODULES: dict[tuple[str, int], dict[str, Any]] = {}


def match_misconceptions(
    exercise: Exercise,
    probe: Any,
    cases: list[Case],
    outcomes: dict[str, CaseOutcome | None],
    expected: dict[str, dict],
    rows: list[CheckResult],
) -> list[Diagnosis]:
    """Return the misconceptions whose outputs agree with the learner's on every failing case."""
    if exercise.project or not getattr(exercise.checks(), "MATCH_OUTPUTS", True):
        # A project's training run, or a sampler's draws, cannot be reproduced by rerunning a
        # misconception (and rerunning costs seconds), so the exercise's checks.diagnose names them.
        return []
    failing_ids = {row.case_id for row in rows if not row.passed}
    failing = [case for case in cases if case.id in failing_ids and outcomes.get(case.id) and outcomes[case.id].error is None]
    if not failing:
        return []

    found = []
    for misconception in exercise.misconceptions:
        module = _misconception_module(exercise, misconception.id)
        if _explains(module, probe, failing, outcomes, expected):
            found.append(Diagnosis(id=misconception.id, message=misconception.message))
    return found


def _explains(module: Any, probe: Any, failing: list[Case], outcomes: dict, expected: dict) -> bool:
    """True when, on every failing case, the learner's outputs are wrong exactly where the misconception's are.

    Each output that the learner got wrong must equal the misconception's, and
    each output where the misconception is wrong must be wrong in the same way
    for the learner, so a misconception that breaks more than the learner's
    code does is not named. An output missing from both (a gradient that
    neither produced) counts as agreeing, but at least one output must actually
    be compared.
    """
    compared = 0
    for case in failing:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                buggy = run_probe(probe, module, case)
        except Exception:  # a misconception may not run on every input; then it explains nothing there
            return False
        learner = outcomes[case.id].tensors
        names = [
            name
            for name, reference in expected[case.id].items()
            if not _close(learner.get(name), reference, case, name) or not _close(buggy.get(name), reference, case, name)
        ]
        for name in names:
            if name not in learner and name not in buggy:
                continue
            if not _close(learner.get(name), buggy.get(name), case, name):
                return False
            compared += 1
    return compared > 0


def _close(got: Any, reference: Any, case: Case, name: str) -> bool:
    if got is None or reference is None:
        return got is None and reference is None
    return values_close(got, reference, case.tolerance(name, reference.dtype))
