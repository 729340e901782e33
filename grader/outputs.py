"""Read what the sandbox left in its output folder, treating every byte as hostile.

Runs on the trusted side. Files are opened with ``O_NOFOLLOW`` and must be
regular files under a size cap. The manifest must match the schema that the
harness writes, and every string in it is cut to a fixed length. The tensors
are parsed by safetensors (no pickle, no ``torch.load``), and their names,
dtypes and sizes are checked again before anything compares them.

A run has two phases (see ``grader.harness.protocol``): the visible cases'
files are copied when the harness reports the end of those cases, and the
hidden cases' files are read after the run. Nothing from the second phase may
reach the learner as text, so its validation errors are reported without
details.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

from grader.harness import protocol

logger = logging.getLogger(__name__)

MAX_MANIFEST_BYTES = 1024 * 1024
ALLOWED_DTYPES = {"float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}
# Caps on the manifest's strings; the harness cuts its own strings to the same lengths.
MAX_NAME_CHARS = 200
MAX_MESSAGE_CHARS = 2000
MAX_TRACEBACK_CHARS = 4000
MAX_VALUES_PER_CASE = 100
LOAD_KINDS = ("syntax_error", "import_failed", "missing_definition")
ERROR_KINDS = ("exception", "forbidden_call")
VISIBLE_MANIFEST_MISSING = "the end of the visible checks was reported before their results were written"
HIDDEN_PHASE_REJECTED = "the files written during the hidden checks do not follow the harness's format"


class InvalidOutput(Exception):
    """An error: the sandbox's output folder contains something the harness would not write."""


@dataclasses.dataclass
class SandboxOutputs:
    manifest: dict[str, Any]
    tensors: dict[str, dict[str, Any]]  # case id -> output name -> tensor


def read_regular_file(directory: Path, name: str, max_bytes: int) -> bytes | None:
    """Read ``directory/name`` without following links; None if it does not exist."""
    path = directory / name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InvalidOutput(f"{name} cannot be opened safely ({error.strerror}); links are not accepted") from error
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidOutput(f"{name} is not a regular file")
        if info.st_size > max_bytes:
            raise InvalidOutput(f"{name} is {info.st_size} bytes; at most {max_bytes} are accepted")
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise InvalidOutput(f"{name} grew past {max_bytes} bytes while being read")
        return data
    finally:
        os.close(fd)


