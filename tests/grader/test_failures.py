"""Learner code that cannot be graded ends as ``error`` with a reason, and the next grading works."""

import textwrap

import pytest

from grader.verdict import Reason, Status

CORRECT = textwrap.dedent(
    """
    import torch
    import torch.nn.functional as F

    def vae_loss(x, x_hat, mu, log_var, beta=1.0):
        bce = F.binary_cross_entropy(x_hat, x, reduction="none").sum(dim=1)
        kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)
        return (bce + beta * kl).mean()
    """
)


def body(statements):
    return "import torch\n\ndef vae_loss(x, x_hat, mu, log_var, beta=1.0):\n" + textwrap.indent(
        textwrap.dedent(statements), "    "
    )


FAILURES = {
    "raises": (body("raise ValueError('shapes do not match')"), Reason.EXCEPTION, "ValueError: shapes do not match"),
    "syntax-error": ("def vae_loss(x, x_hat, mu, log_var, beta=1.0):\nreturn x\n", Reason.SYNTAX_ERROR, "line 2"),
    "import-raises": ("import torch\nraise RuntimeError('boom at import')\n", Reason.IMPORT_FAILED, "boom at import"),
    "missing-definition": ("import torch\n\ndef loss(x):\n    return x\n", Reason.MISSING_DEFINITION, "vae_loss"),
    "infinite-loop": (body("while True:\n    pass"), None, "limit of 20 s"),
    "memory-20-gb": (body("block = torch.ones(20 * 1024**3, dtype=torch.uint8)\nreturn block.sum()"),
                     Reason.MEMORY_LIMIT, "memory limit of 1536 MiB"),
    "exits-early": ("import os\nos._exit(0)\n", Reason.CRASHED, "exit status 0"),
    "segfault": ("import ctypes\nctypes.string_at(0)\n", Reason.CRASHED, "signal"),
}


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_ungradable_code_is_error_and_next_grading_passes(grade_source, name):
    source, reason, fragment = FAILURES[name]

    verdict = grade_source("vae-loss", source)

    assert verdict.status is Status.ERROR
    if reason is None:
        assert verdict.reason in (Reason.WALL_TIME_LIMIT, Reason.CPU_TIME_LIMIT)
    else:
        assert verdict.reason is reason
    assert fragment in verdict.message
    assert verdict.score == 0.0

    follow_up = grade_source("vae-loss", CORRECT)
    assert follow_up.status is Status.PASSED


def test_learner_output_of_visible_checks_is_returned(grade_source):
    source = CORRECT.replace("    bce =", "    print('batch', x.shape[0])\n    bce =")

    verdict = grade_source("vae-loss", source)

    assert verdict.status is Status.PASSED
    assert "batch 16" in verdict.output


def test_learner_output_of_hidden_checks_is_dropped(grade_source):
    source = CORRECT.replace("    bce =", "    print('SHAPE', tuple(x.shape))\n    bce =")

    verdict = grade_source("vae-loss", source)

    printed = [line for line in verdict.output.splitlines() if line.startswith("SHAPE")]
    # Six visible cases print; the four hidden ones must not.
    assert len(printed) == 6
