"""Read what the sandbox left in its output folder, treating every byte as hostile.

Runs on the trusted side. Files are opened with ``O_NOFOLLOW`` and must be
regular files under a size cap; the manifest must be a JSON object; the
tensors are parsed by safetensors (no pickle, no ``torch.load``), and their
names, dtypes and sizes are checked again before anything compares them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path
from typing import Any

from grader.harness import protocol

MAX_MANIFEST_BYTES = 1024 * 1024
ALLOWED_DTYPES = {"float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}


class InvalidOutput(Exception):
    """The sandbox's output folder holds something the harness would not write."""


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


def read_outputs(out_dir: Path, *, max_bytes: int, expected_cases: set[str]) -> SandboxOutputs | None:
    """Parse the manifest and tensors; None when the harness wrote no manifest at all."""
    import torch
    from safetensors.torch import load as load_safetensors

    manifest_bytes = read_regular_file(out_dir, protocol.MANIFEST_FILE, MAX_MANIFEST_BYTES)
    if manifest_bytes is None:
        return None
    try:
        manifest = json.loads(manifest_bytes)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidOutput(f"the manifest is not valid JSON: {error}") from error
    if not isinstance(manifest, dict) or not isinstance(manifest.get("cases", {}), dict):
        raise InvalidOutput("the manifest is not a JSON object with a 'cases' object")

    tensors: dict[str, dict[str, Any]] = {}
    tensor_bytes = read_regular_file(out_dir, protocol.OUTPUTS_FILE, max_bytes)
    if tensor_bytes:
        try:
            flat = load_safetensors(tensor_bytes)
        except Exception as error:  # safetensors raises its own error types for malformed files
            raise InvalidOutput(f"the tensor file is malformed: {error}") from error
        for key, tensor in flat.items():
            case_id, name = protocol.split_tensor_key(key)
            if case_id not in expected_cases or not name:
                raise InvalidOutput(f"unexpected tensor {key!r} in the outputs")
            dtype_name = str(tensor.dtype).removeprefix("torch.")
            if dtype_name not in ALLOWED_DTYPES:
                raise InvalidOutput(f"tensor {key!r} has the unsupported dtype {dtype_name}")
            tensors.setdefault(case_id, {})[name] = torch.Tensor._make_subclass(torch.Tensor, tensor, False)
    return SandboxOutputs(manifest=manifest, tensors=tensors)


def read_progress(out_dir: Path) -> list[str]:
    """The progress lines the harness wrote ("case <id>" or "progress <text>"), in order; used only for display."""
    try:
        data = read_regular_file(out_dir, protocol.PROGRESS_FILE, 256 * 1024)
    except InvalidOutput:
        return []
    return (data or b"").decode("utf-8", errors="replace").splitlines()


def last_case_started(out_dir: Path) -> str | None:
    cases = [line[5:] for line in read_progress(out_dir) if line.startswith("case ")]
    return cases[-1] if cases else None