def _text(value: Any, field: str, max_chars: int, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InvalidOutput(f"the manifest's {field} is not a string")
    return value[:max_chars]


def _integer(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidOutput(f"the manifest's {field} is not an integer")
    return value


def _number(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidOutput(f"the manifest's {field} is not a number")
    return float(value)


def _clean_error(error: Any, field: str) -> dict[str, Any]:
    if not isinstance(error, dict) or error.get("kind") not in ERROR_KINDS:
        raise InvalidOutput(f"the manifest's {field} is not an error description")
    return {
        "kind": error["kind"],
        "type": _text(error.get("type", ""), f"{field}.type", MAX_NAME_CHARS),
        "message": _text(error.get("message", ""), f"{field}.message", MAX_MESSAGE_CHARS),
        "traceback": _text(error.get("traceback", ""), f"{field}.traceback", MAX_TRACEBACK_CHARS),
    }


def _clean_load(load: Any) -> dict[str, Any] | None:
    if load is None:
        return None
    if not isinstance(load, dict) or load.get("kind") not in LOAD_KINDS:
        raise InvalidOutput("the manifest's load entry is not a load failure")
    kind = load["kind"]
    if kind == "missing_definition":
        missing = load.get("missing")
        if not isinstance(missing, list) or not missing:
            raise InvalidOutput("the manifest's list of missing definitions is not a list of names")
        return {"kind": kind, "missing": [_text(name, "missing name", MAX_NAME_CHARS) for name in missing[:10]]}
    clean = {
        "kind": kind,
        "type": _text(load.get("type", ""), "load.type", MAX_NAME_CHARS),
        "message": _text(load.get("message", ""), "load.message", MAX_MESSAGE_CHARS),
    }
    if kind == "syntax_error":
        clean["line"] = _integer(load.get("line"), "load.line")
        clean["offset"] = _integer(load.get("offset"), "load.offset")
        clean["text"] = _text(load.get("text", ""), "load.text", MAX_NAME_CHARS)
    else:
        clean["traceback"] = _text(load.get("traceback", ""), "load.traceback", MAX_TRACEBACK_CHARS)
    return clean


def _clean_case(case_id: str, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise InvalidOutput(f"the manifest's entry for case {case_id!r} is not an object")
    if "error" in entry:
        return {"error": _clean_error(entry["error"], f"error of case {case_id!r}")}
    values = entry.get("values", {})
    if not isinstance(values, dict) or len(values) > MAX_VALUES_PER_CASE:
        raise InvalidOutput(f"the manifest's values of case {case_id!r} are not an object of at most {MAX_VALUES_PER_CASE}")
    clean_values: dict[str, Any] = {}
    for name, value in values.items():
        if len(name) > MAX_NAME_CHARS:
            raise InvalidOutput(f"the manifest names a value of case {case_id!r} with more than {MAX_NAME_CHARS} characters")
        if isinstance(value, str):
            value = value[:MAX_NAME_CHARS]
        elif value is not None and not isinstance(value, bool):
            raise InvalidOutput(f"the manifest's value {name[:80]!r} of case {case_id!r} is not a string, bool or null")
        clean_values[name] = value
    return {"values": clean_values, "duration_ms": _number(entry.get("duration_ms"), "duration_ms")}


def clean_manifest(manifest: Any, *, expected_cases: set[str], forbidden_calls: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Return the manifest rebuilt from the fields the harness writes, or raise ``InvalidOutput``.

    Case ids must be among ``expected_cases``. Forbidden-call names are kept
    only when they are among ``forbidden_calls`` (all are kept when it is None).
    """
    if not isinstance(manifest, dict) or not isinstance(manifest.get("cases", {}), dict):
        raise InvalidOutput("the manifest is not a JSON object with a 'cases' object")
    cases = {}
    for case_id, entry in manifest.get("cases", {}).items():
        if case_id not in expected_cases:
            raise InvalidOutput(f"unexpected case {case_id[:100]!r} in the manifest")
        cases[case_id] = _clean_case(case_id, entry)
    forbidden = manifest.get("forbidden", [])
    if not isinstance(forbidden, list) or not all(isinstance(name, str) for name in forbidden):
        raise InvalidOutput("the manifest's forbidden calls are not a list of names")
    if forbidden_calls is not None:
        forbidden = [name for name in forbidden if name in forbidden_calls]
    return {
        "cases": cases,
        "load": _clean_load(manifest.get("load")),
        "load_ms": _number(manifest.get("load_ms"), "load_ms"),
        "forbidden": sorted({name[:MAX_NAME_CHARS] for name in forbidden}),
    }


def parse_outputs(
    manifest_bytes: bytes,
    tensor_bytes: bytes | None,
    *,
    expected_cases: set[str],
    forbidden_calls: tuple[str, ...] | None = None,
) -> SandboxOutputs:
    """Parse a manifest and a safetensors file already read from the sandbox."""
    import torch
    from safetensors.torch import load as load_safetensors

    try:
        manifest = json.loads(manifest_bytes)
    except (ValueError, RecursionError) as error:  # ValueError covers JSON and UTF-8 errors
        raise InvalidOutput(f"the manifest is not valid JSON: {type(error).__name__}") from error
    manifest = clean_manifest(manifest, expected_cases=expected_cases, forbidden_calls=forbidden_calls)

    tensors: dict[str, dict[str, Any]] = {}
    if tensor_bytes:
        try:
            flat = load_safetensors(tensor_bytes)
        except Exception as error:  # safetensors raises its own error types for malformed files
            raise InvalidOutput(f"the tensor file is malformed: {str(error)[:200]}") from error
        for key, tensor in flat.items():
            case_id, name = protocol.split_tensor_key(key)
            if case_id not in expected_cases or not name or len(name) > MAX_NAME_CHARS:
                raise InvalidOutput(f"unexpected tensor {key[:100]!r} in the outputs")
            dtype_name = str(tensor.dtype).removeprefix("torch.")
            if dtype_name not in ALLOWED_DTYPES:
                raise InvalidOutput(f"tensor {key[:100]!r} has the unsupported dtype {dtype_name}")
            tensors.setdefault(case_id, {})[name] = torch.Tensor._make_subclass(torch.Tensor, tensor, False)
    return SandboxOutputs(manifest=manifest, tensors=tensors)


def read_outputs(
    out_dir: Path,
    *,
    max_bytes: int,
    expected_cases: set[str],
    forbidden_calls: tuple[str, ...] | None = None,
) -> SandboxOutputs | None:
    """Parse the manifest and tensors in ``out_dir``; None when there is no manifest at all."""
    manifest_bytes = read_regular_file(out_dir, protocol.MANIFEST_FILE, MAX_MANIFEST_BYTES)
    if manifest_bytes is None:
        return None
    tensor_bytes = read_regular_file(out_dir, protocol.OUTPUTS_FILE, max_bytes)
    return parse_outputs(manifest_bytes, tensor_bytes, expected_cases=expected_cases, forbidden_calls=forbidden_calls)


def read_run_outputs(
    result: Any,
    *,
    max_bytes: int,
    visible_cases: set[str],
    hidden_cases: set[str],
    forbidden_calls: tuple[str, ...],
) -> SandboxOutputs | None:
    """Join the visible phase's copied files and the hidden phase's files of one run (a ``RunResult``).

    Returns None when the harness did not finish: it never reported the end of
    the visible cases, or it wrote no manifest during the hidden ones. Raises
    ``InvalidOutput`` when the end was reported without a manifest. From the
    hidden phase only the hidden cases' entries and tensors and the forbidden
    calls are taken, and its errors carry no details.
    """
    visible_files = result.visible
    if visible_files is None:
        return None
    if visible_files.problem:
        raise InvalidOutput(visible_files.problem)
    if visible_files.manifest is None:
        # The harness writes the manifest before the marker, so learner code printed the marker or removed the file.
        raise InvalidOutput(VISIBLE_MANIFEST_MISSING)
    visible = parse_outputs(
        visible_files.manifest, visible_files.outputs, expected_cases=visible_cases, forbidden_calls=forbidden_calls
    )
    if visible.manifest["load"] is not None:
        return visible

    try:
        hidden = read_outputs(
            result.out_dir, max_bytes=max_bytes, expected_cases=hidden_cases, forbidden_calls=forbidden_calls
        )
    except InvalidOutput as error:
        logger.info("rejected the hidden phase's output: %s", error)
        raise InvalidOutput(HIDDEN_PHASE_REJECTED) from error
    if hidden is None:
        return None
    manifest = dict(visible.manifest)
    manifest["cases"] = {**visible.manifest["cases"], **hidden.manifest["cases"]}
    manifest["forbidden"] = sorted(set(visible.manifest["forbidden"]) | set(hidden.manifest["forbidden"]))
    return SandboxOutputs(manifest=manifest, tensors={**visible.tensors, **hidden.tensors})


def read_progress(out_dir: Path) -> list[str]:
    """Return the progress lines the harness wrote ("case <id>" or "progress <text>") in order, for display only."""
    try:
        data = read_regular_file(out_dir, protocol.PROGRESS_FILE, 256 * 1024)
    except InvalidOutput:
        return []
    return (data or b"").decode("utf-8", errors="replace").splitlines()


def last_case_started(out_dir: Path) -> str | None:
    cases = [line[5:] for line in read_progress(out_dir) if line.startswith("case ")]
    return cases[-1] if cases else None
