"""Per-sandbox control groups: memory, process count and CPU accounting, on cgroup v1 or v2.

Runs on the trusted side, as root or with a delegated cgroup. The limits are
enforced by the kernel, never by code inside the sandbox.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import time
from pathlib import Path

from grader.errors import SandboxUnavailable

logger = logging.getLogger(__name__)

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_PREFIX = "tensorcraft"
V1_CONTROLLERS = ("memory", "pids", "cpuacct")


def _own_paths() -> dict[str, str]:
    """Map each controller (or "" for cgroup v2) to this process's cgroup path."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            paths[controller] = path
    return paths


@functools.lru_cache(maxsize=1)
def is_v2() -> bool:
    """Tell whether the host mounts cgroup v2 at the root; read once, since it is asked on every limit check."""
    return (CGROUP_ROOT / "cgroup.controllers").exists()


class ControlGroup:
    """One cgroup per sandbox, created before launch and removed after."""

    def __init__(self, name: str, *, memory_bytes: int, max_processes: int):
        self.name = name
        self.memory_bytes = memory_bytes
        self.max_processes = max_processes
        self.dirs: dict[str, Path] = {}
        self._create()

    @classmethod
    def of_process(cls, pid: int) -> "ControlGroup":
        """Observe the cgroups that process ``pid`` is in (a container's, say) without creating or limiting any.

        Only the reading methods (``cpu_ms``, ``memory_exceeded``,
        ``processes_exceeded``, ``pids``) apply to the result. Raises ``OSError``
        when the process is gone.
        """
        group = cls.__new__(cls)
        group.name = f"pid {pid}"
        group.memory_bytes = group.max_processes = 0
        group.dirs = {}
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            relative = path.lstrip("/")
            if controllers == "" and is_v2():
                for controller in V1_CONTROLLERS:
                    group.dirs[controller] = CGROUP_ROOT / relative
            for controller in controllers.split(","):
                if controller in V1_CONTROLLERS and not is_v2():
                    group.dirs[controller] = CGROUP_ROOT / controller / relative
        return group

    def _create(self) -> None:
        own = _own_paths()
        try:
            if is_v2():
                parent = CGROUP_ROOT / own.get("", "/").lstrip("/") / GROUP_PREFIX
                parent.mkdir(exist_ok=True)
                (parent / "cgroup.subtree_control").write_text("+memory +pids +cpu")
                group = parent / self.name
                group.mkdir()
                self.dirs = {"memory": group, "pids": group, "cpuacct": group}
                (group / "memory.max").write_text(str(self.memory_bytes))
                (group / "memory.swap.max").write_text("0")
                (group / "pids.max").write_text(str(self.max_processes))
                return
            for controller in V1_CONTROLLERS:
                base = CGROUP_ROOT / controller
                if not base.is_dir():
                    raise SandboxUnavailable(f"the cgroup v1 controller {controller!r} is not mounted at {base}")
                group = base / own.get(controller, "/").lstrip("/") / GROUP_PREFIX / self.name
                group.mkdir(parents=True)
                self.dirs[controller] = group
            memory = self.dirs["memory"]
            (memory / "memory.limit_in_bytes").write_text(str(self.memory_bytes))
            swap_limit = memory / "memory.memsw.limit_in_bytes"
            if swap_limit.exists():
                swap_limit.write_text(str(self.memory_bytes))
            (self.dirs["pids"] / "pids.max").write_text(str(self.max_processes))
        except OSError as error:
            self.remove()
            raise SandboxUnavailable(
                f"cannot create the sandbox cgroup {self.name!r}: {error}; the bwrap backend needs root "
                "or a delegated, writable cgroup"
            ) from error

    def set_limits(self, *, memory_bytes: int, max_processes: int) -> None:
        if is_v2():
            (self.dirs["memory"] / "memory.max").write_text(str(memory_bytes))
            (self.dirs["pids"] / "pids.max").write_text(str(max_processes))
        else:
            memory = self.dirs["memory"]
            swap_limit = memory / "memory.memsw.limit_in_bytes"
            # The memory+swap limit must never be below the memory limit, so the order depends on the direction.
            files = [memory / "memory.limit_in_bytes"] + ([swap_limit] if swap_limit.exists() else [])
            if memory_bytes > self.memory_bytes:
                files.reverse()
            for path in files:
                path.write_text(str(memory_bytes))
            (self.dirs["pids"] / "pids.max").write_text(str(max_processes))
        self.memory_bytes = memory_bytes
        self.max_processes = max_processes

    def procs_files(self) -> list[str]:
        return sorted({str(path / "cgroup.procs") for path in self.dirs.values()})

    def cpu_ms(self) -> float | None:
        group = self.dirs.get("cpuacct")
        if group is None:
            return None
        try:
            if is_v2():
                for line in (group / "cpu.stat").read_text().splitlines():
                    key, value = line.split()
                    if key == "usage_usec":
                        return int(value) / 1000
                return None
            return int((group / "cpuacct.usage").read_text()) / 1e6
        except (OSError, ValueError):
            return None

    def _events(self, controller: str, filename: str) -> dict[str, int]:
        group = self.dirs.get(controller)
        events: dict[str, int] = {}
        if group is None:
            return events
        try:
            for line in (group / filename).read_text().splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1].isdigit():
                    events[parts[0]] = int(parts[1])
        except OSError:
            pass
        return events

    def memory_exceeded(self) -> bool:
        if is_v2():
            return self._events("memory", "memory.events").get("oom_kill", 0) > 0
        control = self._events("memory", "memory.oom_control")
        return control.get("oom_kill", 0) > 0 or control.get("under_oom", 0) > 0

    def processes_exceeded(self) -> bool:
        return self._events("pids", "pids.events").get("max", 0) > 0

    def pids(self) -> set[int]:
        found: set[int] = set()
        for procs in self.procs_files():
            try:
                found.update(int(pid) for pid in Path(procs).read_text().split())
            except (OSError, ValueError):
                pass
        return found

    def kill_all(self, timeout_s: float = 5.0) -> None:
        """SIGKILL every process in the group until it is empty; freezing first stops a fork bomb from racing."""
        group = self.dirs.get("pids")
        if group is not None and is_v2() and (group / "cgroup.kill").exists():
            try:
                (group / "cgroup.kill").write_text("1")
            except OSError:
                pass
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        logger.error("cgroup %s still has processes after %.1f s of SIGKILL", self.name, timeout_s)

    def remove(self) -> None:
        for path in self.dirs.values():
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
            else:
                logger.error("could not remove cgroup %s", path)
        self.dirs = {}


def join_command(procs_files: list[str]) -> list[str]:
    """Return a shell prefix that moves itself into the cgroups, then execs the rest of the command."""
    # "ulimit -c 0": a crash must not hand a core dump of the sandbox to the host's core handler.
    script = (
        'for f in $TC_CGROUP_PROCS; do echo $$ > "$f" || exit 97; done; unset TC_CGROUP_PROCS; '
        'ulimit -c 0; exec "$@"'
    )
    return ["/bin/sh", "-c", script, "sandbox-launcher"]


JOIN_FAILED_STATUS = 97
