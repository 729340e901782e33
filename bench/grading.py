"""Timings of the grader alone: cold sandboxes of each backend, and warm ones from a pool of each pool backend."""

from __future__ import annotations

import itertools
import logging
import time
from pathlib import Path

from grader.errors import GraderError

logger = logging.getLogger(__name__)

SLUG = "vae-loss"
SOLUTION = Path(__file__).resolve().parent.parent / "exercises" / SLUG / "variants" / "canonical.py"


def solution_source(index: int | None = None) -> str:
    """Return the correct solution; with ``index``, a copy that differs by a comment.

    A different source draws its own hidden cases, as each learner's submission
    does, so the timings include building them instead of reusing a cached set.
    """
    source = SOLUTION.read_text()
    return source if index is None else f"{source}\n# benchmark submission {index}\n"


_submission_numbers = itertools.count(1)


def next_submission_source() -> str:
    """Return a correct solution that no earlier call returned, so that it draws new hidden cases."""
    return solution_source(next(_submission_numbers))


def _timed_grade(**options) -> float:
    from grader.grading import grade

    source = next_submission_source()
    started = time.perf_counter()
    verdict = grade(SLUG, source, **options)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if verdict.status.value != "passed":
        raise RuntimeError(f"the benchmark's solution did not pass: {verdict.status.value} {verdict.message}")
    return elapsed_ms


def measure_cold(backend: str, samples: int) -> list[float] | None:
    """Grade with a new sandbox each time; None when the backend cannot run here."""
    from grader.sandbox import get_backend

    try:
        get_backend(backend)
    except GraderError as error:
        logger.warning("skipping cold %s: %s", backend, error)
        return None
    _timed_grade(backend=backend)  # the first grading also builds and caches the reference outputs
    return [_timed_grade(backend=backend) for _ in range(samples)]


def measure_warm(samples: int, backend: str = "forkserver") -> list[float] | None:
    """Grade with a sandbox taken from a warm pool, the way a worker does; None when the backend cannot run here.

    Each used sandbox goes to ``WarmPool.discard``, and the next grading waits
    until the pool has its replacement ready, as a worker between submissions.
    """
    from grader.pool import WarmPool
    from grader.sandbox import get_backend

    try:
        get_backend(backend)
    except GraderError as error:
        logger.warning("skipping warm %s: %s", backend, error)
        return None
    timings = []
    with WarmPool(size=1, backend=backend) as pool:
        _timed_grade(sandbox=pool.acquire(), discard=pool.discard)
        for _ in range(samples):
            sandbox = pool.acquire()
            timings.append(_timed_grade(sandbox=sandbox, discard=pool.discard))
    return timings
