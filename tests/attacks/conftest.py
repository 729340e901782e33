"""Fixtures of the attack suite: the test-only exercise, one warm pool per backend, grading with health checks.

Every test here runs once on bwrap and once on docker. The docker runs carry
the ``docker`` mark and are skipped, with the engine's answer as the reason,
only when no Docker engine answers.
"""

from __future__ import annotations

import dataclasses
import functools
import subprocess
from pathlib import Path

import pytest

from grader.pool import WarmPool
from grader.sandbox.base import Sandbox
from grader.verdict import Verdict

EXERCISES_DIR = Path(__file__).resolve().parent / "exercises"
SLUG = "tiny-vae-loss"


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


@pytest.fixture(scope="package", autouse=True)
def attack_exercise():
    """Point the exercise loader at the test-only exercises while this package's tests run."""
    from grader.exercise import get_exercise

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TENSORCRAFT_EXERCISES_DIR", str(EXERCISES_DIR))
        yield get_exercise(SLUG)


@pytest.fixture(scope="package", params=BACKENDS)
def backend_name(request) -> str:
    return request.param


@pytest.fixture(scope="package")
def pool(backend_name, attack_exercise):
    with WarmPool(size=2, backend=backend_name, limits=attack_exercise.limits) as warm_pool:
        yield warm_pool


@dataclasses.dataclass
class Graded:
    verdict: Verdict
    progress: list[str]
    sandbox: Sandbox | None

    def learner_texts(self) -> list[str]:
        """Every text of the verdict that the learner sees, and the progress lines."""
        verdict = self.verdict
        texts = [verdict.output, verdict.message, *self.progress]
        texts += [check.message for check in verdict.checks] + [check.name for check in verdict.checks]
        texts += [item.message for item in verdict.diagnosis]
        return texts


def sandbox_resources(sandbox: Sandbox) -> list[str]:
    """Describe what of ``sandbox`` still exists on the host; an empty list once it is destroyed."""
    left = []
    if sandbox.host_dir.exists():
        left.append(f"folder {sandbox.host_dir}")
    for path in getattr(getattr(sandbox, "cgroup", None), "dirs", {}).values():
        if Path(path).exists():
            left.append(f"cgroup {path}")
    container = getattr(sandbox, "container", None)
    if container is not None:
        found = subprocess.run(["docker", "container", "inspect", container], capture_output=True)
        if found.returncode == 0:
            left.append(f"container {container}")
    return left


@pytest.fixture
def grade_submission(pool, backend_name):
    """Grade a source in a warm sandbox of the pool (or a fresh one) and check that the sandbox is gone after."""
    from grader.grading import grade

    def run(source: str, *, fresh_sandbox: bool = False) -> Graded:
        sandbox = None if fresh_sandbox else pool.acquire()
        cgroup = getattr(sandbox, "cgroup", None)
        cgroup_dirs = list(cgroup.dirs.values()) if cgroup is not None else []
        progress: list[str] = []

        verdict = grade(SLUG, source, sandbox=sandbox, backend=backend_name, on_progress=progress.append)

        if sandbox is not None:
            assert sandbox_resources(sandbox) == []
            assert [path for path in cgroup_dirs if Path(path).exists()] == []
        return Graded(verdict, progress, sandbox)

    return run


@pytest.fixture
def assert_next_grading_passes(grade_submission):
    """Grade the correct solution and require ``passed``: the worker and the pool survived the attack."""
    from .catalogue import CORRECT

    def check() -> None:
        follow_up = grade_submission(CORRECT)
        assert follow_up.verdict.status.value == "passed", (follow_up.verdict.reason, follow_up.verdict.message)

    return check
