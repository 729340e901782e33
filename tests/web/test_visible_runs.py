"""Visible-checks runs: the visible checks alone are graded, and the run never counts as an attempt."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from learning import messages, selectors, services
from learning.models import Submission
from learning.services import SubmissionRejected, submission_create, submission_mark_running, verdict_record
from learning.tasks import grade_submission

from .helpers import run_visible_checks, submit_code, wait_for_verdict
from .solutions import CORRECT_VAE_LOSS

pytestmark = pytest.mark.django_db

VISIBLE_RUN_NOTE = (
    '<p class="visible-run-note">Only the visible checks run here, and this run does not count as a submission. '
    "Press Submit to grade your code on all the checks.</p>"
)


@pytest.fixture
def enqueued(monkeypatch):
    """Record ``grade_submission.apply_async`` calls instead of sending them to the broker."""
    calls = []
    monkeypatch.setattr(grade_submission, "apply_async", lambda args, queue: calls.append((args, queue)))
    return calls


def make_row(learner, exercise, status: str, attempt: int, *, visible_only: bool) -> Submission:
    return Submission.objects.create(
        learner=learner, exercise=exercise, exercise_version=exercise.version, attempt=attempt,
        source="pass\n", filename="submission.py", status=status, visible_only=visible_only,
        created_at=timezone.now(),
    )  # fmt: skip


def passed_verdict(*, visible_only: bool) -> dict:
    return {
        "exercise": "vae-loss",
        "version": 1,
        "status": "passed",
        "score": 1.0,
        "checks": [{"name": "batch of one: value", "visible": True, "passed": True, "message": "Passed.", "stage": "value"}],
        "diagnosis": [],
        "duration_ms": 40.0,
        "reason": None,
        "message": "",
        "failed_stage": None,
        "output": "",
        "visible_only": visible_only,
    }


def test_runs_numbered_apart_from_attempts(learner, vae_loss, enqueued):
    first_run = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n", visible_only=True)
    attempt = submission_create(learner=learner, exercise=vae_loss, source="a = 2\n")
    second_run = submission_create(learner=learner, exercise=vae_loss, source="a = 3\n", visible_only=True)

    assert first_run.visible_only is True
    assert first_run.attempt == 1
    assert first_run.label == "Visible-checks run #1"
    assert attempt.visible_only is False
    assert attempt.attempt == 1
    assert attempt.label == "Attempt #1"
    assert second_run.attempt == 2
    assert second_run.label == "Visible-checks run #2"


def test_runs_count_toward_pending_limit(learner, vae_loss, enqueued):
    for _ in range(services.MAX_PENDING_PER_LEARNER):
        submission_create(learner=learner, exercise=vae_loss, source="a = 1\n", visible_only=True)

    with pytest.raises(SubmissionRejected) as rejection:
        submission_create(learner=learner, exercise=vae_loss, source="a = 1\n")

    assert rejection.value.message_id == "too-many-pending"


def test_passed_run_not_solved(learner, vae_loss, enqueued):
    run = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS, visible_only=True)
    submission_mark_running(submission_id=run.pk)

    recorded = verdict_record(submission_id=run.pk, verdict=passed_verdict(visible_only=True))

    progress = {row.topic: row for row in selectors.progress_by_topic(learner=learner)}
    assert recorded.status == Submission.Status.PASSED
    assert recorded.visible_only is True
    assert selectors.exercise_best_statuses(learner=learner) == {}
    assert progress["Variational autoencoders"].exercises_passed == 0
    assert list(selectors.submission_list_for_learner(learner=learner)) == []
    assert selectors.submission_get_for_learner(learner=learner, submission_id=run.pk) == run


def test_visible_verdict_rejected_on_submission(learner, vae_loss, enqueued):
    submission = submission_create(learner=learner, exercise=vae_loss, source=CORRECT_VAE_LOSS)
    submission_mark_running(submission_id=submission.pk)

    with pytest.raises(ValueError, match="the verdict's visible_only is True but submission"):
        verdict_record(submission_id=submission.pk, verdict=passed_verdict(visible_only=True))

    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.RUNNING


def test_passed_run_counts_nowhere(learner_client, learner, exercises):
    vae_loss = exercises["vae-loss"]
    attempt = make_row(learner, vae_loss, Submission.Status.FAILED, 1, visible_only=False)
    run = make_row(learner, vae_loss, Submission.Status.PASSED, 1, visible_only=True)

    listing = learner_client.get(reverse("learning:exercise_list")).content.decode()
    dashboard = learner_client.get(reverse("learning:dashboard")).content.decode()
    exercise_page = learner_client.get(reverse("learning:exercise_detail", args=["vae-loss"])).content.decode()
    today = selectors.activity_per_day(learner=learner, days=1)[0]

    assert selectors.exercise_best_statuses(learner=learner) == {vae_loss.pk: Submission.Status.FAILED}
    assert 'data-best-status="failed"' in listing
    assert 'data-best-status="passed"' not in listing
    assert today.submissions == 1
    assert '<p id="activity-summary">1 submission and 0 question reviews; the busiest day had 1.</p>' in dashboard
    assert f'<tr data-submission-id="{attempt.pk}">' in exercise_page
    assert f'data-submission-id="{run.pk}"' not in exercise_page


def test_run_cannot_be_compared(learner_client, learner, vae_loss):
    attempt = make_row(learner, vae_loss, Submission.Status.FAILED, 1, visible_only=False)
    run = make_row(learner, vae_loss, Submission.Status.PASSED, 1, visible_only=True)

    response = learner_client.get(
        reverse("learning:submission_compare", args=["vae-loss"]), {"old": attempt.pk, "new": run.pk}
    )

    assert response.status_code == 404


def test_run_view_returns_run_as_json(learner_client, learner, vae_loss, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payload = run_visible_checks(learner_client, "vae-loss", CORRECT_VAE_LOSS)

    stored = Submission.objects.get(pk=payload["id"])
    assert enqueued == [([stored.pk], "cpu")]
    assert stored.visible_only is True
    assert stored.learner == learner
    assert stored.source == CORRECT_VAE_LOSS
    assert payload["visible_only"] is True
    assert payload["label"] == "Visible-checks run #1"
    assert payload["status"] == "queued"
    assert payload["row_html"] is None
    assert 'data-visible-only="true"' in payload["html"]
    assert "Visible-checks run #1 is waiting for a grader…" in payload["html"]
    assert VISIBLE_RUN_NOTE in payload["html"]


def test_submit_view_payload_is_attempt(learner_client, vae_loss, enqueued):
    payload = submit_code(learner_client, "vae-loss", CORRECT_VAE_LOSS)

    assert payload["visible_only"] is False
    assert payload["label"] == "Attempt #1"
    assert f'<tr data-submission-id="{payload["id"]}">' in payload["row_html"]
    assert 'data-visible-only="false"' in payload["html"]
    assert "visible-run-note" not in payload["html"]


def test_run_view_redirects_without_js(learner_client, vae_loss, enqueued):
    response = learner_client.post(reverse("learning:submission_run_visible", args=["vae-loss"]), {"source": "a = 1\n"})

    run = Submission.objects.get()
    page = learner_client.get(response.url).content.decode()
    assert response.status_code == 302
    assert response.url == reverse("learning:submission_detail", args=[run.pk])
    assert run.visible_only is True
    assert "<h1>Visible-checks run #1</h1>" in page
    assert VISIBLE_RUN_NOTE in page
    assert '<p class="meta">Run <time' in page
    assert "Submitted <time" not in page


def test_run_view_rejects_empty_source(learner_client, vae_loss):
    response = learner_client.post(
        reverse("learning:submission_run_visible", args=["vae-loss"]), {"source": " \n"}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"error": {"id": "source-empty", "message": messages.SOURCE_EMPTY.text}}
    assert Submission.objects.count() == 0


def test_run_view_requires_login_and_post(client, learner, vae_loss):
    url = reverse("learning:submission_run_visible", args=["vae-loss"])

    anonymous = client.post(url, {"source": "x = 1\n"})
    client.force_login(learner)
    get_response = client.get(url)

    assert anonymous.status_code == 302
    assert anonymous.url == "/accounts/login/?next=/exercises/vae-loss/run-visible-checks/"
    assert get_response.status_code == 405
    assert Submission.objects.count() == 0


def test_exercise_page_has_run_button(learner_client, vae_loss):
    page = learner_client.get(reverse("learning:exercise_detail", args=["vae-loss"])).content.decode()

    assert (
        '<button type="submit" id="run-visible" class="secondary" formaction="/exercises/vae-loss/run-visible-checks/"'
        in page
    )
    assert 'aria-describedby="run-visible-help" aria-keyshortcuts="Control+Enter Meta+Enter">Run visible checks</button>' in page
    assert '<p class="help" id="run-visible-help">' in page


def test_old_pending_runs_do_not_block(learner, vae_loss, enqueued):
    for _ in range(services.MAX_PENDING_PER_LEARNER):
        submission_create(learner=learner, exercise=vae_loss, source="a = 1\n", visible_only=True)
    Submission.objects.update(created_at=timezone.now() - services.PENDING_WINDOW - datetime.timedelta(seconds=1))

    run = submission_create(learner=learner, exercise=vae_loss, source="a = 1\n", visible_only=True)

    assert run.attempt == services.MAX_PENDING_PER_LEARNER + 1


@pytest.mark.django_db(transaction=True)
def test_worker_grades_visible_checks_only(grading_worker, learner_client, learner, vae_loss):
    run = wait_for_verdict(
        learner_client, run_visible_checks(learner_client, "vae-loss", CORRECT_VAE_LOSS)["id"], grading_worker
    )
    listing_after_run = learner_client.get(reverse("learning:exercise_list")).content.decode()
    progress_after_run = {row.topic: row for row in selectors.progress_by_topic(learner=learner)}

    submission = wait_for_verdict(
        learner_client, submit_code(learner_client, "vae-loss", CORRECT_VAE_LOSS)["id"], grading_worker
    )

    stored = Submission.objects.get(pk=run["id"])
    visible_names = [check["name"] for check in submission["checks"] if check["visible"]]
    assert run["status"] == "passed"
    assert run["visible_only"] is True
    assert stored.verdict["visible_only"] is True
    assert run["checks"] and all(check["visible"] for check in run["checks"])
    assert [check["name"] for check in run["checks"]] == visible_names
    assert any(not check["visible"] for check in submission["checks"])
    assert "(hidden check)" not in run["html"]
    assert "Visible-checks run #1: Passed" in run["html"]
    assert "data-best-status=" not in listing_after_run
    assert progress_after_run["Variational autoencoders"].exercises_passed == 0
    assert submission["status"] == "passed"
    assert submission["attempt"] == 1
    assert selectors.exercise_best_statuses(learner=learner) == {vae_loss.pk: Submission.Status.PASSED}
