"""No submission is lost: the sweep that re-enqueues stuck rows, infrastructure failures, and recovery
from a killed worker and a restarted broker.

The recovery tests run their own Redis on 127.0.0.1:6390, without persistence,
and their own workers on it, so they can kill both without touching the shared
Redis or the session's grading worker.
"""

from __future__ import annotations

import datetime
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from grader import grading
from grader.errors import SandboxUnavailable
from learning import messages, tasks
from learning.models import Submission
from learning.selectors import exercise_best_statuses
from learning.services import submission_create
from learning.sweep import requeue_stuck_submissions, submissions_requeue_stuck

from .solutions import CORRECT_VAE_LOSS

REPO_ROOT = Path(__file__).resolve().parents[2]
REDIS_PORT = 6390
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"
# Sleeps at import, so that the worker can be killed while it grades.
SLOW_VAE_LOSS = "import time\n\ntime.sleep(5)\n\n" + CORRECT_VAE_LOSS
WORKER_READY_TIMEOUT_S = 90
VERDICT_TIMEOUT_S = 120


@pytest.fixture
def enqueued(monkeypatch):
    """Record the submission ids enqueued through grade_submission.apply_async instead of sending them."""
    sent = []
    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda args, queue: sent.append((args[0], queue)))
    return sent


def age(submission: Submission, *, created: float = 0, started: float | None = None) -> None:
    """Move the submission's timestamps ``created`` and ``started`` seconds into the past."""
    now = timezone.now()
    fields = {"created_at": now - datetime.timedelta(seconds=created)}
    if started is not None:
        fields["started_at"] = now - datetime.timedelta(seconds=started)
    Submission.objects.filter(pk=submission.pk).update(**fields)


@pytest.mark.django_db
def test_sweep_requeues_only_stuck_rows(learner, other_learner, exercises, enqueued):
    vae = exercises["vae-loss"]
    lost_queued = submission_create(learner=learner, exercise=vae, source=CORRECT_VAE_LOSS)
    fresh_queued = submission_create(learner=learner, exercise=vae, source=CORRECT_VAE_LOSS)
    lost_running = submission_create(learner=other_learner, exercise=vae, source=CORRECT_VAE_LOSS)
    fresh_running = submission_create(learner=other_learner, exercise=vae, source=CORRECT_VAE_LOSS)
    graded = submission_create(learner=other_learner, exercise=vae, source=CORRECT_VAE_LOSS)
    Submission.objects.filter(pk__in=[lost_running.pk, fresh_running.pk]).update(status=Submission.Status.RUNNING)
    Submission.objects.filter(pk=graded.pk).update(status=Submission.Status.PASSED, score=1.0)
    age(lost_queued, created=400)
    age(fresh_queued, created=10)
    age(lost_running, created=2000, started=1000)
    age(fresh_running, created=2000, started=60)
    age(graded, created=2000, started=1000)
    enqueued.clear()

    requeued = submissions_requeue_stuck(
        older_than=datetime.timedelta(seconds=300), running_older_than=datetime.timedelta(seconds=900)
    )

    assert sorted(requeued) == sorted([lost_queued.pk, lost_running.pk])
    assert sorted(enqueued) == sorted([(lost_queued.pk, vae.device), (lost_running.pk, vae.device)])


@pytest.mark.django_db
def test_sweep_duplicate_of_final_row_is_noop(learner, vae_loss, enqueued, monkeypatch):
    submission = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.RUNNING)
    age(submission, created=2000, started=2000)
    calls = []
    monkeypatch.setattr(grading, "grade", lambda *args, **options: calls.append(args))

    submissions_requeue_stuck(older_than=datetime.timedelta(seconds=1))
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.PASSED)
    for submission_id, _queue in enqueued:
        tasks.grade_submission.apply(args=[submission_id])

    assert calls == []
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.PASSED


