"""The fork server: its zygote contains nothing of the worker, and its sandboxes reach nothing of the zygote."""

from __future__ import annotations

import os
from pathlib import Path

from grader.limits import Limits
from grader.sandbox import get_backend
from grader.sandbox.forkserver import shared_zygote

from .conftest import leftovers, write_minimal_job

REFERENCE_MODELS = Path(__file__).resolve().parents[2] / "reference_models"
LIST_DESCRIPTORS = """
import os
for entry in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        print("FD", entry, os.readlink("/proc/self/fd/" + entry), flush=True)
    except OSError:
        pass
"""


def _run(source: str) -> str:
    sandbox = get_backend("forkserver").start(Limits())
    cgroup_dirs = [Path(path) for path in sandbox.cgroup.dirs.values()]
    try:
        write_minimal_job(sandbox, source)
        result = sandbox.run()
    finally:
        sandbox.destroy()
    assert leftovers(sandbox, cgroup_dirs) == []
    assert result.completed
    return result.stdout.decode()


def test_zygote_environment_has_no_worker_variables(monkeypatch):
    monkeypatch.setenv("TENSORCRAFT_DATABASE_URL", "postgres://secret@127.0.0.1/forkserver-test")
    zygote = shared_zygote()

    environment = Path(f"/proc/{zygote.process.pid}/environ").read_bytes().split(b"\0")

    assert not [entry for entry in environment if entry.startswith(b"TENSORCRAFT_DATABASE_URL")]
    assert b"PATH=/usr/bin:/bin" in environment


def test_sandbox_holds_no_socket_of_the_zygote():
    output = _run(LIST_DESCRIPTORS)

    targets = [line.split(" ", 2)[2] for line in output.splitlines() if line.startswith("FD ")]
    assert targets
    assert [target for target in targets if target.startswith("socket:")] == []


def test_sandbox_runs_unprivileged_in_its_own_namespaces():
    source = (
        "import os, socket\n"
        "print('IDS', os.getuid(), os.geteuid(), os.getgid(), flush=True)\n"
        "print('PID', os.getpid(), flush=True)\n"
        "print('HOST', socket.gethostname(), flush=True)\n"
        f"print('REFERENCES', os.path.exists({str(REFERENCE_MODELS)!r}), flush=True)\n"
        "print('ROOT', sorted(os.listdir('/')), flush=True)\n"
    )

    output = _run(source).splitlines()

    assert "IDS 65534 65534 65534" in output
    assert "PID 1" in output
    assert "HOST sandbox" in output
    assert "REFERENCES False" in output
    root_line = next(line for line in output if line.startswith("ROOT "))
    assert "'job'" in root_line


def test_zygote_restarts_after_it_dies():
    first = shared_zygote()
    first.process.kill()
    first.process.wait(timeout=10)

    output = _run("print('after restart', flush=True)\n")

    assert "after restart" in output
    assert shared_zygote() is not first
    assert os.path.exists(f"/proc/{shared_zygote().process.pid}")


def test_sandbox_dies_with_its_zygote():
    import time

    sandbox = get_backend("forkserver").start(Limits())
    try:
        sandbox.wait_ready()
        assert sandbox.cgroup.pids()
        zygote = shared_zygote()

        zygote.process.kill()
        zygote.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while sandbox.cgroup.pids() and time.monotonic() < deadline:
            time.sleep(0.05)

        assert sandbox.cgroup.pids() == set()
    finally:
        sandbox.destroy()


def test_sandbox_cannot_use_keyrings():
    source = (
        "import ctypes, platform\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "add_key = {'x86_64': 248, 'aarch64': 217}[platform.machine()]\n"
        "result = libc.syscall(add_key, b'user', b'tc-test', b'x', 1, -4)\n"
        "print('ADD_KEY', result, ctypes.get_errno(), flush=True)\n"
    )

    output = _run(source)

    assert "ADD_KEY -1 1" in output.splitlines()
