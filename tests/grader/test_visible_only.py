"""Practice runs of the visible checks: only visible cases run, and the verdict is marked as such."""

import pytest

from grader.exercise import all_exercises
from grader.verdict import Status


@pytest.mark.parametrize("slug", sorted(all_exercises()))
def test_canonical_solution_passes_the_visible_checks(grade_source, slug):
    exercise = all_exercises()[slug]
    source = exercise.variant_paths()[0].read_text()

    verdict = grade_source(slug, source, visible_only=True)

    assert verdict.status is Status.PASSED, (verdict.message, [c.message for c in verdict.checks if not c.passed])
    assert verdict.visible_only is True
    assert verdict.as_dict()["visible_only"] is True
    assert verdict.checks and all(check.visible for check in verdict.checks)


def test_visible_run_skips_hidden_cases(grade_source):
    exercise = all_exercises()["vae-loss"]
    source = exercise.variant_paths()[0].read_text()

    full = grade_source("vae-loss", source)
    visible = grade_source("vae-loss", source, visible_only=True)

    assert full.visible_only is False
    assert {check.name for check in visible.checks} == {check.name for check in full.checks if check.visible}
    assert any(not check.visible for check in full.checks)


def test_visible_run_still_diagnoses_a_misconception(grade_source):
    exercise = all_exercises()["vae-loss"]
    misconception = exercise.misconceptions[0]

    verdict = grade_source("vae-loss", misconception.path.read_text(), visible_only=True)

    assert verdict.status is Status.FAILED
    assert misconception.id in [item.id for item in verdict.diagnosis]
    assert all(check.visible for check in verdict.checks)
