"""Writes of the learning app: create submissions, move them through grading, record verdicts.

The web process calls ``submission_create`` and ``submission_create_from_file``;
the Celery task calls the others.
"""

from __future__ import annotations

import datetime
import functools
import logging
import os
from typing import Any

import fsrs
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from catalogue.models import Exercise, Question
from catalogue.selectors import exercise_source
from grader.errors import SubmissionError
from grader.notebooks import graded_cell_count
from grader.submission import MAX_NOTEBOOK_BYTES, MAX_SOURCE_BYTES, source_from_bytes
from grader.verdict import Reason
from learning import messages
from learning.messages import LearnerMessage
from learning.models import QuestionCard, QuestionReview, Submission

logger = logging.getLogger(__name__)

# A learner may have this many submissions queued or running at once; more
# would let one person fill the grading queue.
MAX_PENDING_PER_LEARNER = 3
# Pending rows older than this are not counted, so a submission stuck by an
# outage does not block its learner for good.
PENDING_WINDOW = datetime.timedelta(minutes=15)
# A row started this many times without a verdict (grader faults and worker
# crashes together) gets an infrastructure error instead of another start.
MAX_GRADING_ATTEMPTS = 5
DEFAULT_FILENAME = "submission.py"


class SubmissionRejected(Exception):
    """The submission was not stored; ``message_id`` and ``text`` give the reason shown to the learner."""

    def __init__(self, message: LearnerMessage, **values: object):
        self.message_id = message.id
        self.text = message.format(**values)
        super().__init__(self.text)


