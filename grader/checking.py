"""Cases, tolerances and the comparison of a learner's outputs with the reference's.

Runs on the trusted side. An exercise's ``checks.py`` builds ``Case`` objects
with inputs only. The reference outputs come from running the exercise's
probe over ``reference_models/`` in this process, so one probe serves the
learner, the reference and every misconception alike.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch

from grader.verdict import CheckResult, Stage

HIDDEN_MESSAGES = {
    Stage.SHAPE: "Wrong shape or dtype on a hidden input.",
    Stage.VALUE: "Wrong value on a hidden input.",
    Stage.GRADIENT: "Wrong gradient on a hidden input.",
    Stage.BEHAVIOUR: "Wrong behaviour on a hidden input.",
}
HIDDEN_ERROR_MESSAGE = "Your code raised an exception on a hidden input."
HIDDEN_PASS_MESSAGE = "Passed."


@dataclasses.dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float

    def describe(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


DEFAULT_TOLERANCES = {
    torch.float16: Tolerance(rtol=1e-2, atol=1e-3),
    torch.bfloat16: Tolerance(rtol=2e-2, atol=1e-2),
    torch.float32: Tolerance(rtol=1e-4, atol=1e-5),
    torch.float64: Tolerance(rtol=1e-7, atol=1e-9),
}


def tolerance_for(dtype: torch.dtype, overrides: dict | None = None) -> Tolerance:
    if overrides and dtype in overrides:
        return overrides[dtype]
    return DEFAULT_TOLERANCES.get(dtype, Tolerance(rtol=0.0, atol=0.0))


@dataclasses.dataclass
class Case:
    """One set of inputs for the probe; ``params`` must be JSON-serializable."""

    id: str
    title: str
    visible: bool
    inputs: dict[str, torch.Tensor]
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    seed: int = 0
    # Output name -> tolerance, for outputs that need looser or tighter bounds than their dtype's.
    tolerances: dict[str, Tolerance] = dataclasses.field(default_factory=dict)
    # Output name -> stage, overriding the default taken from the name's prefix.
    stages: dict[str, Stage] = dataclasses.field(default_factory=dict)

    def stage_of(self, output_name: str) -> Stage:
        if output_name in self.stages:
            return self.stages[output_name]
        if output_name.startswith("grad."):
            return Stage.GRADIENT
        if output_name.startswith(("after.", "state.")):
            return Stage.BEHAVIOUR
        return Stage.VALUE

    def tolerance(self, output_name: str, dtype: torch.dtype) -> Tolerance:
        return self.tolerances.get(output_name) or tolerance_for(dtype)


def _shape_text(shape: torch.Size) -> str:
    return "a scalar (shape ())" if len(shape) == 0 else f"shape {tuple(shape)}"


def _label(output_name: str) -> str:
    if output_name.startswith("grad."):
        return f"the gradient with respect to `{output_name[5:]}`"
    if output_name.startswith("after."):
        return f"the input `{output_name[6:]}` after the call"
    return f"`{output_name}`"


def _format_values(values: torch.Tensor) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in values.double().tolist()) + "]"


def shape_problem(name: str, got: Any, expected: torch.Tensor) -> str | None:
    """Describe why ``got`` cannot be compared with ``expected``, or None when it can."""
    if got is None:
        return f"{_label(name)} is missing: expected a tensor with {_shape_text(expected.shape)}."
    if got.shape != expected.shape:
        return f"{_label(name)} has {_shape_text(got.shape)}; expected {_shape_text(expected.shape)}."
    if got.dtype != expected.dtype:
        return f"{_label(name)} has dtype {str(got.dtype).removeprefix('torch.')}; expected {str(expected.dtype).removeprefix('torch.')}."
    return None


def values_close(got: torch.Tensor, expected: torch.Tensor, tolerance: Tolerance) -> bool:
    if got.shape != expected.shape:
        return False
    if got.dtype == torch.bool or expected.dtype == torch.bool:
        return bool(torch.equal(got.bool(), expected.bool()))
    # Identical values (an input returned unchanged, a bit-exact result) need no conversion.
    if got.dtype == expected.dtype and torch.equal(got, expected):
        return True
    return bool(torch.allclose(got.double(), expected.double(), rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=True))


def value_problem(name: str, got: torch.Tensor, expected: torch.Tensor, tolerance: Tolerance) -> str | None:
    """Describe where and by how much ``got`` differs from ``expected``, or None when they agree."""
    if values_close(got, expected, tolerance):
        return None
    got64, expected64 = got.double().reshape(-1), expected.double().reshape(-1)
    finite = torch.isfinite(expected64)
    bad_finite = finite & ~torch.isfinite(got64)
    if bad_finite.any():
        flat = int(bad_finite.nonzero()[0])
        index = _unravel(flat, expected.shape)
        return (
            f"{_label(name)} has a non-finite value {got64[flat].item()} at index {index} where "
            f"{expected64[flat].item():.6g} was expected; look for a log of 0, an exp overflow or a division by 0."
        )
    error = (got64 - expected64).abs()
    error = torch.where(finite, error, torch.where(got64.isnan() == expected64.isnan(), 0.0, math.inf))
    # Report the element that breaks the tolerance the most, not merely the largest absolute error.
    excess = error - (tolerance.atol + tolerance.rtol * expected64.abs().nan_to_num(posinf=0.0, neginf=0.0))
    flat = int(excess.argmax())
    relative = error / expected64.abs().clamp_min(1e-12)
    if expected.dim() == 0:
        return (
            f"{_label(name)} is {got64[0].item():.6g}; expected {expected64[0].item():.6g} "
            f"(absolute error {error[0].item():.4g}, relative {relative[0].item():.3g}; tolerance {tolerance.describe()})."
        )
    index = _unravel(flat, expected.shape)
    start = max(0, flat - 2)
    window = slice(start, start + 5)
    return (
        f"{_label(name)} differs from the expected value: absolute error {error[flat].item():.4g} "
        f"at index {index} (relative {relative[flat].item():.3g}, the worst against the tolerance); "
        f"expected {_format_values(expected64[window])}, got {_format_values(got64[window])} "
        f"at flat positions {start}..{min(start + 5, expected64.numel()) - 1}; tolerance {tolerance.describe()}."
    )


def _unravel(flat: int, shape: torch.Size) -> tuple[int, ...]:
    index = []
    for size in reversed(shape):
        index.append(flat % size)
        flat //= size
    return tuple(reversed(index))


@dataclasses.dataclass
class CaseOutcome:
    """The sandbox's report for one case: tensors and JSON values, or the error it raised."""

    tensors: dict[str, torch.Tensor]
    values: dict[str, Any]
    error: dict[str, Any] | None = None


