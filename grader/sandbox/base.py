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
# How often the supervisor reads the backend's CPU time, memory and process counters during a run.
LIMIT_POLL_INTERVAL_S = 0.2
# How long the supervisor keeps reading output after the sandbox's main process has exited.
DRAIN_AFTER_EXIT_S = 2.0
HIDDEN_FILES = (protocol.HIDDEN_JOB_FILE, protocol.HIDDEN_INPUTS_FILE)


def sandbox_root() -> Path:
    root = Path(os.environ.get("TENSORCRAFT_SANDBOX_DIR") or Path(tempfile.gettempdir()) / "tensorcraft-sandboxes")
    root.mkdir(parents=True, exist_ok=True, mode=0o711)
    return root


@dataclasses.dataclass
class PhaseFiles:
    """Copies of the manifest and tensor file as the harness left them after the visible cases.

    Both are untrusted bytes, None where the file did not exist. ``problem`` is the
    reason they could not be read safely (a link, a FIFO, a file over its size cap).
    """

    manifest: bytes | None
    outputs: bytes | None
    problem: str | None = None


@dataclasses.dataclass
class RunResult:
    """The result of one run as the trusted side sees it, apart from the files in the output folder."""

    exit_code: int | None
    exceeded: str | None  # the name of a limit from grader.limits, or None
    stdout: bytes  # output of the visible phase only
    stdout_truncated: bool
    wall_ms: float
    cpu_ms: float | None
    out_dir: Path
    backend: str
    image: str = ""
    # None when the harness never reported the end of the visible cases.
    visible: PhaseFiles | None = None
    # True once the hidden cases' inputs were handed to the sandbox.
    hidden_started: bool = False
    # True when the harness printed its end-of-job line. ``exit_code`` is then None:
    # the trusted side does not wait for the process to be torn down.
    completed: bool = False


class StdoutRecorder:
    """Keep the sandbox's output up to the end-of-visible-cases marker, and drop everything after it.

    The marker may arrive split across reads, and learner code may print it
    first: then recording simply stops earlier, which hides nothing secret,
    because the hidden inputs are handed in only after recording stopped.
    """

    def __init__(self, max_bytes: int = MAX_STDOUT_BYTES):
        self.max_bytes = max_bytes
        self.kept = bytearray()
        self.truncated = False
        self.stopped = False
        self._pending = b""

    def feed(self, chunk: bytes) -> bool:
        """Record ``chunk``; return True when it completes the marker, which stops the recording."""
        if self.stopped:
            return False
        data = self._pending + chunk
        index = data.find(protocol.VISIBLE_DONE_LINE)
        if index >= 0:
            before = data[:index]
            # The harness writes a newline before the marker; it is not the learner's.
            self._keep(before[:-1] if before.endswith(b"\n") else before)
            self._pending = b""
            self.stopped = True
            return True
        # Hold back a tail that could be the start of a marker split across reads.
        split = max(0, len(data) - (len(protocol.VISIBLE_DONE_LINE) - 1))
        self._keep(data[:split])
        self._pending = data[split:]
        return False

    def finish(self) -> None:
        if not self.stopped:
            self._keep(self._pending)
            self._pending = b""

    def _keep(self, data: bytes) -> None:
        room = self.max_bytes - len(self.kept)
        if len(data) > room:
            self.truncated = True
        self.kept += data[: max(room, 0)]


class MarkerScanner:
    """Find one marker line in a stream that arrives in chunks, the marker possibly split across them."""

    def __init__(self, marker: bytes):
        self.marker = marker
        self.found = False
        self._tail = b""

    def feed(self, chunk: bytes) -> bool:
        """Scan ``chunk``; return True once the marker has been seen."""
        if not self.found:
            data = self._tail + chunk
            self.found = self.marker in data
            self._tail = data[-(len(self.marker) - 1) :]
        return self.found