def submission_create(
    *,
    learner,
    exercise: Exercise,
    source: str,
    filename: str = DEFAULT_FILENAME,
    variant_seed: int | None = None,
    visible_only: bool = False,
) -> Submission:
    """Store a queued submission and enqueue its grading once the transaction commits.

    With ``visible_only`` the row is a visible-checks run: the worker grades
    the visible checks alone, and the run is numbered apart from the
    learner's attempts and never counts as one.

    Raises ``SubmissionRejected`` when the source is empty or too large, or
    when the learner already has ``MAX_PENDING_PER_LEARNER`` rows pending,
    submissions and visible-checks runs together.
    """
    if not source.strip():
        raise SubmissionRejected(messages.SOURCE_EMPTY)
    size = len(source.encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        raise SubmissionRejected(messages.SOURCE_TOO_LARGE, size=size, limit=MAX_SOURCE_BYTES)

    with transaction.atomic():
        # On PostgreSQL, locking the learner's row serializes their submissions,
        # so two requests cannot both pass the pending check or share an
        # attempt number. SQLite has no row locks: there two simultaneous
        # submissions can fail on the unique attempt constraint instead.
        get_user_model().objects.select_for_update().filter(pk=learner.pk).first()
        pending = Submission.objects.filter(
            learner=learner,
            status__in=Submission.PENDING_STATUSES,
            created_at__gte=timezone.now() - PENDING_WINDOW,
        ).count()
        if pending >= MAX_PENDING_PER_LEARNER:
            raise SubmissionRejected(messages.TOO_MANY_PENDING, count=pending)

        previous = (
            Submission.objects.filter(learner=learner, exercise=exercise, visible_only=visible_only)
            .order_by("-attempt")
            .first()
        )
        submission = Submission.objects.create(
            learner=learner,
            exercise=exercise,
            exercise_version=exercise.version,
            attempt=previous.attempt + 1 if previous else 1,
            source=source,
            filename=_clean_filename(filename),
            variant_seed=variant_seed,
            visible_only=visible_only,
        )
        transaction.on_commit(functools.partial(_enqueue_grading, submission_id=submission.pk, queue=exercise.device))

    logger.info(
        "created submission %s: learner %s, exercise %s, %s",
        submission.pk,
        learner.pk,
        exercise.slug,
        submission.label.lower(),
        extra={"submission_id": submission.pk},
    )
    return submission


def submission_create_from_file(*, learner, exercise: Exercise, data: bytes, filename: str) -> Submission:
    """Extract the source from an uploaded ``.py`` module or ``.ipynb`` notebook, then ``submission_create``.

    Raises ``SubmissionRejected`` with the grader's explanation when the file
    cannot be read; such a file never reaches a worker.
    """
    filename = _clean_filename(filename)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise SubmissionRejected(messages.UPLOAD_TOO_LARGE, size=len(data), limit=MAX_NOTEBOOK_BYTES)
    try:
        source = source_from_bytes(data, filename, graded_cells=graded_cell_count(exercise_source(exercise)))
    except SubmissionError as error:
        logger.info("rejected upload %r from learner %s: %s", filename, learner.pk, error)
        raise SubmissionRejected(messages.UPLOAD_INVALID, filename=filename, detail=str(error)) from error

    return submission_create(learner=learner, exercise=exercise, source=source, filename=filename)


def submission_mark_running(*, submission_id: int) -> Submission | None:
    """Lock the row and mark it running; return None when it must not be graded now.

    A queued row is started. A running row is started again: it comes from a
    retry after a grader fault or from a redelivery after a worker died, since
    tasks are acknowledged late. A final row is left alone, so a duplicate
    message costs nothing. After ``MAX_GRADING_ATTEMPTS`` starts the row gets
    an infrastructure error instead.
    """
    log_extra = {"submission_id": submission_id}
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("exercise")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None:
            logger.warning("submission %s does not exist; nothing to grade", submission_id, extra=log_extra)
            return None
        if submission.status not in Submission.PENDING_STATUSES:
            logger.info("submission %s is already %s; not grading it again", submission_id, submission.status, extra=log_extra)
            return None
        if submission.grading_attempts >= MAX_GRADING_ATTEMPTS:
            logger.error(
                "submission %s was started %d times without a verdict; recording an infrastructure error",
                submission_id,
                submission.grading_attempts,
                extra=log_extra,
            )
            _store_failure(submission, messages.GRADER_FAILED)
            return None
        if submission.status == Submission.Status.RUNNING:
            logger.warning(
                "grading submission %s again (start %d)", submission_id, submission.grading_attempts + 1, extra=log_extra
            )

        submission.status = Submission.Status.RUNNING
        submission.started_at = timezone.now()
        submission.grading_attempts += 1
        submission.save(update_fields=["status", "started_at", "grading_attempts"])
    return submission


def verdict_record(*, submission_id: int, verdict: dict[str, Any]) -> Submission | None:
    """Store a verdict, the grader's ``Verdict.as_dict()``, on a running submission.

    Returns None without writing when the row is no longer running, which
    happens when two deliveries of one task both graded it. Raises
    ``ValueError`` when the verdict's ``visible_only`` differs from the row's,
    because a verdict of the visible checks alone recorded on a submission
    would mark the exercise solved without its hidden checks.
    """
    status = verdict.get("status")
    if status not in Submission.FINAL_STATUSES:
        allowed = [str(final) for final in Submission.FINAL_STATUSES]
        raise ValueError(f"verdict status must be one of {allowed}, got {status!r}")
    log_extra = {"submission_id": submission_id}

    with transaction.atomic():
        submission = Submission.objects.select_for_update().filter(pk=submission_id).first()
        if submission is None or submission.status != Submission.Status.RUNNING:
            logger.warning(
                "not recording the verdict of submission %s: it is %s",
                submission_id,
                submission.status if submission else "deleted",
                extra=log_extra,
            )
            return None
        verdict_visible_only = bool(verdict.get("visible_only"))
        if verdict_visible_only != submission.visible_only:
            raise ValueError(
                f"the verdict's visible_only is {verdict_visible_only} but submission {submission_id} "
                f"has visible_only {submission.visible_only}, so the verdict is not recorded"
            )
        submission.status = status
        submission.score = float(verdict.get("score") or 0.0)
        submission.reason = verdict.get("reason") or ""
        submission.verdict = verdict
        submission.exercise_version = verdict.get("version", submission.exercise_version)
        seed = (verdict.get("reproducibility") or {}).get("variant_seed")
        if seed is not None:
            submission.variant_seed = seed
        submission.finished_at = timezone.now()
        submission.save()

    logger.info(
        "recorded verdict of submission %s: %s, score %.3f%s",
        submission_id,
        status,
        submission.score,
        f", reason {submission.reason}" if submission.reason else "",
        extra=log_extra,
    )
    return submission


def submission_fail(*, submission_id: int, message: LearnerMessage) -> Submission | None:
    """Give a pending submission an ``error`` verdict with reason ``infrastructure`` and ``message``.

    For faults of the platform, never of the learner's code. Returns None
    when the row is gone or already final.
    """
    with transaction.atomic():
        submission = Submission.objects.select_for_update(of=("self",)).select_related("exercise").filter(pk=submission_id).first()
        if submission is None or submission.is_final:
            return None
        _store_failure(submission, message)
    return submission


def _store_failure(submission: Submission, message: LearnerMessage) -> None:
    submission.status = Submission.Status.ERROR
    submission.score = 0.0
    submission.reason = Reason.INFRASTRUCTURE.value
    submission.verdict = {
        "exercise": submission.exercise.slug,
        "version": submission.exercise_version,
        "status": Submission.Status.ERROR.value,
        "score": 0.0,
        "checks": [],
        "diagnosis": [],
        "duration_ms": 0.0,
        "reason": Reason.INFRASTRUCTURE.value,
        "message": message.text,
        "message_id": message.id,
        "failed_stage": None,
        "output": "",
        "visible_only": submission.visible_only,
    }
    submission.finished_at = timezone.now()
    submission.save()
    logger.error(
        "submission %s ends with an infrastructure error: %s",
        submission.pk,
        message.id,
        extra={"submission_id": submission.pk},
    )


def _enqueue_grading(*, submission_id: int, queue: str) -> None:
    from learning.tasks import grade_submission

    try:
        grade_submission.apply_async(args=[submission_id], queue=queue)
    except BrokerError as error:
        logger.error(
            "cannot enqueue submission %s on queue %s: %s", submission_id, queue, error, extra={"submission_id": submission_id}
        )
        submission_fail(submission_id=submission_id, message=messages.QUEUE_UNAVAILABLE)


def _clean_filename(filename: str) -> str:
    name = os.path.basename(filename.replace("\\", "/")).strip()
    return name[-255:] or DEFAULT_FILENAME


# FSRS-6 default weights and 90 % desired retention (fsrs 6.3.2). Fuzzing
# spreads the due dates of cards with intervals of a few days or more, so the
# reviews of questions learned together do not all fall on one day.
QUESTION_SCHEDULER = fsrs.Scheduler()


def question_review_record(
    *, learner, question: Question, rating: int, reviewed_at: datetime.datetime | None = None
) -> QuestionCard:
    """Store the learner's self-rating of ``question`` and move its card to the due date FSRS computes.

    ``rating`` is a ``QuestionReview.Rating`` value (1 Again to 4 Easy); any
    other value raises ``ValueError``. ``reviewed_at`` defaults to now and
    must be timezone-aware.
    """
    rating = QuestionReview.Rating(rating)
    reviewed_at = reviewed_at or timezone.now()

    with transaction.atomic():
        stored = QuestionCard.objects.select_for_update().filter(learner=learner, question=question).first()
        card = fsrs.Card.from_dict(stored.card) if stored is not None else fsrs.Card(due=reviewed_at)
        card, _ = QUESTION_SCHEDULER.review_card(card, fsrs.Rating(rating.value), review_datetime=reviewed_at)

        if stored is None:
            stored = QuestionCard(learner=learner, question=question)
        stored.card = card.to_dict()
        stored.due = card.due
        stored.review_count += 1
        stored.last_reviewed_at = reviewed_at
        stored.save()
        QuestionReview.objects.create(
            learner=learner, question=question, rating=rating, reviewed_at=reviewed_at, due_after=card.due
        )
    return stored