@pytest.mark.django_db
def test_periodic_sweep_reads_settings(learner, vae_loss, enqueued, settings):
    settings.TENSORCRAFT_REQUEUE_QUEUED_AFTER_S = 100
    settings.TENSORCRAFT_REQUEUE_RUNNING_AFTER_S = 1000
    queued = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
    running = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
    Submission.objects.filter(pk=running.pk).update(status=Submission.Status.RUNNING)
    age(queued, created=200)
    age(running, created=200, started=200)
    enqueued.clear()

    assert requeue_stuck_submissions.apply().get() == 1
    assert enqueued == [(queued.pk, vae_loss.device)]


def test_beat_schedules_registered_task(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["requeue-stuck-submissions"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= 60


@pytest.mark.django_db
def test_command_requeues_stuck_rows(learner, vae_loss, enqueued):
    submission = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
    age(submission, created=120)
    enqueued.clear()
    output = io.StringIO()

    call_command("requeue_stuck_submissions", "--queued-after", "60", stdout=output)

    assert enqueued == [(submission.pk, vae_loss.device)]
    assert output.getvalue().strip() == f"re-enqueued 1 submissions: {submission.pk}"


@pytest.mark.django_db
def test_infrastructure_error_spares_learner(learner, vae_loss, enqueued, monkeypatch):
    passed = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
    Submission.objects.filter(pk=passed.pk).update(status=Submission.Status.PASSED, score=1.0)
    submission = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
    calls = []

    def broken_grader(*args, **options):
        calls.append(args)
        raise SandboxUnavailable("bwrap: cannot create a cgroup")

    monkeypatch.setattr(grading, "grade", broken_grader)

    tasks.grade_submission.apply(args=[submission.pk])

    submission.refresh_from_db()
    assert len(calls) == tasks.MAX_RETRIES + 1
    assert submission.status == Submission.Status.ERROR
    assert submission.reason == "infrastructure"
    assert submission.verdict["message_id"] == messages.GRADER_FAILED.id
    assert "does not count against you" in submission.verdict["message"]
    # The earlier pass is still the best status, and the failure blocks no new submission.
    assert exercise_best_statuses(learner=learner)[vae_loss.pk] == Submission.Status.PASSED
    assert Submission.objects.get(pk=passed.pk).score == 1.0
    following = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
    assert following.attempt == submission.attempt + 1


class RedisServer:
    """A redis-server on 127.0.0.1:6390 that keeps nothing on disk, so a restart loses every message."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"redis-server did not listen on port {REDIS_PORT} within 20 s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Worker:
    """A Celery grading worker on the test database and the test's own Redis."""

    def __init__(self, log_path: Path):
        from django.db import connection

        from tests.conftest import database_url

        self.log_path = log_path
        self.hostname = f"reliability-{uuid.uuid4().hex[:8]}@{os.uname().nodename}"
        env = {
            **os.environ,
            "TENSORCRAFT_DATABASE_URL": database_url(connection.settings_dict),
            "TENSORCRAFT_BROKER_URL": REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "platform"), str(REPO_ROOT)]),
        }
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "cpu,gpu", "-c", "1", "--pool", "prefork",
                 "-n", self.hostname, "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + WORKER_READY_TIMEOUT_S
        while f"{self.hostname} ready." not in self.log():
            assert self.process.poll() is None, f"the worker exited:\n{self.log()}"
            assert time.monotonic() < deadline, f"the worker was not ready within {WORKER_READY_TIMEOUT_S} s:\n{self.log()}"
            time.sleep(0.2)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """Kill the worker, its pool process and the sandboxes they started, with no chance to clean up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def workers():
    """Start workers with ``workers.append(Worker(...))``; all are stopped after the test."""
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def enqueue(submission_id: int, queue: str) -> None:
    """Send grade_submission to the test's Redis, as the web process sends it to its own broker."""
    from config.celery import app

    with app.connection_for_write(REDIS_URL) as connection:
        tasks.grade_submission.apply_async(args=[submission_id], queue=queue, connection=connection)


