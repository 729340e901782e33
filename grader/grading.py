"""Grade one submission: build the cases, run the sandbox, compare on the trusted side, diagnose.

Runs on the trusted side; the learner's code runs only inside the sandbox.
``grade()`` is the one entry point that the command line, the Celery task and
the benchmark share.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import json
import logging
import os
import platform
import signal
import time
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors.torch import save

from grader.checking import Case, CaseOutcome, compare_case, run_probe
from grader.diagnose import match_misconceptions
from grader.errors import GraderError
from grader.exercise import Exercise, get_exercise, load_module_from_path
from grader.harness import protocol
from grader.outputs import InvalidOutput, last_case_started, read_run_outputs
from grader.sandbox import get_backend
from grader.sandbox.base import Sandbox
from grader.submission import forbidden_names_used
from grader.verdict import STAGE_ORDER, CheckResult, Diagnosis, Reason, Stage, Status, Verdict

logger = logging.getLogger(__name__)

MAX_OUTPUT_CHARS = 8000
HIDDEN_CRASH_MESSAGE = "Your code ended the process during the hidden checks, before grading finished."
LIMIT_REASONS = {
    "wall_time_s": Reason.WALL_TIME_LIMIT,
    "cpu_time_s": Reason.CPU_TIME_LIMIT,
    "memory_mib": Reason.MEMORY_LIMIT,
    "max_processes": Reason.PROCESS_LIMIT,
    "output_bytes": Reason.OUTPUT_LIMIT,
}


def default_variant_seed(source: str) -> int:
    """Derive the hidden cases' seed from the source, so grading one file twice gives one verdict."""
    return int.from_bytes(hashlib.sha256(source.encode()).digest()[:4], "big")


@functools.lru_cache(maxsize=64)
def _probe(slug: str, version: int, path: str) -> Any:
    return load_module_from_path(Path(path), f"probe_{slug.replace('-', '_')}_v{version}")


def probe_for(exercise: Exercise) -> Any:
    return _probe(exercise.slug, exercise.version, str(exercise.probe_path))


@dataclasses.dataclass
class PreparedCases:
    cases: list[Case]
    expected: dict[str, dict[str, torch.Tensor]]
    # The per-version set that these cases' visible ones come from; its serialized inputs are reused.
    shared_visible: "PreparedCases | None" = None

    @functools.cached_property
    def visible_part(self) -> "PreparedCases":
        """The visible cases alone, for a practice run that keeps the hidden ones back."""
        cases = [case for case in self.cases if case.visible]
        return PreparedCases(
            cases=cases, expected={case.id: self.expected[case.id] for case in cases}, shared_visible=self.shared_visible
        )

    @functools.cached_property
    def job_files(self) -> "JobFiles":
        """The serialized job, built once per exercise version and variant."""
        visible = [case for case in self.cases if case.visible]
        hidden = [case for case in self.cases if not case.visible]
        shared = self.shared_visible
        if shared is not None and [case.id for case in shared.cases] == [case.id for case in visible]:
            inputs, job = shared.job_files.inputs, shared.job_files.job
        else:
            inputs, job = _inputs_bytes(visible), {"cases": _case_entries(visible)}
        return JobFiles(
            inputs=inputs,
            job=job,
            hidden_inputs=_inputs_bytes(hidden),
            hidden_job=json.dumps({"cases": _case_entries(hidden)}),
        )


def _check_case_ids(slug: str, cases: list[Case]) -> None:
    ids = [case.id for case in cases]
    if len(set(ids)) != len(ids) or any(protocol.KEY_SEPARATOR in case_id for case_id in ids):
        raise GraderError(f"{slug}: case ids must be unique and contain no '/': {ids}")


@functools.lru_cache(maxsize=64)
def _visible_cases(slug: str, version: int) -> PreparedCases:
    """Build the visible cases and their reference outputs once per exercise version.

    Visible cases do not depend on the variant seed (``tests/grader`` checks
    this for every exercise), so every variant shares them.
    """
    exercise = get_exercise(slug)
    checks = exercise.checks()
    cases = [case for case in checks.build_cases(0) if case.visible]
    reference = checks.reference()
    probe = probe_for(exercise)
    return PreparedCases(cases=cases, expected={case.id: run_probe(probe, reference, case) for case in cases})


