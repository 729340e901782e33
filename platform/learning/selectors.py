"""Reads of the learning app. Every read of submissions is scoped to one learner."""

from __future__ import annotations

import dataclasses

from django.db.models import QuerySet

from catalogue.models import Exercise
from catalogue.selectors import DIFFICULTY_ORDER, exercise_list_active, topic_title
from learning.models import Submission

# Rank of each status when the exercise list shows one per exercise for a
# learner with several submissions: passed, then failed (the code ran), then
# error, then pending.
STATUS_RANK = {
    Submission.Status.QUEUED: 0,
    Submission.Status.RUNNING: 1,
    Submission.Status.ERROR: 2,
    Submission.Status.FAILED: 3,
    Submission.Status.PASSED: 4,
}


@dataclasses.dataclass(frozen=True)
class ExerciseRow:
    exercise: Exercise
    best_status: str | None  # None when the learner has not submitted, or is anonymous


def submission_list_for_learner(*, learner, exercise: Exercise | None = None) -> QuerySet[Submission]:
    """The learner's submissions, newest first, optionally for one exercise."""
    submissions = Submission.objects.filter(learner=learner).select_related("exercise")
    if exercise is not None:
        submissions = submissions.filter(exercise=exercise)
    return submissions.order_by("-created_at", "-id")


def submission_get_for_learner(*, learner, submission_id: int) -> Submission | None:
    """Return the submission if it belongs to ``learner``, else None: learners see only their own."""
    return submission_list_for_learner(learner=learner).filter(pk=submission_id).first()


def exercise_best_statuses(*, learner) -> dict[int, str]:
    """Map exercise id to the learner's best submission status (see ``STATUS_RANK``)."""
    best: dict[int, str] = {}
    rows = Submission.objects.filter(learner=learner).values_list("exercise_id", "status").distinct()
    for exercise_id, status in rows:
        if exercise_id not in best or STATUS_RANK[status] > STATUS_RANK[best[exercise_id]]:
            best[exercise_id] = status
    return best


def exercise_groups_for_learner(*, learner) -> list[tuple[str, list[ExerciseRow]]]:
    """Group the active exercises by topic title, easiest first, each with the learner's best status.

    ``learner`` is None for an anonymous visitor, whose rows have no status.
    """
    best = exercise_best_statuses(learner=learner) if learner is not None else {}
    exercises = sorted(
        exercise_list_active(),
        key=lambda item: (topic_title(item.topic), DIFFICULTY_ORDER.get(item.difficulty, len(DIFFICULTY_ORDER)), item.title),
    )
    groups: dict[str, list[ExerciseRow]] = {}
    for exercise in exercises:
        groups.setdefault(topic_title(exercise.topic), []).append(ExerciseRow(exercise, best.get(exercise.pk)))
    return list(groups.items())
