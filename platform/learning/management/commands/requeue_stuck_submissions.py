"""``manage.py requeue_stuck_submissions``: run the lost-message sweep of learning.sweep once."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand

from learning.sweep import submissions_requeue_stuck


class Command(BaseCommand):
    help = "Enqueue the grading of submissions stuck queued or running again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queued-after",
            type=float,
            default=settings.TENSORCRAFT_REQUEUE_QUEUED_AFTER_S,
            help="seconds a submission may stay queued before it counts as stuck",
        )
        parser.add_argument(
            "--running-after",
            type=float,
            default=settings.TENSORCRAFT_REQUEUE_RUNNING_AFTER_S,
            help="seconds a submission may stay running before it counts as stuck",
        )

    def handle(self, *args, queued_after: float, running_after: float, **options):
        requeued = submissions_requeue_stuck(
            older_than=datetime.timedelta(seconds=queued_after),
            running_older_than=datetime.timedelta(seconds=running_after),
        )
        self.stdout.write(f"re-enqueued {len(requeued)} submissions: {' '.join(map(str, requeued)) or 'none'}")
