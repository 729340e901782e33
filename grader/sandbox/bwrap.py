"""The bubblewrap backend: new namespaces, a read-only root, cgroup limits, an unprivileged user.

bwrap runs as root without a user namespace, so that it can mount what the
sandbox needs. The sandbox's first process then switches to the unprivileged
user with ``setpriv`` and execs the harness. Learner code therefore runs as
uid 65534 on the host too, with no capabilities and ``no_new_privs`` set.
(With a user namespace, a root-started bwrap would map the sandbox's user to
host uid 0.) Runs on the trusted side.
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
from grader.sandbox.seccomp import keyring_filter
from grader.sandbox.runtime import (
    ETC_FILES,
    HARNESS_MOUNT,
    SANDBOX_GID,
    SANDBOX_UID,
    SYSTEM_DIRS,
    WORK_DIR,
    harness_command,
    runtime_dirs,
    sandbox_environment,
)

logger = logging.getLogger(__name__)

SETPRIV = "/usr/bin/setpriv"


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


def _parent_dirs_args(paths: list[str]) -> list[str]:
    """Create each mount point's parent folders with mode 0755.

    bwrap would otherwise copy a parent's mode from the host, and a host folder
    such as /root (mode 0700) would stop the unprivileged user from reaching
    the Python runtime below it.
    """
    args: list[str] = []
    created: set[str] = {WORK_DIR}
    for path in paths:
        parts = Path(path).parts[1:-1]
        for depth in range(1, len(parts) + 1):
            parent = "/" + "/".join(parts[:depth])
            if parent not in created and parent not in SYSTEM_DIRS:
                created.add(parent)
                args += ["--perms", "0755", "--dir", parent]
    return args


class BwrapSandbox(Sandbox):
    backend_name = "bwrap"

    def __init__(self, limits: Limits, bwrap_path: str):
        super().__init__(limits)
        self.bwrap_path = bwrap_path
        self.cgroup: ControlGroup | None = None
        # The read end of a pipe that carries the system-call filter to bwrap while it starts.
        self.seccomp_fd: int | None = None

    def command(self) -> list[str]:
        runtime = runtime_dirs()
        args = [
            self.bwrap_path,
            # Every namespace but the user namespace; see the module docstring.
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            # setpriv needs these two to switch users; it drops them with the switch.
            "--cap-drop", "ALL",
            "--cap-add", "CAP_SETUID",
            "--cap-add", "CAP_SETGID",
            "--hostname", "sandbox",
            *_system_args(),
            # The scratch tmpfs comes before the binds: a runtime that lives under /tmp
            # (a checkout in /tmp, say) is then bound on top of it instead of hidden by it.
            "--size", str(self.limits.tmpfs_mib * 1024 * 1024),
            "--perms", "1777",
            "--tmpfs", WORK_DIR,
            *_parent_dirs_args(runtime + [HARNESS_MOUNT, f"{protocol.JOB_DIR}/{protocol.IN_DIR}"]),
        ]  # fmt: skip
        for path in runtime:
            args += ["--ro-bind", path, path]
        args += [
            "--ro-bind", str(HARNESS_DIR), HARNESS_MOUNT,
            "--ro-bind", str(self.in_dir), f"{protocol.JOB_DIR}/{protocol.IN_DIR}",
            "--bind", str(self.out_dir), f"{protocol.JOB_DIR}/{protocol.OUT_DIR}",
            "--proc", "/proc",
            "--dev", "/dev",
            "--remount-ro", "/",
            "--clearenv",
        ]  # fmt: skip
        if self.seccomp_fd is not None:
            args += ["--seccomp", str(self.seccomp_fd)]
        for name, value in sandbox_environment().items():
            args += ["--setenv", name, value]
        args += [
            "--chdir", WORK_DIR,
            SETPRIV,
            f"--reuid={SANDBOX_UID}",
            f"--regid={SANDBOX_GID}",
            "--clear-groups",
            "--inh-caps=-all",
            "--no-new-privs",
            "--",
            *harness_command(sys.executable),
        ]  # fmt: skip
        return args

    def _launch(self) -> subprocess.Popen:
        self.cgroup = ControlGroup(
            self.id,
            memory_bytes=self.limits.memory_mib * 1024 * 1024,
            max_processes=self.limits.max_processes,
        )
        env = {"PATH": "/usr/bin:/bin", "TC_CGROUP_PROCS": " ".join(self.cgroup.procs_files())}
        read_end, write_end = os.pipe()
        try:
            os.write(write_end, keyring_filter())
            os.close(write_end)
            self.seccomp_fd = read_end
            return subprocess.Popen(
                join_command(self.cgroup.procs_files()) + self.command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                close_fds=True,
                pass_fds=[read_end],
            )
        finally:
            os.close(read_end)
            self.seccomp_fd = None

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
        if not os.access(SETPRIV, os.X_OK):
            return f"{SETPRIV} is missing (Debian: apt-get install util-linux)"
        if not Path("/sys/fs/cgroup").is_dir():
            return "no cgroup file system at /sys/fs/cgroup"
        if os.geteuid() != 0:
            return "the bwrap backend needs root to create cgroups and mount the output tmpfs"
        return None

    def create(self, limits: Limits, device: str = "cpu") -> Sandbox:
        # NOTE: the bwrap backend runs every exercise on the CPU; GPU exercises
        # need the docker backend, which passes the GPU through device requests.
        return BwrapSandbox(limits, self.bwrap_path or "bwrap")