def queue_length(queue: str) -> int:
    """Count the messages waiting in ``queue`` on the test's Redis (kombu keeps each queue as a list)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=REDIS_PORT)
    try:
        return client.llen(queue)
    finally:
        client.close()


def run_sweep(*arguments: str) -> str:
    """Run ``manage.py requeue_stuck_submissions`` against the test's Redis; return its output."""
    from django.db import connection

    from tests.conftest import database_url

    env = {
        **os.environ,
        "TENSORCRAFT_DATABASE_URL": database_url(connection.settings_dict),
        "TENSORCRAFT_BROKER_URL": REDIS_URL,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "requeue_stuck_submissions", *arguments],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def wait_for_status(submission_id: int, statuses, worker: Worker, timeout_s: float = VERDICT_TIMEOUT_S) -> Submission:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        submission = Submission.objects.get(pk=submission_id)
        if submission.status in statuses:
            return submission
        assert worker.process.poll() is None, f"the worker exited:\n{worker.log()}"
        time.sleep(0.3)
    raise AssertionError(
        f"submission {submission_id} is still {submission.status} after {timeout_s} s; worker log:\n{worker.log()[-6000:]}"
    )


@pytest.mark.django_db(transaction=True)
def test_killed_worker_loses_nothing(redis_server, workers, learner, vae_loss, tmp_path, monkeypatch):
    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda args, queue: None)
    submission = submission_create(learner=learner, exercise=vae_loss, source=SLOW_VAE_LOSS)
    log_path = tmp_path / "workers.log"
    first = Worker(log_path)
    workers.append(first)
    monkeypatch.undo()
    enqueue(submission.pk, vae_loss.device)
    wait_for_status(submission.pk, [Submission.Status.RUNNING], first)
    time.sleep(1)

    first.kill()
    # The message stays unacknowledged in Redis until the visibility timeout
    # (kombu's Redis default is 3600 s), so only the sweep can start the row again.
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.RUNNING
    second = Worker(log_path)
    workers.append(second)
    output = run_sweep("--running-after", "0")
    graded = wait_for_status(submission.pk, Submission.FINAL_STATUSES, second)

    assert f"re-enqueued 1 submissions: {submission.pk}" in output
    assert graded.status == Submission.Status.PASSED, graded.verdict
    assert graded.grading_attempts == 2
    assert graded.verdict["status"] == "passed"
    assert graded.finished_at is not None
    # A second sweep finds nothing, and a duplicate message changes nothing.
    assert "re-enqueued 0 submissions" in run_sweep("--running-after", "0", "--queued-after", "0")
    enqueue(submission.pk, vae_loss.device)
    deadline = time.monotonic() + 30
    while f"submission {submission.pk} is already passed" not in second.log() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert f"submission {submission.pk} is already passed" in second.log()
    again = Submission.objects.get(pk=submission.pk)
    assert (again.status, again.grading_attempts, again.finished_at) == ("passed", 2, graded.finished_at)


@pytest.mark.django_db(transaction=True)
def test_broker_restart_loses_nothing(redis_server, workers, learner, vae_loss, tmp_path, monkeypatch):
    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda args, queue: None)
    submission = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
    monkeypatch.undo()
    # A worker declares the queues and stops, so no worker runs when the message is sent.
    Worker(tmp_path / "first.log").stop()
    enqueue(submission.pk, vae_loss.device)
    assert queue_length(vae_loss.device) == 1

    redis_server.kill()
    redis_server.start()
    assert queue_length(vae_loss.device) == 0
    worker = Worker(tmp_path / "second.log")
    workers.append(worker)
    time.sleep(2)
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.QUEUED
    output = run_sweep("--queued-after", "0")
    graded = wait_for_status(submission.pk, Submission.FINAL_STATUSES, worker)

    assert f"re-enqueued 1 submissions: {submission.pk}" in output
    assert graded.status == Submission.Status.PASSED, graded.verdict
    assert graded.grading_attempts == 1
