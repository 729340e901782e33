"""The grade_submission task run in this process, with the grader replaced, to exercise retries and states."""

from __future__ import annotations

import pytest

from grader import grading
from grader.errors import SandboxUnavailable
from grader.verdict import CheckResult, Reason, Stage, Status, Verdict
from learning import messages, tasks
from learning.models import Submission
from learning.selectors import exercise_best_statuses
from learning.services import submission_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(learner, vae_loss, monkeypatch):
    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda args, queue: None)
    return submission_create(learner=learner, exercise=vae_loss, source="def vae_loss(*args):\n    return 0\n")


class FakeGrader:
    """Stands in for ``grader.grading.grade``: raises or returns what it is given, and counts calls."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def __call__(self, slug, source, **options):
        self.calls.append((slug, options))
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def verdict(status: Status, reason: Reason | None = None, *, visible_only: bool = False) -> Verdict:
    passed = status is Status.PASSED
    return Verdict(
        exercise="vae-loss",
        version=1,
        status=status,
        score=1.0 if passed else 0.0,
        checks=[CheckResult("batch of one: value", True, passed, "Passed." if passed else "Wrong.", Stage.VALUE)],
        reason=reason,
        reproducibility={"variant_seed": 77},
        visible_only=visible_only,
    )


def test_task_grades_queued_submission(queued, monkeypatch):
    fake = FakeGrader(verdict(Status.PASSED))
    monkeypatch.setattr(grading, "grade", fake)

    tasks.grade_submission.apply(args=[queued.pk])

    queued.refresh_from_db()
    (slug, options), = fake.calls
    assert slug == "vae-loss"
    assert callable(options.pop("discard"))
    assert options == {"variant_seed": None, "submission_id": queued.pk, "visible_only": False}
    assert queued.status == Submission.Status.PASSED
    assert queued.variant_seed == 77
    assert queued.verdict["checks"][0]["name"] == "batch of one: value"


def test_task_passes_stored_variant_seed(queued, monkeypatch):
    Submission.objects.filter(pk=queued.pk).update(variant_seed=5)
    fake = FakeGrader(verdict(Status.PASSED))
    monkeypatch.setattr(grading, "grade", fake)

    tasks.grade_submission.apply(args=[queued.pk])

    assert fake.calls[0][1]["variant_seed"] == 5


def test_task_does_not_retry_learner_error(queued, monkeypatch):
    fake = FakeGrader(verdict(Status.ERROR, Reason.SYNTAX_ERROR))
    monkeypatch.setattr(grading, "grade", fake)

    tasks.grade_submission.apply(args=[queued.pk])

    queued.refresh_from_db()
    assert len(fake.calls) == 1
    assert queued.status == Submission.Status.ERROR
    assert queued.reason == "syntax_error"
    assert queued.grading_attempts == 1


def test_task_retries_grader_fault(queued, monkeypatch):
    fake = FakeGrader(SandboxUnavailable("bwrap: cannot create a cgroup"), verdict(Status.PASSED))
    monkeypatch.setattr(grading, "grade", fake)

    tasks.grade_submission.apply(args=[queued.pk])

    queued.refresh_from_db()
    assert len(fake.calls) == 2
    assert queued.status == Submission.Status.PASSED
    assert queued.grading_attempts == 2


def test_task_gives_up_after_max_retries(queued, monkeypatch):
    fake = FakeGrader(SandboxUnavailable("bwrap: cannot create a cgroup"))
    monkeypatch.setattr(grading, "grade", fake)

    tasks.grade_submission.apply(args=[queued.pk])

    queued.refresh_from_db()
    assert len(fake.calls) == tasks.MAX_RETRIES + 1
    assert queued.status == Submission.Status.ERROR
    assert queued.reason == "infrastructure"
    assert queued.score == 0.0
    assert queued.verdict["message"] == messages.GRADER_FAILED.text
    assert queued.verdict["message_id"] == "grader-failed"


def test_task_skips_graded_submission(queued, monkeypatch):
    Submission.objects.filter(pk=queued.pk).update(status=Submission.Status.PASSED)
    fake = FakeGrader(verdict(Status.FAILED))
    monkeypatch.setattr(grading, "grade", fake)

    tasks.grade_submission.apply(args=[queued.pk])

    assert fake.calls == []
    assert Submission.objects.get(pk=queued.pk).status == Submission.Status.PASSED


def test_task_regrades_submission_left_running(queued, monkeypatch):
    Submission.objects.filter(pk=queued.pk).update(status=Submission.Status.RUNNING, grading_attempts=1)
    fake = FakeGrader(verdict(Status.PASSED))
    monkeypatch.setattr(grading, "grade", fake)

    tasks.grade_submission.apply(args=[queued.pk])

    queued.refresh_from_db()
    assert len(fake.calls) == 1
    assert queued.status == Submission.Status.PASSED
    assert queued.grading_attempts == 2


def test_unexpected_exception_is_infrastructure(queued, monkeypatch):
    fake = FakeGrader(KeyError("cases"))
    monkeypatch.setattr(grading, "grade", fake)

    result = tasks.grade_submission.apply(args=[queued.pk])

    queued.refresh_from_db()
    assert result.failed()
    assert len(fake.calls) == 1
    assert queued.status == Submission.Status.ERROR
    assert queued.reason == "infrastructure"
    assert queued.verdict["message_id"] == "grader-failed"


def test_task_grades_visible_run(learner, vae_loss, monkeypatch):
    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda args, queue: None)
    run = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n", visible_only=True)
    fake = FakeGrader(verdict(Status.PASSED, visible_only=True))
    monkeypatch.setattr(grading, "grade", fake)

    tasks.grade_submission.apply(args=[run.pk])

    run.refresh_from_db()
    assert [(slug, options["visible_only"]) for slug, options in fake.calls] == [("vae-loss", True)]
    assert run.status == Submission.Status.PASSED
    assert run.verdict["visible_only"] is True
    assert exercise_best_statuses(learner=learner) == {}


@pytest.mark.parametrize(
    ("row_visible_only", "verdict_visible_only"),
    [
        pytest.param(False, True, id="visible-verdict-on-submission"),
        pytest.param(True, False, id="full-verdict-on-visible-run"),
    ],
)
def test_task_rejects_verdict_of_other_kind(learner, vae_loss, monkeypatch, row_visible_only, verdict_visible_only):
    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda args, queue: None)
    row = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n", visible_only=row_visible_only)
    monkeypatch.setattr(grading, "grade", FakeGrader(verdict(Status.PASSED, visible_only=verdict_visible_only)))

    result = tasks.grade_submission.apply(args=[row.pk])

    row.refresh_from_db()
    assert result.failed()
    assert row.status == Submission.Status.ERROR
    assert row.reason == "infrastructure"
    assert row.verdict["message_id"] == "grader-failed"
    assert row.verdict["visible_only"] is row_visible_only
