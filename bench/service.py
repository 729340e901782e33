"""Timings through the whole service: submission stored, Celery over Redis, a worker with a warm pool, verdict stored.

Uses its own PostgreSQL database (created when missing) and its own Redis
database number, and starts its own worker processes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("TENSORCRAFT_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tensorcraft_bench")
BROKER_URL = os.environ.get("TENSORCRAFT_BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
FINAL = {"passed", "failed", "error"}


def setup_django() -> None:
    os.environ["TENSORCRAFT_DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("TENSORCRAFT_LOG_LEVEL", "WARNING")
    os.environ["TENSORCRAFT_BROKER_URL"] = BROKER_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO_ROOT / "platform"))
    _create_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_exercises", verbosity=0)


def _create_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def worker_log_path() -> Path:
    """Return where the benchmark's worker logs, creating var/ in a fresh clone."""
    path = REPO_ROOT / "var" / "bench-worker.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def worker(concurrency: int, pool_size: int):
    """Run a Celery worker with ``concurrency`` pool processes, each keeping ``pool_size`` warm sandboxes."""
    from config.celery import app

    app.control.purge()
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO_ROOT / 'platform'}:{REPO_ROOT}",
        "TENSORCRAFT_SANDBOX_POOL_SIZE": str(pool_size),
        # The worker's default: bwrap sandboxes, and a warm pool from the fork server.
        "TENSORCRAFT_SANDBOX": "bwrap",
        "TENSORCRAFT_LOG_LEVEL": "WARNING",
    }
    log = open(worker_log_path(), "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "cpu,gpu", "-c", str(concurrency),
         "--pool", "prefork", "--without-gossip", "--without-mingle", "-n", f"bench-{os.getpid()}@%h"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_worker(app, process)
        time.sleep(3.0 * pool_size * concurrency)  # let every pool process warm its sandboxes
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_for_worker(app, process, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the benchmark worker exited with status {process.returncode}; see var/bench-worker.log")
        if app.control.ping(timeout=1.0):
            return
    raise RuntimeError("the benchmark worker did not respond to a ping within 120 s; see var/bench-worker.log")


def _learners(count: int):
    from django.contrib.auth import get_user_model

    model = get_user_model()
    return [model.objects.get_or_create(username=f"bench-learner-{index}")[0] for index in range(count)]


def _wait_final(ids: list[int], timeout_s: float) -> list:
    from learning.models import Submission

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = list(Submission.objects.filter(pk__in=ids))
        if all(row.status in FINAL for row in rows):
            return rows
        # The latency comes from the rows' own timestamps, so slower polling does not change it,
        # and it leaves the CPU to the worker being measured.
        time.sleep(0.05)
    raise RuntimeError(f"submissions {ids} were not graded within {timeout_s} s")


def measure_latency(samples: int, make_source, gap_s: float) -> list[float]:
    """Milliseconds from storing a submission to storing its verdict, one submission at a time."""
    from catalogue.models import Exercise
    from learning.services import submission_create

    exercise = Exercise.objects.get(slug="vae-loss")
    learner = _learners(1)[0]
    latencies = []
    for index in range(samples + 1):
        submission = submission_create(learner=learner, exercise=exercise, source=make_source())
        row = _wait_final([submission.pk], timeout_s=120)[0]
        if row.status != "passed":
            raise RuntimeError(f"benchmark submission {row.pk} ended {row.status}: {row.verdict}")
        if index > 0:  # the first one fills the worker's cache of the visible cases
            latencies.append((row.finished_at - row.created_at).total_seconds() * 1000)
        time.sleep(gap_s)
    return latencies


def cpu_times() -> tuple[float, float]:
    """Return the machine's busy and total CPU time so far, in clock ticks, from /proc/stat."""
    fields = [float(value) for value in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def measure_throughput(concurrent: int, make_source, rounds: int = 2) -> tuple[float, float]:
    """Return gradings per second when ``concurrent`` submissions arrive at once, over ``rounds`` bursts,
    and the share of the machine's CPU time that was busy meanwhile (1.0: every core busy throughout)."""
    from catalogue.models import Exercise
    from learning.services import submission_create

    exercise = Exercise.objects.get(slug="vae-loss")
    learners = _learners(concurrent)
    busy_before, total_before = cpu_times()
    started = time.perf_counter()
    for _ in range(rounds):
        ids = [submission_create(learner=learner, exercise=exercise, source=make_source()).pk for learner in learners]
        rows = _wait_final(ids, timeout_s=600)
        failed = [row.pk for row in rows if row.status != "passed"]
        if failed:
            raise RuntimeError(f"benchmark submissions {failed} did not pass")
    elapsed = time.perf_counter() - started
    busy_after, total_after = cpu_times()
    return concurrent * rounds / elapsed, (busy_after - busy_before) / max(total_after - total_before, 1.0)
