from django.conf import settings
from django.db import models
from django.utils import timezone

from catalogue.models import Exercise


class Submission(models.Model):
    """One learner's code for one exercise, and its verdict once graded.

    ``status`` moves from queued to running to one of the final statuses.
    A running row may be started again, by a retry after a grader fault or by
    a redelivery after a worker died. ``grading_attempts`` counts the starts.
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
    attempt = models.PositiveIntegerField(help_text="1 for the learner's first submission to this exercise, and so on.")
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
            models.UniqueConstraint(fields=["learner", "exercise", "attempt"], name="submission_unique_attempt"),
        ]
        indexes = [
            models.Index(fields=["learner", "exercise", "-created_at"], name="submission_learner_exercise"),
            models.Index(fields=["learner", "status"], name="submission_learner_status"),
        ]

    def __str__(self) -> str:
        return f"submission {self.pk} of {self.exercise_id} by {self.learner_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES
