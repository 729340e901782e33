import pytest

from grader.pool import WarmPool
from grader.sandbox import pool_backend_name


@pytest.fixture(scope="session")
def sandbox_pool():
    """Warm sandboxes shared by the grader tests, from the fork server; each grading still gets a fresh one."""
    with WarmPool(size=2, backend=pool_backend_name("bwrap")) as pool:
        yield pool


@pytest.fixture
def grade_source(sandbox_pool):
    from grader.grading import grade

    def run(slug, source, **options):
        return grade(slug, source, sandbox=sandbox_pool.acquire(), **options)

    return run
