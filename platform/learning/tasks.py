"""The Celery task that grades one submission in a sandbox.

The worker imports torch through ``grader.grading``. The web process imports
this module only to enqueue, so that import happens inside the task and in
``preload_grader``, never at module level.
"""

from __future__ import annotations

import gc
import logging

from celery import Task, shared_task
from celery.signals import task_prerun, worker_init, worker_process_init, worker_process_shutdown
from django.conf import settings

from learning import messages
from learning.services import submission_fail, submission_mark_running, verdict_record

logger = logging.getLogger(__name__)

# Grader faults (a sandbox that did not start, a missing backend) are retried
# this many times, after RETRY_BASE_DELAY_S, then twice that, and so on.
MAX_RETRIES = 3
RETRY_BASE_DELAY_S = 5

# The warm sandbox pool of this worker pool process, or None when the pool is
# disabled or this process is not a worker pool process.
sandbox_pool = None


class GradingTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Give the submission an infrastructure error when the task raised something unexpected.

        Without this the row would stay ``running`` and its page would wait
        forever. Learner faults never get here: they are verdicts.
        """
        submission_id = args[0] if args else kwargs.get("submission_id")
        logger.error(
            "grading submission %s raised %s: %s", submission_id, type(exc).__name__, exc, extra={"submission_id": submission_id}
        )
        if submission_id is not None:
            submission_fail(submission_id=submission_id, message=messages.GRADER_FAILED)


@shared_task(bind=True, base=GradingTask, max_retries=MAX_RETRIES)
def grade_submission(self, submission_id: int) -> None:
    """Grade one submission and store its verdict; a no-op unless the row is queued or running."""
    submission = submission_mark_running(submission_id=submission_id)
    if submission is None:
        return

    from grader import grading
    from grader.errors import GraderError

    log_extra = {"submission_id": submission_id}
    pool = sandbox_pool
    # Used sandboxes wait here until the verdict is stored, and are destroyed after it:
    # their teardown and their replacement's start-up stay off the verdict's path.
    used = []
    try:
        options = {}
        if pool is not None and submission.exercise.device == pool.device:
            options["sandbox"] = pool.acquire()
            logger.info("grading submission %s in a warm sandbox from the pool", submission_id, extra=log_extra)
        try:
            verdict = grading.grade(
                submission.exercise.slug,
                submission.source,
                variant_seed=submission.variant_seed,
                submission_id=submission_id,
                visible_only=submission.visible_only,
                discard=used.append,
                **options,
            )
        except BaseException:
            # grade() hands over the sandbox it is given, except when loading the
            # exercise or preparing its cases raises. destroy() is idempotent.
            if "sandbox" in options:
                options["sandbox"].destroy()
            raise
    except GraderError as error:
        _destroy_used(used, pool)
        if self.request.retries >= MAX_RETRIES:
            logger.error(
                "grader failed on submission %s after %d retries: %s", submission_id, self.request.retries, error, extra=log_extra
            )
            submission_fail(submission_id=submission_id, message=messages.GRADER_FAILED)
            return
        delay_s = RETRY_BASE_DELAY_S * 2**self.request.retries
        logger.error(
            "grader failed on submission %s (retry %d of %d in %d s): %s",
            submission_id,
            self.request.retries + 1,
            MAX_RETRIES,
            delay_s,
            error,
            extra=log_extra,
        )
        raise self.retry(exc=error, countdown=delay_s)

    # NOTE: the grader grades the exercise version on disk now, which can be
    # newer than the one submitted; verdict_record stores the version graded.
    try:
        verdict_record(submission_id=submission_id, verdict=verdict.as_dict())
    finally:
        _destroy_used(used, pool)


def _destroy_used(used: list, pool) -> None:
    """Destroy used sandboxes: in the pool's background thread when there is a pool, here otherwise."""
    for sandbox in used:
        if pool is not None:
            pool.discard(sandbox)
        else:
            sandbox.destroy()
    used.clear()


@task_prerun.connect
def drop_broken_connections(task=None, **kwargs) -> None:
    """Close database connections that broke or outlived CONN_MAX_AGE, as Django does between requests.

    A task run eagerly (``apply()``, in tests) runs inside its caller's transaction, so it keeps the connection.
    """
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_init.connect
def preload_grader(**kwargs) -> None:
    """Import torch and the grader in the worker's main process, before it forks its pool processes.

    The pool processes inherit the loaded modules, so neither a grading nor a
    replacement pool process pays for the import (1.1 to 1.4 s for torch alone
    on a 2-core machine). Importing starts no torch threads, so forking after
    it is safe.
    """
    from grader import grading  # noqa: F401


@worker_process_init.connect
def tune_pool_process(**kwargs) -> None:
    """Set up a new worker pool process for short gradings: torch on one thread, inherited objects frozen.

    The trusted side's tensors are small (references, comparisons), so one
    thread leaves the other cores to the sandboxes. The objects inherited from
    the main process (Django, torch) live as long as the process: frozen, the
    garbage collector stops walking them, which otherwise added milliseconds to
    gradings at random.
    """
    import torch

    torch.set_num_threads(1)
    gc.freeze()


@worker_process_init.connect
def start_sandbox_pool(**kwargs) -> None:
    """Start the warm sandbox pool of this worker pool process, unless TENSORCRAFT_SANDBOX_POOL_SIZE is 0.

    Each pool process owns its sandboxes, because a forked copy of another
    process's pool thread would not run.
    """
    global sandbox_pool
    size = settings.TENSORCRAFT_SANDBOX_POOL_SIZE
    if size <= 0:
        return
    from grader.errors import GraderError
    from grader.pool import WarmPool
    from grader.sandbox import pool_backend_name

    try:
        backend = settings.TENSORCRAFT_SANDBOX_POOL_BACKEND or pool_backend_name(settings.TENSORCRAFT_SANDBOX)
        sandbox_pool = WarmPool(size=size, backend=backend, device=settings.TENSORCRAFT_SANDBOX_POOL_DEVICE)
    except GraderError as error:
        # Without a pool each grading starts its own sandbox and reports its own fault.
        logger.error("cannot start the warm sandbox pool: %s", error)


@worker_process_shutdown.connect
def close_sandbox_pool(**kwargs) -> None:
    """Destroy the waiting sandboxes of this worker pool process."""
    global sandbox_pool
    if sandbox_pool is not None:
        sandbox_pool.close()
        sandbox_pool = None