@functools.lru_cache(maxsize=256)
def prepare_cases(slug: str, version: int, variant_seed: int) -> PreparedCases:
    """Build the cases and the reference outputs: the visible ones once per version, the hidden ones per variant.

    A checks module that defines ``build_hidden_cases(variant_seed)`` spares
    each new variant the building of the visible cases too.
    """
    exercise = get_exercise(slug)
    checks = exercise.checks()
    visible = _visible_cases(slug, version)
    build_hidden = getattr(checks, "build_hidden_cases", None)
    if build_hidden is not None:
        hidden = list(build_hidden(variant_seed))
    else:
        hidden = [case for case in checks.build_cases(variant_seed) if not case.visible]
    if any(case.visible for case in hidden):
        raise GraderError(f"{slug}: build_hidden_cases returned a visible case")
    cases = visible.cases + hidden
    _check_case_ids(slug, cases)
    reference = checks.reference()
    probe = probe_for(exercise)
    expected = dict(visible.expected)
    expected.update({case.id: run_probe(probe, reference, case) for case in hidden})
    return PreparedCases(cases=cases, expected=expected, shared_visible=visible)


def _error_verdict(exercise: Exercise, reason: Reason, message: str, **extra: Any) -> Verdict:
    return Verdict(
        exercise=exercise.slug,
        version=exercise.version,
        status=Status.ERROR,
        score=0.0,
        reason=reason,
        message=message,
        **extra,
    )


def check_syntax(source: str) -> str | None:
    """Return a learner-facing description of a syntax error, or None; parsing runs no code."""
    try:
        ast.parse(source, filename="submission.py")
    except SyntaxError as error:
        line = (error.text or "").rstrip("\n")
        pointer = " " * max((error.offset or 1) - 1, 0) + "^"
        return f"Syntax error on line {error.lineno}: {error.msg}\n    {line}\n    {pointer}"
    except (RecursionError, MemoryError, ValueError) as error:
        return f"The file cannot be parsed: {type(error).__name__}."
    return None


def _case_entries(cases: list[Case]) -> list[dict[str, Any]]:
    return [
        {"id": case.id, "visible": case.visible, "inputs": sorted(case.inputs), "params": case.params, "seed": case.seed}
        for case in cases
    ]


def _inputs_bytes(cases: list[Case]) -> bytes:
    inputs = {
        protocol.tensor_key(case.id, name): tensor.contiguous() for case in cases for name, tensor in case.inputs.items()
    }
    return save(inputs)


@dataclasses.dataclass(frozen=True)
class JobFiles:
    """The serialized job of one set of cases: what the sandbox gets at once, and what is held back."""

    inputs: bytes
    job: dict[str, Any]
    hidden_inputs: bytes
    hidden_job: str


def _write_file(path: Path, data: bytes) -> None:
    # Mode 0644: the sandbox's unprivileged user must read what the trusted side writes.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(descriptor, data)
    finally:
        os.close(descriptor)


def write_job(sandbox: Sandbox, exercise: Exercise, source: str, prepared: "PreparedCases") -> None:
    """Write the visible cases into the sandbox's input folder and hold the hidden ones back.

    The sandbox moves the hidden cases' files into the input folder only after
    it has stopped recording the learner's output (see ``grader.harness.protocol``).
    """
    files = prepared.job_files
    _write_file(sandbox.in_dir / protocol.INPUTS_FILE, files.inputs)
    _write_file(sandbox.in_dir / protocol.SUBMISSION_FILE, source.encode())
    _write_file(sandbox.in_dir / protocol.PROBE_FILE, exercise.probe_path.read_bytes())
    job = {"entry_points": list(exercise.entry_points), "forbidden_calls": list(exercise.forbidden_calls), **files.job}
    _write_file(sandbox.in_dir / protocol.JOB_FILE, json.dumps(job).encode())
    _write_file(sandbox.held_dir / protocol.HIDDEN_INPUTS_FILE, files.hidden_inputs)
    _write_file(sandbox.held_dir / protocol.HIDDEN_JOB_FILE, files.hidden_job.encode())


def score_rows(rows: list[CheckResult]) -> tuple[float, Stage | None]:
    """Staged partial credit: full credit per stage passed in order, then the fraction passed of the first failing one."""
    stages = [stage for stage in STAGE_ORDER if any(row.stage is stage for row in rows)]
    if not stages:
        return 0.0, None
    credit = 0.0
    for stage in stages:
        stage_rows = [row for row in rows if row.stage is stage]
        passed = sum(row.passed for row in stage_rows)
        if passed == len(stage_rows):
            credit += 1
            continue
        credit += passed / len(stage_rows)
        return credit / len(stages), stage
    return 1.0, None


