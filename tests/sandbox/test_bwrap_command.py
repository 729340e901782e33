"""The bubblewrap command line: mounts come in an order that keeps every bind visible."""

from unittest import mock

from grader.limits import Limits
from grader.sandbox.bwrap import BwrapSandbox


def test_runtime_under_tmp_is_bound_after_scratch_tmpfs():
    runtime = ["/tmp/checkout/.venv", "/root/.pyenv/versions/3.11.7"]
    with mock.patch("grader.sandbox.bwrap.runtime_dirs", return_value=runtime):
        command = BwrapSandbox(Limits(), "bwrap").command()

    tmpfs_at = command.index("--tmpfs")
    assert command[tmpfs_at + 1] == "/tmp"
    bind_at = next(i for i in range(len(command) - 2) if command[i : i + 3] == ["--ro-bind", runtime[0], runtime[0]])
    assert tmpfs_at < bind_at
    assert ["--dir", "/tmp"] not in [command[i : i + 2] for i in range(len(command) - 1)]
    assert ["--dir", "/tmp/checkout"] in [command[i : i + 2] for i in range(len(command) - 1)]
