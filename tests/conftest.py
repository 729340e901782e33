"""Fixtures shared by the whole suite: a real Celery grading worker on the test database.

The worker is a separate process, so it reads only committed rows. Tests that
use it need ``transactional_db`` (or ``django_db(transaction=True)``).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKER_READY_TIMEOUT_S = 90
WORKER_STOP_TIMEOUT_S = 40


@dataclasses.dataclass
class GradingWorker:
    process: subprocess.Popen
    hostname: str
    log_path: Path

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def pool_pids(self) -> list[int]:
        """List the worker's pool processes: the children of its main process."""
        pids = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            except OSError:
                continue  # the process exited while being read
            if fields.get("PPid", "").strip() == str(self.process.pid):
                pids.append(int(status.parent.name))
        return pids

    def assert_alive(self) -> None:
        code = self.process.poll()
        assert code is None, f"the grading worker exited with status {code}:\n{self.log_tail()}"


def database_url(settings_dict: dict) -> str:
    """Turn Django's connection settings back into a TENSORCRAFT_DATABASE_URL for the worker."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = ""
    if password:
        credentials = f"{user}:{password}@"
    elif user:
        credentials = f"{user}@"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{settings_dict.get('HOST') or ''}{port}/{quote(settings_dict['NAME'], safe='')}"


@pytest.fixture(scope="session")
def grading_worker(django_db_setup, django_db_blocker, tmp_path_factory) -> GradingWorker:
    """Start ``celery -A config worker -Q cpu,gpu`` on the test database and stop it after the session."""
    from django.conf import settings
    from django.db import connection

    from config.celery import app

    url = database_url(connection.settings_dict)
    hostname = f"tests-{uuid.uuid4().hex[:8]}@%h"
    log_path = tmp_path_factory.mktemp("grading-worker") / "worker.log"
    env = {
        **os.environ,
        "TENSORCRAFT_DATABASE_URL": url,
        "TENSORCRAFT_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "platform"), str(REPO_ROOT)]),
    }
    # Messages left by an earlier, interrupted run would name rows that do not exist.
    app.control.purge()

    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "cpu,gpu", "-c", "2", "--pool", "prefork",
             "-n", hostname, "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    worker = GradingWorker(process=process, hostname=hostname.replace("%h", os.uname().nodename), log_path=log_path)
    try:
        _wait_until_ready(app, worker)
        yield worker
    finally:
        _stop(worker)


def _wait_until_ready(app, worker: GradingWorker) -> None:
    # kombu's filesystem transport has no broadcast, so Celery's ping cannot
    # reach the worker there, and the worker's "ready." log line is used instead.
    can_ping = not app.conf.broker_url.startswith("filesystem://")
    deadline = time.monotonic() + WORKER_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        worker.assert_alive()
        if can_ping and app.control.ping(destination=[worker.hostname], timeout=0.5):
            return
        if not can_ping and f"{worker.hostname} ready." in worker.log_tail():
            return
        time.sleep(0 if can_ping else 0.2)
    raise AssertionError(f"the grading worker did not answer a ping within {WORKER_READY_TIMEOUT_S} s:\n{worker.log_tail()}")


def _stop(worker: GradingWorker) -> None:
    # SIGTERM is Celery's warm shutdown: running tasks finish first.
    if worker.process.poll() is None:
        worker.process.send_signal(signal.SIGTERM)
        try:
            worker.process.wait(timeout=WORKER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait()
