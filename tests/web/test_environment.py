"""Settings read from environment variables: database URLs and booleans."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.environment import ConfigurationError, database_from_url, env_bool

BASE = Path("/srv/tensorcraft")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "postgres://postgres@127.0.0.1:5432/tensorcraft",
            {"NAME": "tensorcraft", "USER": "postgres", "PASSWORD": "", "HOST": "127.0.0.1", "PORT": "5432"},
            id="user-host-port",
        ),
        pytest.param(
            "postgresql://web:p%40ss@db.internal/site",
            {"NAME": "site", "USER": "web", "PASSWORD": "p@ss", "HOST": "db.internal", "PORT": ""},
            id="password-no-port",
        ),
        pytest.param(
            "postgres:///local",
            {"NAME": "local", "USER": "", "PASSWORD": "", "HOST": "", "PORT": ""},
            id="unix-socket",
        ),
    ],
)
def test_postgres_url_is_parsed(url, expected):
    persistent = {"CONN_MAX_AGE": 300, "CONN_HEALTH_CHECKS": True}
    assert database_from_url(url, base_dir=BASE) == {"ENGINE": "django.db.backends.postgresql", **expected, **persistent}


@pytest.mark.parametrize(
    ("url", "name"),
    [
        pytest.param("sqlite:///var/db.sqlite3", "/srv/tensorcraft/var/db.sqlite3", id="relative"),
        pytest.param("sqlite:////tmp/site.sqlite3", "/tmp/site.sqlite3", id="absolute"),
    ],
)
def test_sqlite_url_is_parsed(url, name):
    assert database_from_url(url, base_dir=BASE) == {"ENGINE": "django.db.backends.sqlite3", "NAME": name}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param(
            "mysql://root@localhost/site",
            "unsupported database URL scheme 'mysql' in 'mysql://root@localhost/site'; "
            "use postgres://, postgresql:// or sqlite:///",
            id="unknown-scheme",
        ),
        pytest.param(
            "postgres://postgres@127.0.0.1:5432/",
            "invalid PostgreSQL URL 'postgres://postgres@127.0.0.1:5432/': the database name is missing",
            id="no-database-name",
        ),
        pytest.param(
            "postgres://postgres@127.0.0.1:port/site",
            "invalid PostgreSQL URL 'postgres://postgres@127.0.0.1:port/site': Port could not be cast to integer value as 'port'",
            id="bad-port",
        ),
        pytest.param("sqlite:///", "invalid SQLite URL 'sqlite:///': the database path is missing", id="no-path"),
        pytest.param(
            "sqlite://host/db.sqlite3",
            "invalid SQLite URL 'sqlite://host/db.sqlite3': use sqlite:///relative/path or sqlite:////absolute/path",
            id="host-given",
        ),
    ],
)
def test_invalid_database_url_is_rejected(url, message):
    with pytest.raises(ConfigurationError) as error:
        database_from_url(url, base_dir=BASE)

    assert str(error.value) == message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("false", False), ("no", False), ("", False)],
)
def test_env_bool_reads_yes_and_no(monkeypatch, raw, expected):
    monkeypatch.setenv("TENSORCRAFT_TEST_FLAG", raw)

    assert env_bool("TENSORCRAFT_TEST_FLAG", default=not expected) is expected


def test_env_bool_rejects_other_words(monkeypatch):
    monkeypatch.setenv("TENSORCRAFT_TEST_FLAG", "maybe")

    with pytest.raises(ConfigurationError) as error:
        env_bool("TENSORCRAFT_TEST_FLAG", default=False)

    assert str(error.value) == "TENSORCRAFT_TEST_FLAG='maybe' is not a boolean; use 1 or 0"


def test_env_bool_default_when_unset(monkeypatch):
    monkeypatch.delenv("TENSORCRAFT_TEST_FLAG", raising=False)

    assert env_bool("TENSORCRAFT_TEST_FLAG", default=True) is True


def test_celery_settings_accept_json_only(settings):
    assert settings.CELERY_TASK_SERIALIZER == "json"
    assert settings.CELERY_RESULT_SERIALIZER == "json"
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert [queue.name for queue in settings.CELERY_TASK_QUEUES] == ["cpu", "gpu"]
