"""The interface every sandbox backend implements, and the supervision they share.

A ``Sandbox`` is single use: it starts, imports torch inside, reports ready,
runs exactly one job when ``run()`` is called, and is destroyed. Runs on the
trusted side.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
import os
import select
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable

from grader.errors import GraderError
from grader.harness import protocol
from grader.limits import Limits

logger = logging.getLogger(__name__)

HARNESS_DIR = Path(__file__).resolve().parent.parent / "harness"
READY_TIMEOUT_S = 120
# Learner output kept for display; the rest is read and dropped.
MAX_STDOUT_BYTES = 64 * 1024


def sandbox_root() -> Path:
    root = Path(os.environ.get("TENSORCRAFT_SANDBOX_DIR") or Path(tempfile.gettempdir()) / "tensorcraft-sandboxes")
    root.mkdir(parents=True, exist_ok=True, mode=0o711)
    return root


@dataclasses.dataclass
class RunResult:
    """What the trusted side learns from one run, besides the files in the output folder."""

    exit_code: int | None
    exceeded: str | None  # the name of a limit from grader.limits, or None
    stdout: bytes
    stdout_truncated: bool
    wall_ms: float
    cpu_ms: float | None
    out_dir: Path
    backend: str
    image: str = ""


class Sandbox(abc.ABC):
    """One started sandbox waiting for its single job."""

    backend_name = ""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.id = uuid.uuid4().hex[:16]
        self.host_dir = sandbox_root() / self.id
        self.in_dir = self.host_dir / protocol.IN_DIR
        self.out_dir = self.host_dir / protocol.OUT_DIR
        self.process: subprocess.Popen | None = None
        self.started_at = time.monotonic()
        self.ready = False
        self.used = False

    # Backends implement these.
    @abc.abstractmethod
    def _launch(self) -> subprocess.Popen: ...

    @abc.abstractmethod
    def _cpu_ms(self) -> float | None: ...

    @abc.abstractmethod
    def _limit_hit(self) -> str | None:
        """Name the limit that the backend saw exceeded (memory, processes), if any."""

    @abc.abstractmethod
    def _kill(self) -> None: ...

    @abc.abstractmethod
    def _release(self) -> None:
        """Free what the backend holds: cgroups, containers, mounts."""

    def _apply_backend_limits(self, limits: Limits) -> None:
        """Change the kernel-enforced limits of a started sandbox; backends override this."""

    @property
    def image(self) -> str:
        return ""

    def apply_limits(self, limits: Limits) -> None:
        """Switch a warm sandbox to an exercise's limits before its job runs.

        The scratch tmpfs size is fixed at start, so a sandbox whose ``tmpfs_mib``
        differs cannot be reused; ``GraderError`` says so and the caller starts a new one.
        """
        if limits.tmpfs_mib != self.limits.tmpfs_mib:
            raise GraderError(f"sandbox {self.id} has {self.limits.tmpfs_mib} MiB of /tmp, not {limits.tmpfs_mib}")
        if getattr(self, "_out_mounted", False) and limits.output_bytes != self.limits.output_bytes:
            subprocess.run(
                ["mount", "-o", f"remount,size={limits.output_bytes}", str(self.out_dir)], check=True, capture_output=True
            )
        self._apply_backend_limits(limits)
        self.limits = limits

    def start(self) -> "Sandbox":
        self.host_dir.mkdir(mode=0o711)
        self.in_dir.mkdir(mode=0o755)
        self.out_dir.mkdir(mode=0o777)
        self._prepare_out_dir()
        try:
            self.process = self._launch()
        except BaseException:
            self.destroy()
            raise
        return self

    def _prepare_out_dir(self) -> None:
        """Mount a size-capped tmpfs on the output folder, so a full disk stays inside the sandbox."""
        size = self.limits.output_bytes
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777,nosuid,nodev,noexec", "tmpfs", str(self.out_dir)],
            capture_output=True,
        )
        self._out_mounted = result.returncode == 0
        if not self._out_mounted:
            # NOTE: without mount rights the output folder is a plain folder,
            # so only the trusted side's size checks bound what is read back.
            logger.warning(
                "could not mount a tmpfs on %s (%s); the output folder is not size-capped",
                self.out_dir,
                result.stderr.decode(errors="replace").strip(),
            )

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Block until the harness has imported torch and waits for its job."""
        if self.ready:
            return
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + timeout_s
        buffer = b""
        fd = self.process.stdout.fileno()
        while protocol.READY_LINE not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.destroy()
                raise GraderError(f"{self.backend_name} sandbox {self.id} was not ready within {timeout_s} s")
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                code = self.process.wait()
                self.destroy()
                raise GraderError(
                    f"{self.backend_name} sandbox {self.id} exited with status {code} before it was ready: "
                    f"{buffer[-500:].decode(errors='replace')}"
                )
            buffer += chunk
        self.ready = True
        self.ready_ms = (time.monotonic() - self.started_at) * 1000

    def run(self, on_progress: Callable[[str], None] | None = None) -> RunResult:
        """Hand the job in ``in_dir`` to the harness and supervise it until it exits or a limit is hit."""
        if self.used:
            raise GraderError(f"sandbox {self.id} was already used; sandboxes are single use")
        self.used = True
        if not self.ready:
            self.wait_ready()
        assert self.process is not None and self.process.stdin is not None and self.process.stdout is not None

        cpu_before = self._cpu_ms() or 0.0
        started = time.monotonic()
        deadline = started + self.limits.wall_time_s
        try:
            self.process.stdin.write(protocol.GO_LINE)
            self.process.stdin.close()
        except BrokenPipeError:
            pass

        stdout = bytearray()
        truncated = False
        exceeded: str | None = None
        fd = self.process.stdout.fileno()
        stream_open = True
        progress_seen = 0
        last_progress_check = 0.0
        while True:
            if on_progress is not None and time.monotonic() - last_progress_check > 0.5:
                last_progress_check = time.monotonic()
                progress_seen = self._report_progress(on_progress, progress_seen)
            if self.process.poll() is not None and not stream_open:
                break
            now = time.monotonic()
            if now >= deadline:
                exceeded = "wall_time_s"
                break
            cpu_now = self._cpu_ms()
            if cpu_now is not None and cpu_now - cpu_before > self.limits.cpu_time_s * 1000:
                exceeded = "cpu_time_s"
                break
            if stream_open:
                readable, _, _ = select.select([fd], [], [], min(0.05, deadline - now))
                if readable:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        stream_open = False
                    else:
                        room = MAX_STDOUT_BYTES - len(stdout)
                        truncated = truncated or len(chunk) > room
                        stdout += chunk[: max(room, 0)]
            else:
                try:
                    self.process.wait(timeout=min(0.05, deadline - now))
                except subprocess.TimeoutExpired:
                    pass

        wall_ms = (time.monotonic() - started) * 1000
        cpu_after = self._cpu_ms()
        if exceeded is not None:
            self._kill()
        exit_code = self._wait_exit()
        exceeded = exceeded or self._limit_hit() or self._output_full()
        return RunResult(
            exit_code=exit_code,
            exceeded=exceeded,
            stdout=bytes(stdout),
            stdout_truncated=truncated,
            wall_ms=wall_ms,
            cpu_ms=None if cpu_after is None else cpu_after - cpu_before,
            out_dir=self.out_dir,
            backend=self.backend_name,
            image=self.image,
        )

    def _report_progress(self, on_progress: Callable[[str], None], seen: int) -> int:
        from grader.outputs import read_progress

        lines = [line[9:] for line in read_progress(self.out_dir) if line.startswith("progress ")]
        for line in lines[seen:]:
            on_progress(line)
        return len(lines)

    def _wait_exit(self) -> int | None:
        assert self.process is not None
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._kill()
            try:
                return self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                logger.error("sandbox %s did not exit after being killed", self.id)
                return None

    def _output_full(self) -> str | None:
        if not getattr(self, "_out_mounted", False):
            return None
        usage = shutil.disk_usage(self.out_dir)
        # A tmpfs that is within 64 KiB of full means a write most likely failed for lack of room.
        return "output_bytes" if usage.free < 64 * 1024 else None

    def destroy(self) -> None:
        """Kill everything inside, release the backend's resources and delete the sandbox's folders."""
        if self.process is not None and self.process.poll() is None:
            self._kill()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                logger.error("sandbox %s still running at destroy", self.id)
        for stream in (self.process.stdin, self.process.stdout) if self.process else ():
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        try:
            self._release()
        finally:
            if getattr(self, "_out_mounted", False):
                subprocess.run(["umount", "-l", str(self.out_dir)], capture_output=True)
                self._out_mounted = False
            shutil.rmtree(self.host_dir, ignore_errors=True)


class Backend(abc.ABC):
    name = ""

    @abc.abstractmethod
    def unavailable_reason(self) -> str | None:
        """Return why this backend cannot run here, or None when it can."""

    @abc.abstractmethod
    def create(self, limits: Limits, device: str = "cpu") -> Sandbox:
        """Create a sandbox object; call ``start()`` on it to launch it."""

    def start(self, limits: Limits, device: str = "cpu") -> Sandbox:
        return self.create(limits, device).start()
