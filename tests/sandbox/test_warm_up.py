"""The harness's warm-up before it reports ready: autograd on the CPU, and the CUDA context for GPU sandboxes."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from grader.harness import protocol
from grader.sandbox.base import HARNESS_DIR
from grader.sandbox.runtime import sandbox_environment


def _start_harness(device: str) -> subprocess.CompletedProcess:
    # The harness reports ready after its warm-up, then waits for a job on stdin; an empty stdin ends it.
    return subprocess.run(
        [sys.executable, "-E", "-s", "-B", str(HARNESS_DIR / "harness.py")],
        input=b"",
        capture_output=True,
        env=sandbox_environment(device),
        timeout=120,
    )


def test_cpu_sandbox_reports_ready_after_warm_up():
    result = _start_harness("cpu")

    assert result.stdout == protocol.READY_LINE
    assert result.returncode == 3


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU; the test needs one without")
def test_gpu_sandbox_without_gpu_exits_before_ready():
    result = _start_harness("gpu")

    assert result.stdout == b""
    assert result.returncode == 4
    assert b"no usable GPU" in result.stderr
