"""The Django project's configuration: settings, URLs, WSGI/ASGI entry points and the Celery app."""

import sys
from pathlib import Path

_PLATFORM_DIR = Path(__file__).resolve().parent.parent
_REPO_ROOT = _PLATFORM_DIR.parent

# gunicorn, uvicorn and "celery -A config" import this package from wherever
# they start; the apps live in platform/ and the grader at the repository root.
for _path in (str(_REPO_ROOT), str(_PLATFORM_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

# Importing the Celery app here binds @shared_task functions to it in every
# process that loads Django, so the web process enqueues with these settings.
from config.celery import app as celery_app  # noqa: E402

__all__ = ["celery_app"]
