import pytest

from grader.pool import WarmPool


@pytest.fixture(scope="session")
def sandbox_pool():
    """Warm bubblewrap sandboxes shared by the grader tests; each grading still gets a fresh one."""
    with WarmPool(size=2, backend="bwrap") as pool:
        yield pool


@pytest.fixture
def grade_source(sandbox_pool):
    from grader.grading import grade

    def run(slug, source, **options):
        return grade(slug, source, sandbox=sandbox_pool.acquire(), **options)

    return run
