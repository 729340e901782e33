"""Submission services and selectors, without a worker: enqueueing is observed, not run."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from grader.submission import MAX_NOTEBOOK_BYTES, MAX_SOURCE_BYTES
from learning import messages, selectors, services
from learning.models import Submission
from learning.services import (
    SubmissionRejected,
    submission_create,
    submission_fail,
    submission_mark_running,
    verdict_record,
)
from learning.tasks import grade_submission

from .solutions import CORRECT_VAE_LOSS

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """Record ``grade_submission.apply_async`` calls instead of sending them to the broker."""
    calls = []
    monkeypatch.setattr(grade_submission, "apply_async", lambda args, queue: calls.append((args, queue)))
    return calls


def passed_verdict(**changes) -> dict:
    verdict = {
        "exercise": "vae-loss",
        "version": 1,
        "status": "passed",
        "score": 1.0,
        "checks": [{"name": "batch of one: value", "visible": True, "passed": True, "message": "Passed.", "stage": "value"}],
        "diagnosis": [],
        "duration_ms": 812.5,
        "reason": None,
        "message": "",
        "failed_stage": None,
        "output": "",
        "reproducibility": {"variant_seed": 1234},
    }
    return {**verdict, **changes}


def test_create_enqueues_on_commit(
    learner, vae_loss, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
        enqueued_before_commit = list(enqueued)

    assert enqueued_before_commit == []
    assert len(callbacks) == 1
    assert enqueued == [([submission.pk], "cpu")]
    assert submission.status == Submission.Status.QUEUED
    assert submission.attempt == 1
    assert submission.exercise_version == vae_loss.version
    assert submission.filename == "submission.py"
    assert submission.source == CORRECT_VAE_LOSS


def test_create_uses_device_queue(learner, vae_loss, enqueued, django_capture_on_commit_callbacks):
    vae_loss.device = "gpu"
    vae_loss.save()

    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)

    assert enqueued == [([submission.pk], "gpu")]


def test_attempt_numbers_per_exercise(learner, other_learner, exercises, enqueued):
    first = submission_create(learner=learner, exercise=exercises["vae-loss"], source="a = 1\n")
    second = submission_create(learner=learner, exercise=exercises["vae-loss"], source="a = 2\n")
    other_exercise = submission_create(learner=learner, exercise=exercises["gaussian-kl"], source="a = 3\n")
    other_learner_first = submission_create(learner=other_learner, exercise=exercises["vae-loss"], source="a = 4\n")

    assert [first.attempt, second.attempt, other_exercise.attempt, other_learner_first.attempt] == [1, 2, 1, 1]


@pytest.mark.parametrize("source", ["", "   \n\t\n"], ids=["empty", "whitespace"])
def test_empty_source_is_rejected(learner, vae_loss, source):
    with pytest.raises(SubmissionRejected) as rejection:
        submission_create(learner=learner, exercise=vae_loss, source=source)

    assert rejection.value.message_id == "source-empty"
    assert rejection.value.text == messages.SOURCE_EMPTY.text
    assert Submission.objects.count() == 0


def test_source_over_limit_is_rejected(learner, vae_loss):
    source = "#" * (MAX_SOURCE_BYTES - 1) + "é"  # é is two bytes in UTF-8

    with pytest.raises(SubmissionRejected) as rejection:
        submission_create(learner=learner, exercise=vae_loss, source=source)

    assert rejection.value.message_id == "source-too-large"
    assert rejection.value.text == (
        f"Your code is {MAX_SOURCE_BYTES + 1} bytes; the limit is {MAX_SOURCE_BYTES} bytes. "
        "Remove code the exercise does not need and submit again."
    )


def test_source_at_limit_is_accepted(learner, vae_loss, enqueued):
    submission = submission_create(learner=learner, exercise=vae_loss, source="#" * MAX_SOURCE_BYTES)

    assert len(submission.source) == MAX_SOURCE_BYTES


def test_too_many_pending_rejected(learner, vae_loss, enqueued):
    for _ in range(services.MAX_PENDING_PER_LEARNER):
        submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")

    with pytest.raises(SubmissionRejected) as rejection:
        submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")

    assert rejection.value.message_id == "too-many-pending"
    assert rejection.value.text == (
        f"You have {services.MAX_PENDING_PER_LEARNER} submissions or visible-checks runs waiting to be graded. "
        "Wait until one is graded, then try again."
    )


def test_old_pending_do_not_block(learner, vae_loss, enqueued):
    for _ in range(services.MAX_PENDING_PER_LEARNER):
        submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")
    Submission.objects.update(created_at=timezone.now() - services.PENDING_WINDOW - datetime.timedelta(seconds=1))

    submission = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")

    assert submission.attempt == services.MAX_PENDING_PER_LEARNER + 1


def test_broker_down_records_error(learner, vae_loss, monkeypatch, django_capture_on_commit_callbacks):
    def refuse(args, queue):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(grade_submission, "apply_async", refuse)

    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)

    submission.refresh_from_db()
    assert submission.status == Submission.Status.ERROR
    assert submission.reason == "infrastructure"
    assert submission.verdict["message"] == messages.QUEUE_UNAVAILABLE.text
    assert submission.verdict["message_id"] == "queue-unavailable"


def test_mark_running_starts_queued_row(learner, vae_loss, enqueued):
    submission = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")

    running = submission_mark_running(submission_id=submission.pk)

    assert running.status == Submission.Status.RUNNING
    assert running.grading_attempts == 1
    assert running.started_at is not None


def test_mark_running_restarts_running_row(learner, vae_loss, enqueued):
    submission = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")
    submission_mark_running(submission_id=submission.pk)

    again = submission_mark_running(submission_id=submission.pk)

    assert again.status == Submission.Status.RUNNING
    assert again.grading_attempts == 2


@pytest.mark.parametrize("status", [Submission.Status.PASSED, Submission.Status.FAILED, Submission.Status.ERROR])
def test_mark_running_skips_final_row(learner, vae_loss, enqueued, status):
    submission = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")
    Submission.objects.filter(pk=submission.pk).update(status=status)

    assert submission_mark_running(submission_id=submission.pk) is None
    assert Submission.objects.get(pk=submission.pk).status == status


def test_mark_running_skips_missing_row(db):
    assert submission_mark_running(submission_id=987654) is None


def test_mark_running_attempt_cap(learner, vae_loss, enqueued):
    submission = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.RUNNING, grading_attempts=services.MAX_GRADING_ATTEMPTS
    )

    result = submission_mark_running(submission_id=submission.pk)

    submission.refresh_from_db()
    assert result is None
    assert submission.status == Submission.Status.ERROR
    assert submission.reason == "infrastructure"
    assert submission.verdict["message"] == messages.GRADER_FAILED.text


def test_verdict_record_stores_verdict(learner, vae_loss, enqueued):
    submission = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")
    submission_mark_running(submission_id=submission.pk)

    recorded = verdict_record(submission_id=submission.pk, verdict=passed_verdict())

    assert recorded.status == Submission.Status.PASSED
    assert recorded.score == 1.0
    assert recorded.reason == ""
    assert recorded.variant_seed == 1234
    assert recorded.verdict == passed_verdict()
    assert recorded.finished_at >= recorded.started_at


def test_verdict_record_stores_error_reason(learner, vae_loss, enqueued):
    submission = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")
    submission_mark_running(submission_id=submission.pk)

    recorded = verdict_record(
        submission_id=submission.pk, verdict=passed_verdict(status="error", score=0.0, reason="memory_limit")
    )

    assert recorded.status == Submission.Status.ERROR
    assert recorded.reason == "memory_limit"
    assert recorded.score == 0.0


def test_verdict_record_ignores_row_not_running(learner, vae_loss, enqueued):
    submission = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")

    assert verdict_record(submission_id=submission.pk, verdict=passed_verdict()) is None
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.QUEUED


def test_verdict_record_rejects_unknown_status(learner, vae_loss, enqueued):
    submission = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")

    with pytest.raises(ValueError) as error:
        verdict_record(submission_id=submission.pk, verdict=passed_verdict(status="running"))

    assert str(error.value) == "verdict status must be one of ['passed', 'failed', 'error'], got 'running'"


def test_fail_leaves_final_row(learner, vae_loss, enqueued):
    submission = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")
    submission_mark_running(submission_id=submission.pk)
    verdict_record(submission_id=submission.pk, verdict=passed_verdict())

    assert submission_fail(submission_id=submission.pk, message=messages.GRADER_FAILED) is None
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.PASSED


def test_list_scoped_to_learner(learner, other_learner, exercises, enqueued):
    own_old = submission_create(learner=learner, exercise=exercises["vae-loss"], source="a = 1\n")
    own_new = submission_create(learner=learner, exercise=exercises["vae-loss"], source="a = 2\n")
    own_other_exercise = submission_create(learner=learner, exercise=exercises["gaussian-kl"], source="a = 3\n")
    submission_create(learner=other_learner, exercise=exercises["vae-loss"], source="a = 4\n")

    for_exercise = selectors.submission_list_for_learner(learner=learner, exercise=exercises["vae-loss"])
    everything = selectors.submission_list_for_learner(learner=learner)

    assert list(for_exercise) == [own_new, own_old]
    assert set(everything) == {own_old, own_new, own_other_exercise}
    assert selectors.submission_get_for_learner(learner=other_learner, submission_id=own_old.pk) is None
    assert selectors.submission_get_for_learner(learner=learner, submission_id=own_old.pk) == own_old


@pytest.mark.parametrize(
    ("statuses", "best"),
    [
        pytest.param(["queued"], "queued", id="queued"),
        pytest.param(["queued", "running"], "running", id="running-beats-queued"),
        pytest.param(["running", "error"], "error", id="error-beats-running"),
        pytest.param(["error", "failed"], "failed", id="failed-beats-error"),
        pytest.param(["failed", "passed", "error"], "passed", id="passed-beats-all"),
    ],
)
def test_best_status_ranks_statuses(learner, vae_loss, statuses, best):
    for attempt, status in enumerate(statuses, 1):
        Submission.objects.create(
            learner=learner, exercise=vae_loss, exercise_version=1, attempt=attempt, source="a", filename="a.py",
            status=status,
        )  # fmt: skip

    assert selectors.exercise_best_statuses(learner=learner) == {vae_loss.pk: best}


def test_submit_rejection_as_json(learner_client, vae_loss):
    response = learner_client.post(
        reverse("learning:submission_submit", args=["vae-loss"]), {"source": "  "}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"error": {"id": "source-empty", "message": messages.SOURCE_EMPTY.text}}


def test_submit_without_js_redirects(learner_client, vae_loss, enqueued):
    response = learner_client.post(reverse("learning:submission_submit", args=["vae-loss"]), {"source": "a = 1\n"})

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("learning:submission_detail", args=[submission.pk])


def test_rejected_form_keeps_code(learner_client, vae_loss, enqueued):
    for _ in range(services.MAX_PENDING_PER_LEARNER):
        learner_client.post(reverse("learning:submission_submit", args=["vae-loss"]), {"source": "a = 1\n"})

    response = learner_client.post(reverse("learning:submission_submit", args=["vae-loss"]), {"source": "b = <2>\n"})
    page = response.content.decode()

    assert response.status_code == 429
    assert 'data-message-id="too-many-pending"' in page
    assert "b = &lt;2&gt;\n</textarea>" in page


def test_upload_view_requires_a_file(learner_client, vae_loss):
    response = learner_client.post(
        reverse("learning:submission_upload", args=["vae-loss"]), {}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"error": {"id": "upload-missing", "message": messages.UPLOAD_MISSING.text}}


def test_upload_view_rejects_other_file_types(learner_client, vae_loss):
    upload = SimpleUploadedFile("solution.txt", b"a = 1\n")

    response = learner_client.post(
        reverse("learning:submission_upload", args=["vae-loss"]), {"file": upload}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "id": "upload-invalid",
        "message": "The file solution.txt cannot be graded: the file 'solution.txt' is neither a .py module nor an .ipynb notebook.",
    }


def test_upload_view_rejects_oversized_file(learner_client, vae_loss):
    upload = SimpleUploadedFile("huge.ipynb", b" " * (MAX_NOTEBOOK_BYTES + 1))

    response = learner_client.post(
        reverse("learning:submission_upload", args=["vae-loss"]), {"file": upload}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "id": "upload-too-large",
        "message": f"The file is {MAX_NOTEBOOK_BYTES + 1} bytes; the limit is {MAX_NOTEBOOK_BYTES} bytes.",
    }
    assert Submission.objects.count() == 0


def test_upload_view_accepts_python_module(learner_client, vae_loss, enqueued):
    upload = SimpleUploadedFile("../../etc/my_solution.py", CORRECT_VAE_LOSS.encode())

    response = learner_client.post(
        reverse("learning:submission_upload", args=["vae-loss"]), {"file": upload}, HTTP_ACCEPT="application/json"
    )

    submission = Submission.objects.get()
    assert response.status_code == 202
    assert submission.filename == "my_solution.py"
    assert submission.source == CORRECT_VAE_LOSS