def compare_case(case: Case, outcome: CaseOutcome | None, expected: dict[str, torch.Tensor]) -> list[CheckResult]:
    """Return one check row per stage that the case's expected outputs cover."""
    stages: dict[Stage, list[str]] = {}
    for name in expected:
        stages.setdefault(case.stage_of(name), []).append(name)
    if Stage.VALUE in stages or Stage.GRADIENT in stages or Stage.BEHAVIOUR in stages:
        stages.setdefault(Stage.SHAPE, [])

    rows = []
    ordered = [stage for stage in (Stage.SHAPE, Stage.VALUE, Stage.GRADIENT, Stage.BEHAVIOUR) if stage in stages]
    for stage in ordered:
        if outcome is None or outcome.error is not None:
            message = _error_message(case, outcome)
            rows.append(_row(case, stage, False, message, hidden_message=HIDDEN_ERROR_MESSAGE))
            continue
        if stage is Stage.SHAPE:
            problems = [shape_problem(name, outcome.tensors.get(name), expected[name]) for name in expected]
            problems = [p for p in problems if p]
            problems += _type_notes(outcome.values)
        else:
            problems = []
            for name in stages[stage]:
                got = outcome.tensors.get(name)
                if shape_problem(name, got, expected[name]):
                    problems.append(f"{_label(name)} cannot be checked until its shape and dtype are right.")
                    continue
                problem = value_problem(name, got, expected[name], case.tolerance(name, expected[name].dtype))
                if problem:
                    problems.append(problem)
        rows.append(_row(case, stage, not problems, " ".join(problems[:3]) or "Passed."))
    return rows


def _type_notes(values: dict[str, Any]) -> list[str]:
    return [
        f"`{key[:-5]}` is a {value}, not a plain torch.Tensor."
        for key, value in values.items()
        if key.endswith(".type") and isinstance(value, str)
    ]


def _error_message(case: Case, outcome: CaseOutcome | None) -> str:
    if outcome is None:
        return "Your code produced no result for this input (the process stopped before it finished)."
    error = outcome.error or {}
    if error.get("kind") == "forbidden_call":
        return f"Forbidden call: {error.get('message', '')}"
    text = f"Your code raised {error.get('type', 'an exception')}: {error.get('message', '')}"
    trace = error.get("traceback", "")
    return text + ("\n" + trace if trace else "")


def _row(case: Case, stage: Stage, passed: bool, message: str, hidden_message: str | None = None) -> CheckResult:
    if not case.visible:
        if passed:
            hidden_message = HIDDEN_PASS_MESSAGE
        elif hidden_message is None:
            hidden_message = HIDDEN_MESSAGES[stage]
        return CheckResult(
            name=f"{case.title}: {stage.value}", visible=False, passed=passed, message=hidden_message, stage=stage, case_id=case.id
        )
    return CheckResult(name=f"{case.title}: {stage.value}", visible=True, passed=passed, message=message, stage=stage, case_id=case.id)


def run_probe(probe: Any, module: Any, case: Case) -> dict[str, torch.Tensor]:
    """Run a probe on the trusted side (for the reference or a misconception) exactly as the harness does."""
    from grader.harness.protocol import normalize_outputs, seed_generators

    inputs = {name: tensor.clone() for name, tensor in case.inputs.items()}
    if not hasattr(probe, "report_progress"):
        probe.report_progress = lambda text: None  # the harness attaches the real one in the sandbox
    # One thread, as in the sandbox: reductions then add in the same order, and a busy worker is not oversubscribed.
    # Changing the thread count rebuilds the thread pool, so a process that already runs one thread skips it.
    threads = torch.get_num_threads()
    if threads != 1:
        torch.set_num_threads(1)
    try:
        seed_generators(case.seed)
        tensors, _ = normalize_outputs(probe.run(module, inputs, case.params))
    finally:
        if threads != 1:
            torch.set_num_threads(threads)
    return {name: tensor.detach().cpu().clone() for name, tensor in tensors.items()}

