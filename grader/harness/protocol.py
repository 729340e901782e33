"""File names, protocol lines and value conversions shared by the harness and the trusted side.

This module runs on both sides of the sandbox, so it imports only the standard
library and torch. The harness imports it as the top-level module
``protocol``; the trusted side imports it as ``grader.harness.protocol``.

A run has two phases, so that no input of a hidden case exists in the sandbox
while anything the learner's code prints can still reach the learner:

1. The harness prints ``READY_LINE`` once torch is imported and waits.
2. The trusted side writes ``job.json`` and ``inputs.safetensors`` (visible
   cases only) into the input folder and sends ``GO_LINE``.
3. The harness runs the visible cases, writes ``manifest.json`` and
   ``outputs.safetensors``, prints ``VISIBLE_DONE_LINE`` and waits.
4. The trusted side keeps a copy of those two files, stops recording standard
   output, moves ``hidden-job.json`` and ``hidden-inputs.safetensors`` into
   the input folder and sends ``HIDDEN_GO_LINE``.
5. The harness runs the hidden cases with its output sent to /dev/null,
   writes both files again (now for the hidden cases), prints
   ``HIDDEN_DONE_LINE`` on its private copy of the output pipe and exits.
   The trusted side reads the results as soon as that line arrives, without
   waiting for the process to be torn down. Learner code can print the line
   early, which only ends its own run before its results exist.
"""

from __future__ import annotations

import math
from typing import Any

JOB_DIR = "/job"
IN_DIR = "in"
OUT_DIR = "out"
JOB_FILE = "job.json"
INPUTS_FILE = "inputs.safetensors"
HIDDEN_JOB_FILE = "hidden-job.json"
HIDDEN_INPUTS_FILE = "hidden-inputs.safetensors"
SUBMISSION_FILE = "submission.py"
PROBE_FILE = "probe.py"
MANIFEST_FILE = "manifest.json"
OUTPUTS_FILE = "outputs.safetensors"
PROGRESS_FILE = "progress.txt"
# Left by the harness when its results did not fit into the output folder.
OUTPUT_FULL_FILE = "output-full"

READY_LINE = b"tensorcraft-harness-ready\n"
GO_LINE = b"go\n"
VISIBLE_DONE_LINE = b"tensorcraft-visible-cases-done\n"
HIDDEN_GO_LINE = b"hidden\n"
HIDDEN_DONE_LINE = b"tensorcraft-hidden-cases-done\n"

# Keys in a safetensors file are "<case id>/<output name>".
KEY_SEPARATOR = "/"


def tensor_key(case_id: str, name: str) -> str:
    return f"{case_id}{KEY_SEPARATOR}{name}"


def split_tensor_key(key: str) -> tuple[str, str]:
    case_id, _, name = key.partition(KEY_SEPARATOR)
    return case_id, name


def seed_generators(seed: int, *, cuda: bool = False) -> None:
    """Seed the random generators a case can use: the CPU's, and CUDA's too when ``cuda`` is set.

    Both sides seed a case this way. ``torch.manual_seed`` seeds the same CPU
    generator but also visits every other device type, which took about a
    millisecond per case in a sandbox here.
    """
    import torch

    torch.random.default_generator.manual_seed(seed)
    if cuda:
        torch.cuda.manual_seed_all(seed)


def normalize_outputs(raw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a probe's result into tensors and JSON values.

    A probe returns a dict from output names to tensors, Python numbers, bools,
    strings or None. Numbers become 0-d tensors (float64 for floats, int64 for
    ints) so that both sides compare them the same way; strings, bools and None
    go to the JSON side. Anything else raises ``TypeError`` naming the output.
    """
    import torch

    if not isinstance(raw, dict):
        raise TypeError(f"the probe returned {type(raw).__name__}, expected a dict of outputs")

    tensors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if not isinstance(name, str):
            raise TypeError(f"output name {name!r} is not a string")
        if isinstance(value, bool) or value is None or isinstance(value, str):
            values[name] = value
        elif isinstance(value, int):
            tensors[name] = torch.tensor(value, dtype=torch.int64)
        elif isinstance(value, float):
            tensors[name] = torch.tensor(value, dtype=torch.float64)
        elif type(value) is torch.Tensor or isinstance(value, torch.nn.Parameter):
            tensors[name] = value
        elif isinstance(value, torch.Tensor):
            # A tensor subclass may override comparisons or conversions; keep
            # only its data, as a plain tensor, and record what it was.
            tensors[name] = torch.Tensor._make_subclass(torch.Tensor, value.detach(), False)
            values[f"{name}.type"] = type(value).__qualname__
        else:
            values[f"{name}.type"] = type(value).__qualname__
    return tensors, values


def finite_or_none(number: float) -> float | None:
    return number if math.isfinite(number) else None
