"""The sweep that re-enqueues submissions whose grading message was lost.

The database, not the broker, is the record of what must be graded. A message
can be lost when the broker restarts without persistence or when a worker
dies in a way that the broker does not notice. Celery beat runs
``requeue_stuck_submissions`` every minute (``CELERY_BEAT_SCHEDULE``), and the
management command ``requeue_stuck_submissions`` runs the same sweep once.
"""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from learning.models import Submission

logger = logging.getLogger(__name__)


def submissions_requeue_stuck(
    *, older_than: datetime.timedelta, running_older_than: datetime.timedelta | None = None
) -> list[int]:
    """Enqueue ``grade_submission`` again for submissions stuck queued or running; return their ids.

    A row is stuck when it has been queued since before ``older_than`` ago, or
    running since before ``running_older_than`` ago (``older_than`` when not
    given). Enqueuing twice is harmless: the task returns at once for a final
    row and stores at most one verdict.
    """
    from learning.tasks import grade_submission

    now = timezone.now()
    running_older_than = older_than if running_older_than is None else running_older_than
    queued = Submission.objects.filter(status=Submission.Status.QUEUED, created_at__lt=now - older_than)
    running = Submission.objects.filter(status=Submission.Status.RUNNING, started_at__lt=now - running_older_than)
    stuck = (queued | running).select_related("exercise").order_by("created_at")

    requeued = []
    for submission in stuck:
        log_extra = {"submission_id": submission.pk}
        try:
            grade_submission.apply_async(args=[submission.pk], queue=submission.exercise.device)
        except BrokerError as error:
            # The next sweep tries again; the row stays as it is.
            logger.error("cannot re-enqueue submission %s: %s", submission.pk, error, extra=log_extra)
            continue
        logger.warning("re-enqueued submission %s, stuck %s", submission.pk, submission.status, extra=log_extra)
        requeued.append(submission.pk)
    return requeued


@shared_task(name="learning.sweep.requeue_stuck_submissions", ignore_result=True)
def requeue_stuck_submissions() -> int:
    """Run the sweep with the thresholds from settings; return how many submissions it re-enqueued."""
    # NOTE: a row that is only slow to be picked up (a long queue) is enqueued
    # again at each sweep after the threshold. A duplicate costs a lock and an
    # early return once the row is final. But a duplicate picked up while the
    # row is still running grades it a second time, up to MAX_GRADING_ATTEMPTS starts.
    return len(
        submissions_requeue_stuck(
            older_than=datetime.timedelta(seconds=settings.TENSORCRAFT_REQUEUE_QUEUED_AFTER_S),
            running_older_than=datetime.timedelta(seconds=settings.TENSORCRAFT_REQUEUE_RUNNING_AFTER_S),
        )
    )
