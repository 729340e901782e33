from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from catalogue.models import Exercise, Question


class SubmissionQuerySet(models.QuerySet):
    def attempts(self) -> SubmissionQuerySet:
        """Filter to the rows that count as attempts, leaving out visible-checks runs.

        Progress, the exercise list, the dashboard and the attempt history read
        only these rows, so a visible-checks run never marks an exercise solved.
        """
        return self.filter(visible_only=False)


class Submission(models.Model):
    """One learner's code for one exercise, and its verdict once graded.

    ``status`` moves from queued to running to one of the final statuses.
    A running row may be started again, by a retry after a grader fault or by
    a redelivery after a worker died. ``grading_attempts`` counts the starts.

    A row with ``visible_only`` is a visible-checks run. The grader runs the
    visible cases alone, and the row never counts as an attempt (see
    ``SubmissionQuerySet.attempts``), even when its status is passed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Grading"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        ERROR = "error", "Error"

    PENDING_STATUSES = (Status.QUEUED, Status.RUNNING)
    FINAL_STATUSES = (Status.PASSED, Status.FAILED, Status.ERROR)

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="submissions")
    exercise_version = models.PositiveIntegerField(help_text="The exercise version graded, or to be graded.")
    attempt = models.PositiveIntegerField(
        help_text="1 for the learner's first submission to this exercise, and so on. "
        "Visible-checks runs are numbered apart from submissions."
    )
    visible_only = models.BooleanField(
        default=False,
        help_text="A visible-checks run: only the visible checks are graded, and it does not count as an attempt.",
    )
    source = models.TextField()
    filename = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    score = models.FloatField(null=True, blank=True, help_text="From 0 to 1; empty until graded.")
    reason = models.CharField(max_length=50, blank=True, help_text="Why the status is error, as a grader Reason value.")
    verdict = models.JSONField(null=True, blank=True, help_text="The grader's Verdict.as_dict().")
    # None lets the grader derive the seed of the hidden cases from the source;
    # the seed it used is stored here with the verdict.
    variant_seed = models.BigIntegerField(null=True, blank=True)
    grading_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "exercise", "visible_only", "attempt"], name="submission_unique_attempt"
            ),
        ]
        indexes = [
            models.Index(fields=["learner", "exercise", "-created_at"], name="submission_learner_exercise"),
            models.Index(fields=["learner", "status"], name="submission_learner_status"),
        ]

    objects = SubmissionQuerySet.as_manager()

    def __str__(self) -> str:
        kind = "visible-checks run" if self.visible_only else "submission"
        return f"{kind} {self.pk} of {self.exercise_id} by {self.learner_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    @property
    def label(self) -> str:
        """Name of the row shown to the learner, such as "Attempt #3" or "Visible-checks run #2"."""
        return f"Visible-checks run #{self.attempt}" if self.visible_only else f"Attempt #{self.attempt}"


class QuestionCard(models.Model):
    """One learner's spaced-repetition state for one interview question.

    ``card`` is the ``fsrs.Card`` serialized by ``Card.to_dict()``; ``due`` is
    copied from it so the practice queue can be ordered in SQL.
    """

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_cards")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="cards")
    card = models.JSONField()
    due = models.DateTimeField()
    review_count = models.PositiveIntegerField(default=0)
    last_reviewed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "question"], name="question_card_unique_learner_question"),
        ]
        indexes = [models.Index(fields=["learner", "due"], name="question_card_learner_due")]

    def __str__(self) -> str:
        return f"card of {self.question_id} for {self.learner_id} (due {self.due:%Y-%m-%d %H:%M})"


class QuestionReview(models.Model):
    """One self-rated review of a question, kept for the learner's history after the card moves on."""

    class Rating(models.IntegerChoices):
        # The values are fsrs.Rating's, so they convert with fsrs.Rating(value).
        AGAIN = 1, "Again"
        HARD = 2, "Hard"
        GOOD = 3, "Good"
        EASY = 4, "Easy"

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_reviews")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    reviewed_at = models.DateTimeField(default=timezone.now)
    due_after = models.DateTimeField(help_text="When the card became due again after this review.")

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [models.Index(fields=["learner", "reviewed_at"], name="question_review_learner_time")]

    def __str__(self) -> str:
        return f"review of {self.question_id} by {self.learner_id}: {self.get_rating_display()}"
