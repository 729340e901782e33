"""Every exercise: its correct variants pass, and each misconception fails with its own diagnosis."""

import pytest

from grader.exercise import all_exercises
from grader.verdict import Status


def _variant_params():
    return [
        pytest.param(slug, path, id=f"{slug}/{path.stem}")
        for slug, exercise in sorted(all_exercises().items())
        for path in exercise.variant_paths()
    ]


def _misconception_params():
    return [
        pytest.param(slug, item.id, id=f"{slug}/{item.id}")
        for slug, exercise in sorted(all_exercises().items())
        for item in exercise.misconceptions
    ]


def test_every_exercise_has_variants_and_misconceptions():
    for slug, exercise in all_exercises().items():
        assert exercise.variant_paths(), f"{slug} has no correct variants"
        assert exercise.misconceptions, f"{slug} lists no misconceptions"


@pytest.mark.parametrize(("slug", "path"), _variant_params())
def test_correct_variant_passes(grade_source, slug, path):
    verdict = grade_source(slug, path.read_text())

    failing = [(check.name, check.message) for check in verdict.checks if not check.passed]
    assert verdict.status is Status.PASSED, (verdict.message, failing)
    assert verdict.score == 1.0
    assert verdict.diagnosis == []


@pytest.mark.parametrize(("slug", "misconception_id"), _misconception_params())
def test_misconception_fails_with_its_diagnosis(grade_source, slug, misconception_id):
    exercise = all_exercises()[slug]
    misconception = exercise.misconception(misconception_id)

    verdict = grade_source(slug, misconception.path.read_text())

    assert verdict.status is Status.FAILED, (verdict.status, verdict.reason, verdict.message)
    assert verdict.score < 1.0
    assert misconception_id in [item.id for item in verdict.diagnosis]
    diagnosed = next(item for item in verdict.diagnosis if item.id == misconception_id)
    assert diagnosed.message == misconception.message
