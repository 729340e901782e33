"""A pool of pre-warmed, single-use sandboxes.

Each sandbox starts, imports torch inside, and waits for exactly one job.
After its job it is destroyed, and the pool starts a fresh one in the
background once it is destroyed. Nothing of one job can reach the next, because no sandbox runs two.
A used sandbox handed to ``discard()`` is destroyed by a background thread, so
that the verdict does not wait for its teardown. Runs on the trusted side, in
a worker process.
"""

from __future__ import annotations

import logging
import queue
import threading

from grader.errors import GraderError
from grader.limits import Limits
from grader.sandbox import get_backend
from grader.sandbox.base import Sandbox

logger = logging.getLogger(__name__)


class WarmPool:
    def __init__(self, *, size: int = 2, backend: str | None = None, limits: Limits | None = None, device: str = "cpu"):
        if size < 1:
            raise ValueError(f"pool size must be at least 1, got {size}")
        self.size = size
        self.backend = get_backend(backend)
        self.limits = limits or Limits()
        self.device = device
        self._ready: queue.Queue[Sandbox] = queue.Queue()
        self._vacancies = threading.Semaphore(size)
        self._closed = threading.Event()
        self._failures = 0
        self._used: queue.Queue[Sandbox | None] = queue.Queue()
        self._thread = threading.Thread(target=self._fill, name="sandbox-pool", daemon=True)
        self._thread.start()
        self._reaper = threading.Thread(target=self._reap, name="sandbox-reaper", daemon=True)
        self._reaper.start()

    def _fill(self) -> None:
        while not self._closed.is_set():
            if not self._vacancies.acquire(timeout=0.2):
                continue
            if self._closed.is_set():
                break
            try:
                sandbox = self.backend.start(self.limits, self.device)
                sandbox.wait_ready()
            except GraderError as error:
                self._failures += 1
                logger.error("could not warm a %s sandbox: %s", self.backend.name, error)
                self._vacancies.release()
                self._closed.wait(min(30.0, 0.5 * 2 ** min(self._failures, 6)))
                continue
            self._failures = 0
            if self._closed.is_set():
                sandbox.destroy()
                break
            self._ready.put(sandbox)

    def _reap(self) -> None:
        while True:
            sandbox = self._used.get()
            if sandbox is None:
                return
            try:
                sandbox.destroy()
            except Exception:  # a failed teardown must not stop the next ones
                logger.exception("could not destroy sandbox %s", sandbox.id)

    def discard(self, sandbox: Sandbox) -> None:
        """Destroy a used sandbox in the background; ``close()`` waits until every discarded one is gone."""
        self._used.put(sandbox)

    def acquire(self, timeout_s: float = 120.0) -> Sandbox:
        """Take a warm sandbox; the caller must use it and then destroy or discard it, which starts a replacement."""
        if self._closed.is_set():
            raise GraderError("the sandbox pool is closed")
        try:
            sandbox = self._ready.get(timeout=timeout_s)
        except queue.Empty as error:
            raise GraderError(f"no warm {self.backend.name} sandbox became ready within {timeout_s} s") from error
        # The replacement starts once this one is destroyed, so that its start-up
        # (a torch import) does not take CPU time from the grading in progress.
        sandbox.on_destroyed.append(self._vacancies.release)
        return sandbox

    def close(self) -> None:
        self._closed.set()
        self._used.put(None)
        self._reaper.join(timeout=150)
        self._thread.join(timeout=150)
        while True:
            try:
                self._ready.get_nowait().destroy()
            except queue.Empty:
                break

    def __enter__(self) -> "WarmPool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