def grade(
    slug: str,
    source: str,
    *,
    backend: str | None = None,
    sandbox: Sandbox | None = None,
    variant_seed: int | None = None,
    submission_id: Any = None,
    on_progress: Callable[[str], None] | None = None,
    visible_only: bool = False,
    discard: Callable[[Sandbox], None] | None = None,
) -> Verdict:
    """Grade ``source`` against exercise ``slug`` and return the verdict.

    ``sandbox`` is a started sandbox from a warm pool; without one, a new
    sandbox of ``backend`` is started and discarded. Raises ``GraderError``
    for faults of the grader, never for faults of the learner's code.
    ``on_progress`` receives each progress line (untrusted text, at most 200
    characters) that the probe reports while the sandbox runs. With
    ``visible_only`` only the visible cases run: a quick practice run whose
    verdict covers the visible cases only. ``discard`` takes the used
    sandbox (``WarmPool.discard`` destroys it in the background); without it
    the sandbox is destroyed before ``grade`` returns.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    discard = discard or Sandbox.destroy
    log_extra = {"submission_id": submission_id, "exercise": slug}
    exercise = get_exercise(slug)
    seed = default_variant_seed(source) if variant_seed is None else variant_seed

    def finish(verdict: Verdict) -> Verdict:
        verdict.visible_only = visible_only
        verdict.duration_ms = (time.perf_counter() - started) * 1000
        verdict.timings_ms = timings
        verdict.reproducibility = {
            "exercise_version": exercise.version,
            "variant_seed": seed,
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "device": "cpu",
            "tolerances": "per dtype: float32 rtol=1e-4 atol=1e-5; float64 rtol=1e-7 atol=1e-9 unless a case overrides",
            **verdict.reproducibility,
        }
        logger.info("graded %s: %s score %.3f", slug, verdict.status.value, verdict.score, extra=log_extra)
        return verdict

    syntax = check_syntax(source)
    if syntax:
        if sandbox is not None:
            discard(sandbox)
        return finish(_error_verdict(exercise, Reason.SYNTAX_ERROR, syntax))
    forbidden = forbidden_names_used(source, exercise.forbidden_calls)
    if forbidden:
        if sandbox is not None:
            discard(sandbox)
        return finish(
            _error_verdict(
                exercise,
                Reason.FORBIDDEN_CALL,
                f"This exercise does not allow {', '.join(forbidden)}; write the computation yourself.",
            )
        )

    step = time.perf_counter()
    prepared = prepare_cases(exercise.slug, exercise.version, seed)
    if visible_only:
        prepared = prepared.visible_part
    timings["prepare"] = (time.perf_counter() - step) * 1000

    step = time.perf_counter()
    if sandbox is not None:
        try:
            sandbox.apply_limits(exercise.limits)
        except GraderError as error:
            logger.info("warm sandbox not reusable (%s); starting a new one", error, extra=log_extra)
            discard(sandbox)
            sandbox = None
    if sandbox is None:
        sandbox = get_backend(backend).start(exercise.limits, exercise.device)
    try:
        write_job(sandbox, exercise, source, prepared)
        sandbox.wait_ready()
        timings["sandbox_ready"] = (time.perf_counter() - step) * 1000
        step = time.perf_counter()
        result = sandbox.run(on_progress=on_progress)
        timings["sandbox_run"] = (time.perf_counter() - step) * 1000
        step = time.perf_counter()
        verdict = evaluate_run(exercise, prepared, result, log_extra)
        timings["compare"] = (time.perf_counter() - step) * 1000
        verdict.reproducibility = {"sandbox_backend": result.backend, "sandbox_image": result.image}
    finally:
        discard(sandbox)
    return finish(verdict)


def _learner_output(result: Any) -> str:
    text = result.stdout.decode("utf-8", errors="replace")
    if len(text) > MAX_OUTPUT_CHARS or result.stdout_truncated:
        text = text[:MAX_OUTPUT_CHARS] + "\n[output truncated]"
    return text


def evaluate_run(exercise: Exercise, prepared: PreparedCases, result: Any, log_extra: dict) -> Verdict:
    output = _learner_output(result)
    if result.exceeded:
        return _error_verdict(
            exercise, LIMIT_REASONS[result.exceeded], exercise.limits.exceeded_message(result.exceeded), output=output
        )

    try:
        outputs = read_run_outputs(
            result,
            max_bytes=exercise.limits.output_bytes,
            visible_cases={case.id for case in prepared.cases if case.visible},
            hidden_cases={case.id for case in prepared.cases if not case.visible},
            forbidden_calls=exercise.forbidden_calls,
        )
    except InvalidOutput as error:
        logger.info("invalid sandbox output: %s", error, extra=log_extra)
        return _error_verdict(exercise, Reason.INVALID_OUTPUT, f"The sandbox's output was rejected: {error}.", output=output)

    if outputs is None and result.hidden_started:
        # The exit status and the signal could carry a hidden input out, so they are not shown.
        return _error_verdict(exercise, Reason.CRASHED, HIDDEN_CRASH_MESSAGE, output=output)
    if outputs is None:
        case_id = last_case_started(result.out_dir)
        where = f" while checking {case_id!r}" if case_id and _is_visible(prepared, case_id) else ""
        signal_number = _signal_of(result.exit_code)
        if signal_number is not None:
            message = f"The Python process crashed with signal {signal_number} ({_signal_name(signal_number)}){where}."
        else:
            message = f"Your code ended the process (exit status {result.exit_code}){where} before grading finished."
        return _error_verdict(exercise, Reason.CRASHED, message, output=output)

    load = outputs.manifest.get("load")
    if isinstance(load, dict):
        return _error_verdict(exercise, *_load_failure(load), output=output)

    forbidden = outputs.manifest.get("forbidden")
    if isinstance(forbidden, list) and forbidden:
        names = ", ".join(str(name)[:80] for name in forbidden[:5])
        return _error_verdict(
            exercise, Reason.FORBIDDEN_CALL, f"This exercise does not allow {names}; write the computation yourself.", output=output
        )

    outcomes = _outcomes(prepared, outputs)
    checks = exercise.checks()
    rows: list[CheckResult] = []
    evaluate = getattr(checks, "evaluate_case", None)
    for case in prepared.cases:
        case_rows = evaluate(case, outcomes[case.id], prepared.expected[case.id]) if evaluate else None
        if case_rows is None:
            case_rows = compare_case(case, outcomes[case.id], prepared.expected[case.id])
        rows.extend(case_rows)
    rows.sort(key=lambda row: not row.visible)

    errored = [case for case in prepared.cases if outcomes[case.id] is None or outcomes[case.id].error is not None]
    if errored and len(errored) == len(prepared.cases):
        first = next((outcomes[c.id] for c in prepared.cases if c.visible and outcomes[c.id] is not None), None)
        detail = first.error if first is not None and first.error else {}
        reason = Reason.FORBIDDEN_CALL if detail.get("kind") == "forbidden_call" else Reason.EXCEPTION
        message = rows[0].message if rows else "Your code raised an exception on every input."
        verdict = _error_verdict(exercise, reason, message, output=output, checks=rows)
        return verdict

    score, failed_stage = score_rows(rows)
    passed = all(row.passed for row in rows)
    diagnosis: list[Diagnosis] = []
    if not passed:
        diagnosis = match_misconceptions(exercise, probe_for(exercise), prepared.cases, outcomes, prepared.expected, rows)
        extra = getattr(checks, "diagnose", None)
        if extra is not None:
            for misconception_id in extra(prepared.cases, outcomes, prepared.expected, rows):
                if all(item.id != misconception_id for item in diagnosis):
                    diagnosis.append(Diagnosis(misconception_id, exercise.misconception(misconception_id).message))
    artifacts = {}
    make_artifacts = getattr(checks, "artifacts", None)
    if make_artifacts is not None:
        artifacts = make_artifacts(prepared.cases, outcomes, prepared.expected)
    return Verdict(
        exercise=exercise.slug,
        version=exercise.version,
        status=Status.PASSED if passed else Status.FAILED,
        score=1.0 if passed else score,
        checks=rows,
        diagnosis=diagnosis,
        failed_stage=failed_stage,
        output=output,
        artifacts=artifacts,
    )


def _signal_of(exit_code: int | None) -> int | None:
    """Return the signal that ended the process, or None: Popen reports -N, and bubblewrap passes on 128 + N."""
    if exit_code is None:
        return None
    if exit_code < 0:
        return -exit_code
    if 128 < exit_code < 128 + 65:
        return exit_code - 128
    return None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"


def _is_visible(prepared: PreparedCases, case_id: str) -> bool:
    return any(case.id == case_id and case.visible for case in prepared.cases)


def _load_failure(load: dict) -> tuple[Reason, str]:
    kind = load.get("kind")
    if kind == "syntax_error":
        return Reason.SYNTAX_ERROR, f"Syntax error on line {load.get('line')}: {str(load.get('message'))[:300]}"
    if kind == "missing_definition":
        missing = [str(name)[:80] for name in load.get("missing", [])][:10]
        return Reason.MISSING_DEFINITION, f"Your file does not define {', '.join(missing)}; keep the names from the starter."
    text = f"Importing your file raised {str(load.get('type'))[:80]}: {str(load.get('message'))[:500]}"
    trace = str(load.get("traceback", ""))[:2000]
    return Reason.IMPORT_FAILED, text + ("\n" + trace if trace else "")


def _outcomes(prepared: PreparedCases, outputs: Any) -> dict[str, CaseOutcome | None]:
    outcomes: dict[str, CaseOutcome | None] = {}
    for case in prepared.cases:
        entry = outputs.manifest["cases"].get(case.id)
        if not isinstance(entry, dict):
            outcomes[case.id] = None
            continue
        error = entry.get("error")
        values = entry.get("values") if isinstance(entry.get("values"), dict) else {}
        outcomes[case.id] = CaseOutcome(
            tensors=outputs.tensors.get(case.id, {}),
            values=values,
            error=error if isinstance(error, dict) else None,
        )
    return outcomes
