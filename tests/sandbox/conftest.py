"""Fixtures of the sandbox unit tests: both backends, and a minimal job that runs learner code at import."""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from grader.harness import protocol
from grader.limits import Limits
from grader.sandbox import get_backend
from grader.sandbox.base import RunResult, Sandbox

EMPTY_PROBE = "def run(module, inputs, params):\n    return {}\n"


@functools.lru_cache(maxsize=None)
def docker_unavailable_reason() -> str | None:
    from grader.sandbox.docker import DockerBackend

    return DockerBackend().unavailable_reason()


BACKENDS = [
    pytest.param("bwrap", id="bwrap"),
    pytest.param("forkserver", id="forkserver"),
    pytest.param(
        "docker",
        id="docker",
        marks=[
            pytest.mark.docker,
            pytest.mark.skipif(
                docker_unavailable_reason() is not None, reason=f"docker backend unavailable: {docker_unavailable_reason()}"
            ),
        ],
    ),
]


@pytest.fixture(params=BACKENDS)
def backend_name(request) -> str:
    return request.param


def _save(tensors: dict[str, torch.Tensor], path: Path) -> None:
    save_file(tensors, str(path))
    os.chmod(path, 0o644)


def write_minimal_job(sandbox: Sandbox, submission: str, probe: str = EMPTY_PROBE) -> None:
    """Write a job with no cases, so that only the submission's import-time code runs."""
    _save({}, sandbox.in_dir / protocol.INPUTS_FILE)
    (sandbox.in_dir / protocol.JOB_FILE).write_text(json.dumps({"entry_points": [], "forbidden_calls": [], "cases": []}))
    (sandbox.in_dir / protocol.SUBMISSION_FILE).write_text(submission)
    (sandbox.in_dir / protocol.PROBE_FILE).write_text(probe)
    _save({}, sandbox.held_dir / protocol.HIDDEN_INPUTS_FILE)
    (sandbox.held_dir / protocol.HIDDEN_JOB_FILE).write_text(json.dumps({"cases": []}))


def leftovers(sandbox: Sandbox, cgroup_dirs: list[Path]) -> list[str]:
    """What of a destroyed sandbox still exists on the host: its folder, cgroups or container."""
    left = [f"folder {sandbox.host_dir}"] if sandbox.host_dir.exists() else []
    left += [f"cgroup {path}" for path in cgroup_dirs if path.exists()]
    container = getattr(sandbox, "container", None)
    if container and subprocess.run(["docker", "container", "inspect", container], capture_output=True).returncode == 0:
        left.append(f"container {container}")
    return left


def run_submission(backend_name: str, limits: Limits, submission: str) -> RunResult:
    """Start a sandbox with ``limits``, run ``submission`` at import time, destroy the sandbox and check it is gone."""
    sandbox = get_backend(backend_name).start(limits)
    cgroup_dirs: list[Path] = []
    try:
        write_minimal_job(sandbox, submission)
        sandbox.wait_ready()
        cgroup = getattr(sandbox, "cgroup", None)
        cgroup_dirs = [Path(path) for path in cgroup.dirs.values()] if cgroup is not None else []
        result = sandbox.run()
    finally:
        sandbox.destroy()
    assert leftovers(sandbox, cgroup_dirs) == []
    return result
