"""``python -m grader grade --sandbox docker`` and ``TENSORCRAFT_SANDBOX=docker`` grade in a container."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import docker_unavailable_reason

REPO_ROOT = Path(__file__).resolve().parents[2]
EXERCISES_DIR = REPO_ROOT / "tests" / "attacks" / "exercises"
CORRECT = EXERCISES_DIR.parent / "correct_solution.py"

pytestmark = [
    pytest.mark.docker,
    pytest.mark.skipif(docker_unavailable_reason() is not None, reason=f"docker backend unavailable: {docker_unavailable_reason()}"),
]


def grade_with(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grader", "grade", "tiny-vae-loss", str(CORRECT), "--json", *args],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
        env={**os.environ, "TENSORCRAFT_EXERCISES_DIR": str(EXERCISES_DIR), **env},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "env"),
    [
        pytest.param(["--sandbox", "docker"], {"TENSORCRAFT_SANDBOX": "bwrap"}, id="option"),
        pytest.param([], {"TENSORCRAFT_SANDBOX": "docker"}, id="environment"),
    ],
)
def test_docker_grading_passes_and_records_image(args, env):
    result = grade_with(args, **env)

    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["status"] == "passed"
    assert verdict["reproducibility"]["sandbox_backend"] == "docker"
    assert "@sha256:" in verdict["reproducibility"]["sandbox_image"]