class Sandbox(abc.ABC):
    """One started sandbox waiting for its single job."""

    backend_name = ""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.id = uuid.uuid4().hex[:16]
        self.host_dir = sandbox_root() / self.id
        self.in_dir = self.host_dir / protocol.IN_DIR
        self.out_dir = self.host_dir / protocol.OUT_DIR
        # The hidden cases' files wait here, outside every folder the sandbox can see.
        self.held_dir = self.host_dir / "held"
        self.process: subprocess.Popen | None = None
        self.started_at = time.monotonic()
        self.ready = False
        self.used = False
        # Called once when the sandbox is destroyed; a warm pool uses this to start the replacement.
        self.on_destroyed: list[Callable[[], None]] = []

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
        differs cannot be reused; it raises ``GraderError`` and the caller starts a new one.
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
        self.held_dir.mkdir(mode=0o700)
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
        """Hand the job in ``in_dir`` to the harness and supervise it until it exits or a limit is hit.

        The job's hidden files wait in ``held_dir`` until the harness reports the
        end of the visible cases; only then are they moved into ``in_dir``.
        ``on_progress`` receives progress lines of the visible cases only.
        """
        if self.used:
            raise GraderError(f"sandbox {self.id} was already used; sandboxes are single use")
        self.used = True
        if not self.ready:
            self.wait_ready()
        assert self.process is not None and self.process.stdout is not None

        cpu_before = self._cpu_ms() or 0.0
        started = time.monotonic()
        deadline = started + self.limits.wall_time_s
        self._send_control(protocol.GO_LINE, last=False)

        recorder = StdoutRecorder()
        hidden_done = MarkerScanner(protocol.HIDDEN_DONE_LINE)
        visible: PhaseFiles | None = None
        exceeded: str | None = None
        fd = self.process.stdout.fileno()
        stream_open = True
        exited_at: float | None = None
        progress_seen = 0
        last_progress_check = 0.0
        last_limit_check = 0.0
        while True:
            now = time.monotonic()
            if on_progress is not None and not recorder.stopped and now - last_progress_check > 0.5:
                last_progress_check = now
                progress_seen = self._report_progress(on_progress, progress_seen)
            if exited_at is None and self.process.poll() is not None:
                exited_at = now
            if exited_at is not None and (not stream_open or now - exited_at > DRAIN_AFTER_EXIT_S):
                break
            if now >= deadline:
                exceeded = "wall_time_s"
                break
            if now - last_limit_check > LIMIT_POLL_INTERVAL_S:
                last_limit_check = now
                cpu_now = self._cpu_ms()
                if cpu_now is not None and cpu_now - cpu_before > self.limits.cpu_time_s * 1000:
                    exceeded = "cpu_time_s"
                    break
                exceeded = self._limit_hit()
                if exceeded is not None:
                    break
            if stream_open:
                readable, _, _ = select.select([fd], [], [], min(0.05, deadline - now))
                if readable:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        stream_open = False
                    elif recorder.stopped:
                        if hidden_done.feed(chunk):
                            break
                    elif recorder.feed(chunk):
                        visible = self._keep_visible_files()
                        self._hand_in_hidden_files()
            else:
                try:
                    self.process.wait(timeout=min(0.05, max(deadline - now, 0.001)))
                except subprocess.TimeoutExpired:
                    pass
        recorder.finish()

        wall_ms = (time.monotonic() - started) * 1000
        cpu_after = self._cpu_ms()
        if exceeded is not None:
            self._kill()
        # After the end-of-job line the harness only exits; tearing down a process
        # with torch loaded takes tens of milliseconds, which destroy() waits for instead.
        exit_code = None if hidden_done.found else self._wait_exit()
        exceeded = exceeded or self._limit_hit() or self._output_full()
        return RunResult(
            exit_code=exit_code,
            exceeded=exceeded,
            stdout=bytes(recorder.kept),
            stdout_truncated=recorder.truncated,
            wall_ms=wall_ms,
            cpu_ms=None if cpu_after is None else cpu_after - cpu_before,
            out_dir=self.out_dir,
            backend=self.backend_name,
            image=self.image,
            visible=visible,
            hidden_started=visible is not None,
            completed=hidden_done.found,
        )

    def _send_control(self, line: bytes, *, last: bool) -> None:
        assert self.process is not None and self.process.stdin is not None
        try:
            os.write(self.process.stdin.fileno(), line)
            if last:
                self.process.stdin.close()
        except (BrokenPipeError, ValueError):
            # The harness is gone or closed its end, and the supervision loop will detect its exit.
            pass

    def _keep_visible_files(self) -> PhaseFiles:
        """Copy the visible phase's manifest and tensors, then delete them from the output folder.

        Deleting them means a run that dies during the hidden cases leaves no
        manifest behind, so it reads as a crash rather than as missing results.
        """
        from grader.outputs import MAX_MANIFEST_BYTES, InvalidOutput, read_regular_file

        try:
            files = PhaseFiles(
                manifest=read_regular_file(self.out_dir, protocol.MANIFEST_FILE, MAX_MANIFEST_BYTES),
                outputs=read_regular_file(self.out_dir, protocol.OUTPUTS_FILE, self.limits.output_bytes),
            )
        except InvalidOutput as error:
            return PhaseFiles(manifest=None, outputs=None, problem=str(error))
        for name in (protocol.MANIFEST_FILE, protocol.OUTPUTS_FILE):
            try:
                os.unlink(self.out_dir / name)
            except OSError:
                pass
        return files

    def _hand_in_hidden_files(self) -> None:
        for name in HIDDEN_FILES:
            held = self.held_dir / name
            if held.exists():
                os.replace(held, self.in_dir / name)
        self._send_control(protocol.HIDDEN_GO_LINE, last=True)

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
        # The harness leaves this file when its results do not fit. Learner code can create it too,
        # which only turns its own verdict into an output-limit error.
        if os.path.lexists(self.out_dir / protocol.OUTPUT_FULL_FILE):
            return "output_bytes"
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
            callbacks, self.on_destroyed = self.on_destroyed, []
            for callback in callbacks:
                callback()


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
