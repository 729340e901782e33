"""The fork-server backend: sandboxes forked from a zygote that has imported torch once.

A bubblewrap sandbox starts a new Python process, which pays the torch import
(over a second of CPU) for every grading. Here one zygote process per worker
process (``grader.sandbox.zygote``) imports torch once. Each sandbox is a fork
of it. The fork joins its own cgroups, enters new namespaces, builds the same
read-only root as the bwrap backend (the folders of ``grader.sandbox.runtime``)
and drops to the unprivileged user before it reports ready. Starting a sandbox
then costs a fork and a few mounts, so a warm pool refills in milliseconds and
throughput is bound by the checks, not by start-ups. Runs on the trusted side,
as root.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from grader.errors import SandboxUnavailable
from grader.harness import protocol
from grader.limits import Limits
from grader.sandbox import zygote
from grader.sandbox.base import HARNESS_DIR, Backend, Sandbox
from grader.sandbox.bwrap import BwrapSandbox
from grader.sandbox.cgroups import ControlGroup
from grader.sandbox.runtime import (
    ETC_FILES,
    HARNESS_MOUNT,
    SANDBOX_GID,
    SANDBOX_UID,
    SYSTEM_DIRS,
    WORK_DIR,
    runtime_dirs,
    sandbox_environment,
)
from grader.sandbox.seccomp import keyring_filter

logger = logging.getLogger(__name__)

ZYGOTE_READY_TIMEOUT_S = 120
SPAWN_TIMEOUT_S = 30


class Zygote:
    """The host's end of one zygote process: it sends spawn requests and collects the children's exit statuses."""

    def __init__(self) -> None:
        self.owner_pid = os.getpid()
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._replies: dict[str, dict] = {}
        self._statuses: dict[int, int] = {}
        self._alive = True
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._socket = ours
        self.process = subprocess.Popen(
            [sys.executable, "-E", "-s", "-B", zygote.__file__, str(theirs.fileno()), str(HARNESS_DIR)],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env=sandbox_environment(),
            start_new_session=True,
        )
        theirs.close()
        ours.settimeout(ZYGOTE_READY_TIMEOUT_S)
        try:
            ready = ours.recv(zygote.MAX_MESSAGE_BYTES)
        except OSError as error:
            self.close()
            raise SandboxUnavailable(f"the sandbox zygote did not start: {error}") from error
        if not ready or not json.loads(ready).get("ready"):
            self.close()
            raise SandboxUnavailable(f"the sandbox zygote exited with status {self.process.wait()} while starting")
        ours.settimeout(None)
        self._reader = threading.Thread(target=self._read, name="sandbox-zygote", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = self._socket.recv(zygote.MAX_MESSAGE_BYTES)
            except OSError:
                data = b""
            with self._changed:
                if not data:
                    self._alive = False
                    self._changed.notify_all()
                    return
                message = json.loads(data)
                if "exited" in message:
                    self._statuses[message["exited"]] = message["status"]
                else:
                    self._replies[message["id"]] = message
                self._changed.notify_all()

    @property
    def alive(self) -> bool:
        return self._alive and self.process.poll() is None

    def spawn(self, plan: dict, stdin_fd: int, stdout_fd: int) -> int:
        """Ask the zygote for one sandbox and return the host PID of its monitor process."""
        request_id = uuid.uuid4().hex
        with self._lock:
            try:
                socket.send_fds(self._socket, [json.dumps({**plan, "id": request_id}).encode()], [stdin_fd, stdout_fd])
            except OSError as error:
                raise SandboxUnavailable(f"the sandbox zygote is gone: {error}") from error
        deadline = time.monotonic() + SPAWN_TIMEOUT_S
        with self._changed:
            while request_id not in self._replies:
                remaining = deadline - time.monotonic()
                if not self._alive or remaining <= 0:
                    raise SandboxUnavailable(f"the sandbox zygote did not reply to a spawn request within {SPAWN_TIMEOUT_S} s")
                self._changed.wait(remaining)
            reply = self._replies.pop(request_id)
        if "error" in reply:
            raise SandboxUnavailable(f"the sandbox zygote rejected a spawn request: {reply['error']}")
        return int(reply["pid"])

    def status(self, pid: int) -> int | None:
        with self._changed:
            if pid in self._statuses:
                return self._statuses[pid]
            # The zygote's children die with it (their parent-death signal), so their status is reported as SIGKILL.
            return None if self._alive else -9

    def wait(self, pid: int, timeout_s: float | None) -> int | None:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._changed:
            while True:
                status = self.status(pid)
                if status is not None:
                    return status
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._changed.wait(remaining)

    def forget(self, pid: int) -> None:
        with self._changed:
            self._statuses.pop(pid, None)

    def close(self) -> None:
        self._socket.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def shared_zygote() -> Zygote:
    """Return this process's zygote, starting it on first use and again after it died or the process forked."""
    global _zygote
    with _zygote_lock:
        if _zygote is None or _zygote.owner_pid != os.getpid() or not _zygote.alive:
            _zygote = Zygote()
        return _zygote


