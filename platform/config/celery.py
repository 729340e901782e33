"""The Celery app of the grading workers; its settings are the CELERY_* names in config.settings.

Start a worker from the repository root with
``python -m celery -A config worker -Q cpu,gpu`` and ``platform`` on PYTHONPATH,
and one beat process for the periodic sweep with ``python -m celery -A config beat``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tensorcraft")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# learning.sweep contains the periodic task that CELERY_BEAT_SCHEDULE names.
app.autodiscover_tasks(related_name="sweep")
