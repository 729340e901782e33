"""Reads of the learning app. Every read of submissions is scoped to one learner.

Visible-checks runs are left out of every list, count and status here, except
``submission_get_for_learner``, which the run's own page and status endpoint use.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from catalogue.models import Exercise, Question
from catalogue.selectors import DIFFICULTY_ORDER, exercise_list_active, topic_title
from learning.models import QuestionCard, QuestionReview, Submission

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
    """The learner's attempts, newest first, optionally for one exercise. Visible-checks runs are left out."""
    submissions = Submission.objects.attempts().filter(learner=learner).select_related("exercise")
    if exercise is not None:
        submissions = submissions.filter(exercise=exercise)
    return submissions.order_by("-created_at", "-id")


def submission_get_for_learner(*, learner, submission_id: int) -> Submission | None:
    """Return the submission or visible-checks run if it belongs to ``learner``, else None.

    Learners see only their own rows.
    """
    return Submission.objects.filter(learner=learner, pk=submission_id).select_related("exercise").first()


def submission_pair_for_learner(
    *, learner, exercise: Exercise, old_id: int, new_id: int
) -> tuple[Submission, Submission] | None:
    """Return two of the learner's submissions to ``exercise``, or None unless both exist and are theirs."""
    submissions = {
        submission.pk: submission
        for submission in submission_list_for_learner(learner=learner, exercise=exercise).filter(pk__in=[old_id, new_id])
    }
    if old_id not in submissions or new_id not in submissions:
        return None
    return submissions[old_id], submissions[new_id]


def exercise_best_statuses(*, learner) -> dict[int, str]:
    """Map exercise id to the status of the learner's best attempt (see ``STATUS_RANK``)."""
    best: dict[int, str] = {}
    rows = Submission.objects.attempts().filter(learner=learner).values_list("exercise_id", "status").distinct()
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


# How many questions one practice page lists.
PRACTICE_PAGE_SIZE = 20


@dataclasses.dataclass(frozen=True)
class PracticeItem:
    question: Question
    card: QuestionCard | None  # None when the learner has never reviewed the question


def question_card_get(*, learner, question: Question) -> QuestionCard | None:
    return QuestionCard.objects.filter(learner=learner, question=question).first()


def questions_due_for_learner(
    *,
    learner,
    topic: str | None = None,
    level: str | None = None,
    now: datetime.datetime | None = None,
    limit: int = PRACTICE_PAGE_SIZE,
) -> list[PracticeItem]:
    """List the questions to practise: due cards first, most overdue first, then questions never reviewed.

    Cards that are not due yet are left out. ``topic`` and ``level`` filter
    both parts; None or an empty string means no filter.
    """
    now = now or timezone.now()
    questions = Question.objects.all()
    if topic:
        questions = questions.filter(topic=topic)
    if level:
        questions = questions.filter(level=level)

    due_cards = (
        QuestionCard.objects.filter(learner=learner, due__lte=now, question__in=questions)
        .select_related("question")
        .order_by("due", "question__slug")[:limit]
    )
    items = [PracticeItem(card.question, card) for card in due_cards]
    if len(items) < limit:
        new_questions = questions.exclude(cards__learner=learner).order_by("topic", "title", "slug")
        items += [PracticeItem(question, None) for question in new_questions[: limit - len(items)]]
    return items


def question_filter_choices() -> tuple[list[str], list[str]]:
    """Return the topics and the levels that the loaded questions use, each sorted."""
    topics = sorted(set(Question.objects.values_list("topic", flat=True)))
    levels = sorted(set(Question.objects.values_list("level", flat=True)))
    return topics, levels


@dataclasses.dataclass(frozen=True)
class TopicProgress:
    topic: str  # display title
    exercises_passed: int
    exercises_total: int
    questions_reviewed: int
    questions_total: int


@dataclasses.dataclass(frozen=True)
class DayActivity:
    day: datetime.date
    submissions: int
    reviews: int


def progress_by_topic(*, learner) -> list[TopicProgress]:
    """Count, per topic title, the active exercises the learner passed and the questions they reviewed at least once.

    Exercise and question topics share one row when their titles match; a
    topic with only exercises has a question total of 0, and the reverse.
    """
    counts: dict[str, list[int]] = {}

    passed = set(
        Submission.objects.attempts()
        .filter(learner=learner, status=Submission.Status.PASSED)
        .values_list("exercise_id", flat=True)
    )
    for exercise in exercise_list_active():
        row = counts.setdefault(topic_title(exercise.topic), [0, 0, 0, 0])
        row[0] += exercise.pk in passed
        row[1] += 1

    reviewed = set(QuestionCard.objects.filter(learner=learner).values_list("question_id", flat=True))
    for question_id, topic in Question.objects.values_list("id", "topic"):
        row = counts.setdefault(topic_title(topic), [0, 0, 0, 0])
        row[2] += question_id in reviewed
        row[3] += 1

    return [TopicProgress(topic, *row) for topic, row in sorted(counts.items())]


def activity_per_day(*, learner, days: int = 30, today: datetime.date | None = None) -> list[DayActivity]:
    """Count the learner's attempts and question reviews on each of the last ``days`` UTC days, oldest first.

    Days without activity are included with zero counts, so a chart has one
    column per day.
    """
    today = today or timezone.now().date()
    first_day = today - datetime.timedelta(days=days - 1)
    start = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=datetime.UTC)

    submissions = _count_per_day(
        Submission.objects.attempts().filter(learner=learner, created_at__gte=start), "created_at"
    )
    reviews = _count_per_day(QuestionReview.objects.filter(learner=learner, reviewed_at__gte=start), "reviewed_at")
    return [
        DayActivity(day, submissions.get(day, 0), reviews.get(day, 0))
        for day in (first_day + datetime.timedelta(days=offset) for offset in range(days))
    ]


def _count_per_day(rows: QuerySet, field: str) -> dict[datetime.date, int]:
    grouped = (
        rows.annotate(day=TruncDate(field, tzinfo=datetime.UTC)).values("day").annotate(count=Count("id")).order_by()
    )
    return {row["day"]: row["count"] for row in grouped}