class ForkedProcess:
    """The parts of ``subprocess.Popen`` that ``Sandbox`` uses, for a sandbox forked by the zygote."""

    def __init__(self, zygote_process: Zygote, pid: int, stdin_fd: int, stdout_fd: int):
        self.zygote = zygote_process
        self.pid = pid
        self.stdin = os.fdopen(stdin_fd, "wb", buffering=0)
        self.stdout = os.fdopen(stdout_fd, "rb", buffering=0)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.status(self.pid)
            if self.returncode is not None:
                self.zygote.forget(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            status = self.zygote.wait(self.pid, timeout)
            if status is None:
                raise subprocess.TimeoutExpired(f"sandbox process {self.pid}", timeout)
            self.returncode = status
            self.zygote.forget(self.pid)
        return self.returncode


def mount_plan(sandbox: Sandbox, root: Path) -> dict:
    """Describe the sandbox's file system for the zygote: the same folders as the bwrap backend's."""
    symlinks, read_only = [], []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            symlinks.append([os.readlink(path), path])
        elif os.path.isdir(path):
            read_only.append([path, path])
    read_only += [[path, path] for path in ETC_FILES]
    read_only += [[path, path] for path in runtime_dirs()]
    read_only += [
        [str(HARNESS_DIR), HARNESS_MOUNT],
        [str(sandbox.in_dir), f"{protocol.JOB_DIR}/{protocol.IN_DIR}"],
    ]
    return {
        "root": str(root),
        "symlinks": symlinks,
        "read_only": read_only,
        "writable": [[str(sandbox.out_dir), f"{protocol.JOB_DIR}/{protocol.OUT_DIR}"]],
        "scratch": [[WORK_DIR, sandbox.limits.tmpfs_mib * 1024 * 1024]],
        "uid": SANDBOX_UID,
        "gid": SANDBOX_GID,
        "hostname": "sandbox",
        "workdir": WORK_DIR,
        "environment": sandbox_environment(),
        "seccomp": keyring_filter().hex(),
    }


class ForkServerSandbox(BwrapSandbox):
    """A sandbox forked by the zygote; the cgroup handling, limits and clean-up are the bwrap backend's."""

    backend_name = "forkserver"

    def __init__(self, limits: Limits, zygote_process: Zygote):
        super().__init__(limits, bwrap_path="")
        self.zygote = zygote_process

    def _launch(self) -> ForkedProcess:
        self.cgroup = ControlGroup(
            self.id,
            memory_bytes=self.limits.memory_mib * 1024 * 1024,
            max_processes=self.limits.max_processes,
        )
        root = self.host_dir / "root"
        root.mkdir(mode=0o700)
        plan = mount_plan(self, root)
        plan["cgroup_procs"] = self.cgroup.procs_files()
        stdin_read, stdin_write = os.pipe2(os.O_CLOEXEC)
        stdout_read, stdout_write = os.pipe2(os.O_CLOEXEC)
        try:
            pid = self.zygote.spawn(plan, stdin_read, stdout_write)
        except BaseException:
            for fd in (stdin_write, stdout_read):
                os.close(fd)
            raise
        finally:
            os.close(stdin_read)
            os.close(stdout_write)
        return ForkedProcess(self.zygote, pid, stdin_write, stdout_read)

    def _kill(self) -> None:
        # The cgroup alone: the monitor's PID may already belong to another process once the zygote
        # has reaped it, so it is never signalled by number.
        if self.cgroup is not None:
            self.cgroup.kill_all()


class ForkServerBackend(Backend):
    name = "forkserver"

    def unavailable_reason(self) -> str | None:
        if platform.system() != "Linux" or platform.machine() not in zygote.PIVOT_ROOT_SYSCALL:
            return f"the fork server needs Linux on {' or '.join(zygote.PIVOT_ROOT_SYSCALL)}"
        if not Path("/sys/fs/cgroup").is_dir():
            return "no cgroup file system at /sys/fs/cgroup"
        if os.geteuid() != 0:
            return "the fork server needs root to create namespaces, mounts and cgroups"
        return None

    def create(self, limits: Limits, device: str = "cpu") -> Sandbox:
        # NOTE: like the bwrap backend, the fork server runs every exercise on the CPU.
        return ForkServerSandbox(limits, shared_zygote())
