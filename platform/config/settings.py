"""Django settings of the Tensorcraft site, read from environment variables.

Every variable has a default for the embedded run on one machine: SQLite and a
file-system Celery broker under ``var/``, so nothing but this repository is
needed. Production and the tests set:

- ``TENSORCRAFT_DATABASE_URL``: ``postgres://user@host:port/name`` or ``sqlite:///path``.
- ``TENSORCRAFT_BROKER_URL``: a Celery broker such as ``redis://127.0.0.1:6379/0``.
- ``TENSORCRAFT_SECRET_KEY``, ``TENSORCRAFT_DEBUG`` (1 or 0) and
  ``TENSORCRAFT_ALLOWED_HOSTS`` (comma-separated host names).
- ``TENSORCRAFT_HTTPS`` (1 or 0): 1 behind a reverse proxy that terminates
  HTTPS and sets X-Forwarded-Proto; ``TENSORCRAFT_CSRF_TRUSTED_ORIGINS``
  (comma-separated origins such as ``https://tensorcraft.example``).
- ``TENSORCRAFT_LOG_LEVEL``: the level of the console log (default INFO).

``TENSORCRAFT_SANDBOX`` (``bwrap``, ``docker`` or ``forkserver``) is read by the
grader itself in the worker.
"""

from __future__ import annotations

import os
from pathlib import Path

from kombu import Exchange, Queue

from config.environment import database_from_url, env_bool, env_list, filesystem_broker_options

PLATFORM_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = PLATFORM_DIR.parent
VAR_DIR = REPO_ROOT / "var"

# Django's deploy check (security.W009) flags keys with this prefix, so
# "manage.py check --deploy" reports a production run without its own key.
SECRET_KEY = os.environ.get("TENSORCRAFT_SECRET_KEY", "django-insecure-tensorcraft-development-key-only")
DEBUG = env_bool("TENSORCRAFT_DEBUG", default=False)
ALLOWED_HOSTS = env_list("TENSORCRAFT_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Only for the ACE editor files in its static folder; its form widget is not used.
    "django_ace",
    "accounts",
    "catalogue",
    "learning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PLATFORM_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_database_url = os.environ.get("TENSORCRAFT_DATABASE_URL") or "sqlite:///var/db.sqlite3"
DATABASES = {"default": database_from_url(_database_url, base_dir=REPO_ROOT)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Workers write verdicts while the web process reads: wait for locks
    # instead of failing at once with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    # A file rather than Django's default in-memory test database, so that a
    # grading worker started by the tests can open it too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "learning:exercise_list"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = REPO_ROOT / "staticfiles"
STATICFILES_DIRS = [PLATFORM_DIR / "static"]

# A notebook may be up to 8 MiB (the grader's limit); larger request bodies are
# rejected by Django before a view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = 9 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 9 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env_list("TENSORCRAFT_CSRF_TRUSTED_ORIGINS", [])
# Served over HTTPS: cookies only over HTTPS, plain HTTP redirected, HSTS for
# 30 days. X-Forwarded-Proto is trusted, so the proxy must set it on every request.
HTTPS = env_bool("TENSORCRAFT_HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = 30 * 24 * 3600 if HTTPS else 0

# Celery. Messages are JSON only: nothing a worker receives is unpickled.
# Verdicts go to the database, so there is no result backend.
CELERY_BROKER_URL = os.environ.get("TENSORCRAFT_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "broker")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only when it finishes, and a pool process that dies
# mid-task puts it back on the queue. A worker killed as a whole leaves the
# message unacknowledged until the broker's visibility timeout (3600 s by
# default on Redis), and a broker without persistence can lose it, so the
# sweep scheduled below re-enqueues such submissions from the database.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One task at a time per worker process, because a grading uses a whole sandbox.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django support closes the database connection around every task unless this is set;
# a new PostgreSQL connection costs about 5 ms here. learning.tasks checks the kept connection
# before each task instead (close_old_connections honours CONN_MAX_AGE and the health check).
CELERY_DB_REUSE_MAX = 1000
# The queues are named after the devices in exercise.toml; each submission
# goes to the queue of its exercise's device.
GRADING_QUEUES = ("cpu", "gpu")
CELERY_TASK_QUEUES = [Queue(name, Exchange(name, type="direct"), routing_key=name) for name in GRADING_QUEUES]
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_DEFAULT_EXCHANGE = "cpu"
CELERY_TASK_DEFAULT_ROUTING_KEY = "cpu"
# Celery beat runs the sweep that re-enqueues submissions whose message was
# lost: a row still queued after TENSORCRAFT_REQUEUE_QUEUED_AFTER_S seconds,
# or still running after TENSORCRAFT_REQUEUE_RUNNING_AFTER_S seconds (longer
# than any exercise's wall-time limit plus a sandbox start).
TENSORCRAFT_REQUEUE_QUEUED_AFTER_S = int(os.environ.get("TENSORCRAFT_REQUEUE_QUEUED_AFTER_S", "300"))
TENSORCRAFT_REQUEUE_RUNNING_AFTER_S = int(os.environ.get("TENSORCRAFT_REQUEUE_RUNNING_AFTER_S", "900"))
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-submissions": {
        "task": "learning.sweep.requeue_stuck_submissions",
        "schedule": 60.0,
        "options": {"queue": "cpu", "expires": 60.0},
    },
}

# Each worker pool process keeps this many sandboxes started and waiting for a
# job, so that a grading skips the sandbox start; 0 starts each on demand.
# Only exercises of TENSORCRAFT_SANDBOX_POOL_DEVICE use the pool.
TENSORCRAFT_SANDBOX = os.environ.get("TENSORCRAFT_SANDBOX") or None
TENSORCRAFT_SANDBOX_POOL_SIZE = int(os.environ.get("TENSORCRAFT_SANDBOX_POOL_SIZE", "1"))
TENSORCRAFT_SANDBOX_POOL_DEVICE = os.environ.get("TENSORCRAFT_SANDBOX_POOL_DEVICE", "cpu")
# The pool's backend; unset, it is the fork server where TENSORCRAFT_SANDBOX resolves
# to bwrap (see grader.sandbox.pool_backend_name), else TENSORCRAFT_SANDBOX's.
TENSORCRAFT_SANDBOX_POOL_BACKEND = os.environ.get("TENSORCRAFT_SANDBOX_POOL_BACKEND") or None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("TENSORCRAFT_LOG_LEVEL", "INFO")},
}
