"""Read the site's settings from environment variables.

Only the standard library is used here, so settings.py can import this module
before Django is configured.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

POSTGRES_SCHEMES = ("postgres", "postgresql")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


class ConfigurationError(ValueError):
    """An environment variable contains a value the site cannot use."""


def database_from_url(url: str, *, base_dir: Path) -> dict:
    """Build a Django ``DATABASES`` entry from a URL.

    Accepted forms: ``postgres://user:password@host:port/name`` (``postgresql://``
    too; user, password and port are optional) and ``sqlite:///path``. A relative
    SQLite path is resolved against ``base_dir``; ``sqlite:////abs/path`` is absolute.
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        if parts.netloc:
            raise ConfigurationError(f"invalid SQLite URL {url!r}: use sqlite:///relative/path or sqlite:////absolute/path")
        path = unquote(parts.path[1:])
        if not path:
            raise ConfigurationError(f"invalid SQLite URL {url!r}: the database path is missing")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(base_dir / path)}

    if parts.scheme in POSTGRES_SCHEMES:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigurationError(f"invalid PostgreSQL URL {url!r}: the database name is missing")
        try:
            port = parts.port
        except ValueError as error:
            raise ConfigurationError(f"invalid PostgreSQL URL {url!r}: {error}") from error
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port) if port else "",
            # Keep connections open between requests and tasks: a new PostgreSQL connection
            # starts a server process, which costs milliseconds on every grading.
            "CONN_MAX_AGE": 300,
            "CONN_HEALTH_CHECKS": True,
        }

    raise ConfigurationError(
        f"unsupported database URL scheme {parts.scheme!r} in {url!r}; use postgres://, postgresql:// or sqlite:///"
    )


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable; accepted values are 1/0, true/false, yes/no, on/off."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean; use 1 or 0")


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated variable, dropping blanks."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def filesystem_broker_options(folder: Path) -> dict:
    """Transport options of kombu's ``filesystem://`` broker, with its folders created.

    The web process and the workers exchange messages as files in one folder,
    so both must run on the same machine and see the same ``folder``.
    """
    messages = folder / "messages"
    processed = folder / "processed"
    # Without control_folder, kombu writes the broadcast exchanges to ./control in the working directory.
    control = folder / "control"
    for path in (messages, processed, control):
        path.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(messages),
        "data_folder_out": str(messages),
        "processed_folder": str(processed),
        "store_processed": False,
        "control_folder": str(control),
    }
