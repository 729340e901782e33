"""The warm sandbox pool of the worker pool processes: the task's use of it, and gradings through a real worker."""

from __future__ import annotations

import pytest

from grader import grading
from grader.errors import SandboxUnavailable
from grader.verdict import CheckResult, Stage, Status, Verdict
from learning import tasks
from learning.models import Submission
from learning.services import submission_create

from .helpers import submit_code, wait_for_verdict
from .solutions import CORRECT_VAE_LOSS


class FakePool:
    """Stands in for ``grader.pool.WarmPool``: hands out numbered placeholder sandboxes, or raises."""

    def __init__(self, device: str = "cpu", error: Exception | None = None):
        self.device = device
        self.error = error
        self.acquired = []
        self.discarded = []
        self.on_discard = None

    def acquire(self):
        if self.error is not None:
            raise self.error
        sandbox = f"warm sandbox {len(self.acquired) + 1}"
        self.acquired.append(sandbox)
        return sandbox

    def discard(self, sandbox):
        self.discarded.append(sandbox)
        if self.on_discard is not None:
            self.on_discard()


class RecordingGrader:
    """Stands in for ``grader.grading.grade``: records the options of each call and returns a passed verdict."""

    def __init__(self):
        self.calls = []

    def __call__(self, slug, source, **options):
        self.calls.append(options)
        if "sandbox" in options:
            options["discard"](options["sandbox"])
        check = CheckResult("batch of one: value", True, True, "Passed.", Stage.VALUE)
        return Verdict(exercise=slug, version=1, status=Status.PASSED, score=1.0, checks=[check])


@pytest.fixture
def queued(learner, vae_loss, monkeypatch):
    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda args, queue: None)
    return submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)


@pytest.mark.django_db
def test_task_grades_in_pool_sandbox(queued, monkeypatch):
    pool = FakePool()
    grader = RecordingGrader()
    monkeypatch.setattr(tasks, "sandbox_pool", pool)
    monkeypatch.setattr(grading, "grade", grader)

    tasks.grade_submission.apply(args=[queued.pk])

    assert pool.acquired == ["warm sandbox 1"]
    assert grader.calls[0]["sandbox"] == "warm sandbox 1"
    assert Submission.objects.get(pk=queued.pk).status == Submission.Status.PASSED


@pytest.mark.django_db
def test_task_discards_sandbox_after_storing_verdict(queued, monkeypatch):
    pool = FakePool()
    statuses_at_discard = []
    pool.on_discard = lambda: statuses_at_discard.append(Submission.objects.get(pk=queued.pk).status)
    monkeypatch.setattr(tasks, "sandbox_pool", pool)
    monkeypatch.setattr(grading, "grade", RecordingGrader())

    tasks.grade_submission.apply(args=[queued.pk])

    assert pool.discarded == ["warm sandbox 1"]
    assert statuses_at_discard == [Submission.Status.PASSED]


