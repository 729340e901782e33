"""The bubblewrap backend: a new namespace for everything, a read-only root, cgroup limits.

The sandbox sees the system libraries, the Python runtime with its installed
packages, the harness, and the job's own folders; nothing of this repository
(reference models, exercises, other submissions), no network and no secrets
from the environment. Runs on the trusted side.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from grader.harness import protocol
from grader.limits import Limits
from grader.sandbox.base import HARNESS_DIR, Backend, Sandbox
from grader.sandbox.cgroups import ControlGroup, join_command

logger = logging.getLogger(__name__)

SANDBOX_UID = 65534  # nobody
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime")


def _runtime_dirs() -> list[str]:
    """The folders the Python runtime and its packages live in."""
    dirs = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    return sorted(d for d in dirs if not any(d.startswith(s + "/") for s in SYSTEM_DIRS))


def _system_args() -> list[str]:
    args: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC_FILES:
        args += ["--ro-bind-try", path, path]
    return args


class BwrapSandbox(Sandbox):
    backend_name = "bwrap"

    def __init__(self, limits: Limits, bwrap_path: str):
        super().__init__(limits)
        self.bwrap_path = bwrap_path
        self.cgroup: ControlGroup | None = None

    def command(self) -> list[str]:
        python = sys.executable
        args = [
            self.bwrap_path,
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--cap-drop", "ALL",
            "--uid", str(SANDBOX_UID),
            "--gid", str(SANDBOX_UID),
            "--hostname", "sandbox",
            *_system_args(),
        ]
        for path in _runtime_dirs():
            args += ["--ro-bind", path, path]
        args += [
            "--ro-bind", str(HARNESS_DIR), "/harness",
            "--ro-bind", str(self.in_dir), f"{protocol.JOB_DIR}/{protocol.IN_DIR}",
            "--bind", str(self.out_dir), f"{protocol.JOB_DIR}/{protocol.OUT_DIR}",
            "--proc", "/proc",
            "--dev", "/dev",
            "--size", str(self.limits.tmpfs_mib * 1024 * 1024),
            "--tmpfs", "/tmp",
            "--remount-ro", "/",
            "--clearenv",
            "--setenv", "PATH", "/usr/bin:/bin",
            "--setenv", "HOME", "/tmp",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
            "--setenv", "PYTHONHASHSEED", "0",
            "--setenv", "OMP_NUM_THREADS", "1",
            "--setenv", "MKL_NUM_THREADS", "1",
            "--setenv", "OPENBLAS_NUM_THREADS", "1",
            "--setenv", "TENSORCRAFT_THREADS", "1",
            "--chdir", "/tmp",
            python, "-E", "-s", "-B", "/harness/harness.py",
        ]
        return args

    def _launch(self) -> subprocess.Popen:
        self.cgroup = ControlGroup(
            self.id,
            memory_bytes=self.limits.memory_mib * 1024 * 1024,
            max_processes=self.limits.max_processes,
        )
        env = {"PATH": "/usr/bin:/bin", "TC_CGROUP_PROCS": " ".join(self.cgroup.procs_files())}
        return subprocess.Popen(
            join_command(self.cgroup.procs_files()) + self.command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )

    def _apply_backend_limits(self, limits: Limits) -> None:
        if self.cgroup is not None:
            self.cgroup.set_limits(memory_bytes=limits.memory_mib * 1024 * 1024, max_processes=limits.max_processes)

    def _cpu_ms(self) -> float | None:
        return self.cgroup.cpu_ms() if self.cgroup else None

    def _limit_hit(self) -> str | None:
        if self.cgroup is None:
            return None
        if self.cgroup.memory_exceeded():
            return "memory_mib"
        if self.cgroup.processes_exceeded():
            return "max_processes"
        return None

    def _kill(self) -> None:
        if self.cgroup is not None:
            self.cgroup.kill_all()
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 9)
            except ProcessLookupError:
                pass

    def _release(self) -> None:
        if self.cgroup is not None:
            self.cgroup.kill_all()
            self.cgroup.remove()
            self.cgroup = None


class BwrapBackend(Backend):
    name = "bwrap"

    def __init__(self) -> None:
        self.bwrap_path = shutil.which("bwrap")

    def unavailable_reason(self) -> str | None:
        if self.bwrap_path is None:
            return "bubblewrap is not installed (Debian: apt-get install bubblewrap)"
        if not Path("/sys/fs/cgroup").is_dir():
            return "no cgroup file system at /sys/fs/cgroup"
        if os.geteuid() != 0:
            return "the bwrap backend needs root to create cgroups and mount the output tmpfs"
        return None

    def create(self, limits: Limits, device: str = "cpu") -> Sandbox:
        # NOTE: the bwrap backend runs every exercise on the CPU; GPU exercises
        # need the docker backend, which passes the GPU through device requests.
        return BwrapSandbox(limits, self.bwrap_path or "bwrap")
