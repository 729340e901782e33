"""A warm sandbox from the pool waits for its job, runs exactly one, and is gone afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.limits import Limits
from grader.pool import WarmPool

from .conftest import leftovers, write_minimal_job


@pytest.fixture
def pool(backend_name):
    with WarmPool(size=1, backend=backend_name, limits=Limits()) as warm_pool:
        yield warm_pool


def test_warm_sandbox_waits_for_its_job(pool):
    sandbox = pool.acquire()
    try:
        assert sandbox.ready
        assert sandbox.process.poll() is None
        assert list(sandbox.in_dir.iterdir()) == []
    finally:
        sandbox.destroy()


def test_warm_sandbox_runs_exactly_one_job(pool):
    sandbox = pool.acquire()
    cgroup = getattr(sandbox, "cgroup", None)
    cgroup_dirs = [Path(path) for path in cgroup.dirs.values()] if cgroup is not None else []
    try:
        write_minimal_job(sandbox, "print('first job', flush=True)\n")

        result = sandbox.run()

        assert result.completed
        assert result.exit_code is None
        assert result.exceeded is None
        assert result.stdout == b"first job\n"
        assert result.hidden_started
        with pytest.raises(GraderError, match="already used; sandboxes are single use"):
            sandbox.run()
    finally:
        sandbox.destroy()
    assert leftovers(sandbox, cgroup_dirs) == []


def test_pool_hands_out_a_new_sandbox_each_time(pool):
    first = pool.acquire()
    first.destroy()
    second = pool.acquire()
    try:
        assert first.id != second.id
        assert first.host_dir != second.host_dir
    finally:
        second.destroy()


def test_pool_refills_only_after_destroy(pool):
    first = pool.acquire()
    try:
        with pytest.raises(GraderError, match="no warm"):
            pool.acquire(timeout_s=3)
    finally:
        first.destroy()
    second = pool.acquire(timeout_s=60)
    second.destroy()


def test_discarded_sandbox_is_destroyed_in_background(pool):
    sandbox = pool.acquire()
    cgroup = getattr(sandbox, "cgroup", None)
    cgroup_dirs = [Path(path) for path in cgroup.dirs.values()] if cgroup is not None else []
    write_minimal_job(sandbox, "print('job', flush=True)\n")
    sandbox.run()

    pool.discard(sandbox)
    replacement = pool.acquire(timeout_s=60)
    replacement.destroy()

    assert leftovers(sandbox, cgroup_dirs) == []


def test_close_destroys_discarded_sandboxes(backend_name):
    with WarmPool(size=1, backend=backend_name, limits=Limits()) as warm_pool:
        sandbox = warm_pool.acquire()
        warm_pool.discard(sandbox)
    assert leftovers(sandbox, []) == []