@pytest.mark.django_db
def test_task_takes_sandbox_per_grading(learner, other_learner, vae_loss, monkeypatch):
    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda args, queue: None)
    first = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
    second = submission_create(learner=other_learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
    pool = FakePool()
    grader = RecordingGrader()
    monkeypatch.setattr(tasks, "sandbox_pool", pool)
    monkeypatch.setattr(grading, "grade", grader)

    tasks.grade_submission.apply(args=[first.pk])
    tasks.grade_submission.apply(args=[second.pk])

    assert [call["sandbox"] for call in grader.calls] == ["warm sandbox 1", "warm sandbox 2"]


@pytest.mark.django_db
def test_task_skips_pool_for_other_device(queued, monkeypatch):
    pool = FakePool(device="gpu")
    grader = RecordingGrader()
    monkeypatch.setattr(tasks, "sandbox_pool", pool)
    monkeypatch.setattr(grading, "grade", grader)

    tasks.grade_submission.apply(args=[queued.pk])

    assert pool.acquired == []
    assert "sandbox" not in grader.calls[0]


@pytest.mark.django_db
def test_task_without_pool_passes_no_sandbox(queued, monkeypatch):
    grader = RecordingGrader()
    monkeypatch.setattr(tasks, "sandbox_pool", None)
    monkeypatch.setattr(grading, "grade", grader)

    tasks.grade_submission.apply(args=[queued.pk])

    assert "sandbox" not in grader.calls[0]


@pytest.mark.django_db
def test_pool_fault_is_retried(queued, monkeypatch):
    pool = FakePool(error=SandboxUnavailable("no warm bwrap sandbox became ready within 120 s"))
    grader = RecordingGrader()
    monkeypatch.setattr(tasks, "sandbox_pool", pool)
    monkeypatch.setattr(grading, "grade", grader)

    tasks.grade_submission.apply(args=[queued.pk])

    queued.refresh_from_db()
    assert grader.calls == []
    assert queued.status == Submission.Status.ERROR
    assert queued.reason == "infrastructure"
    assert queued.grading_attempts == tasks.MAX_RETRIES + 1


@pytest.mark.django_db
def test_task_destroys_sandbox_when_grader_raises(queued, monkeypatch):
    class Sandbox:
        destroyed = 0

        def destroy(self):
            self.destroyed += 1

    sandbox = Sandbox()
    pool = FakePool()
    pool.acquire = lambda: sandbox

    def failing_grader(*args, **options):
        raise SandboxUnavailable("exercise vae-loss: cannot build its cases")

    monkeypatch.setattr(tasks, "sandbox_pool", pool)
    monkeypatch.setattr(grading, "grade", failing_grader)

    tasks.grade_submission.apply(args=[queued.pk])

    assert sandbox.destroyed == tasks.MAX_RETRIES + 1


def test_pool_follows_process_lifetime(settings, monkeypatch):
    from grader import pool as pool_module

    started = []

    class RecordingPool(FakePool):
        def __init__(self, *, size, backend, device):
            super().__init__(device=device)
            started.append((size, backend, device))
            self.closed = False

        def close(self):
            self.closed = True

    settings.TENSORCRAFT_SANDBOX_POOL_SIZE = 2
    settings.TENSORCRAFT_SANDBOX = "bwrap"
    settings.TENSORCRAFT_SANDBOX_POOL_BACKEND = None
    monkeypatch.setattr(pool_module, "WarmPool", RecordingPool)
    monkeypatch.setattr(tasks, "sandbox_pool", None)

    tasks.start_sandbox_pool()
    pool = tasks.sandbox_pool
    tasks.close_sandbox_pool()

    assert started == [(2, "forkserver", "cpu")]
    assert pool.closed
    assert tasks.sandbox_pool is None


def test_pool_backend_setting_overrides_default(settings, monkeypatch):
    from grader import pool as pool_module

    started = []

    class RecordingPool(FakePool):
        def __init__(self, *, size, backend, device):
            super().__init__(device=device)
            started.append(backend)

    settings.TENSORCRAFT_SANDBOX_POOL_SIZE = 1
    settings.TENSORCRAFT_SANDBOX = "bwrap"
    settings.TENSORCRAFT_SANDBOX_POOL_BACKEND = "bwrap"
    monkeypatch.setattr(pool_module, "WarmPool", RecordingPool)
    monkeypatch.setattr(tasks, "sandbox_pool", None)

    tasks.start_sandbox_pool()
    tasks.sandbox_pool = None

    assert started == ["bwrap"]


def test_pool_size_zero_disables_pool(settings, monkeypatch):
    settings.TENSORCRAFT_SANDBOX_POOL_SIZE = 0
    monkeypatch.setattr(tasks, "sandbox_pool", None)

    tasks.start_sandbox_pool()

    assert tasks.sandbox_pool is None


@pytest.mark.django_db(transaction=True)
def test_worker_grades_in_warm_sandboxes(grading_worker, learner_client, vae_loss):
    verdicts = []
    for _ in range(2):
        created = submit_code(learner_client, "vae-loss", CORRECT_VAE_LOSS)
        verdicts.append(wait_for_verdict(learner_client, created["id"], grading_worker))

    stored = Submission.objects.filter(pk__in=[verdict["id"] for verdict in verdicts]).order_by("pk")
    assert [verdict["status"] for verdict in verdicts] == ["passed", "passed"]
    for submission in stored:
        assert "sandbox_ready" in submission.verdict["timings_ms"]
        assert submission.verdict["reproducibility"]["sandbox_backend"] == "forkserver"
    log = grading_worker.log_tail(400)
    for submission in stored:
        assert f"grading submission {submission.pk} in a warm sandbox from the pool" in log
    grading_worker.assert_alive()


def test_pool_process_runs_torch_on_one_thread(monkeypatch):
    import gc

    import torch

    calls = []
    monkeypatch.setattr(torch, "set_num_threads", lambda count: calls.append(count))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))

    tasks.tune_pool_process()

    assert calls == [1, "freeze"]


@pytest.mark.parametrize(("eager", "expected_calls"), [(True, 0), (False, 1)])
def test_prerun_closes_stale_connections_outside_eager_runs(monkeypatch, eager, expected_calls):
    from types import SimpleNamespace

    from django import db

    calls = []
    monkeypatch.setattr(db, "close_old_connections", lambda: calls.append(1))

    tasks.drop_broken_connections(task=SimpleNamespace(request=SimpleNamespace(is_eager=eager)))

    assert len(calls) == expected_calls
