"""Exercise folders and limits are validated when they load, with errors that name the file and the value."""

import shutil
from pathlib import Path

import pytest
import torch

from grader.errors import ExerciseConfigError
from grader.exercise import all_exercises, load_exercise_folder
from grader.limits import LIMIT_SPECS, Limits

VAE_LOSS = Path(__file__).resolve().parents[2] / "exercises" / "vae-loss"


@pytest.fixture
def exercise_copy(tmp_path):
    folder = tmp_path / "vae-loss"
    shutil.copytree(VAE_LOSS, folder)
    return folder


def edit_toml(folder, old, new):
    path = folder / "exercise.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_limits_default_when_table_is_empty():
    limits = Limits.from_table({}, source="test")

    assert limits.as_dict() == {name: spec.default for name, spec in LIMIT_SPECS.items()}


def test_unknown_limit_is_rejected():
    with pytest.raises(ExerciseConfigError, match="unknown limit 'wall_time_ms'"):
        Limits.from_table({"wall_time_ms": 5}, source="test")


def test_out_of_range_limit_is_rejected():
    with pytest.raises(ExerciseConfigError, match=r"memory_mib=100000 is outside \[256, 16384\]"):
        Limits.from_table({"memory_mib": 100000}, source="test")


def test_limit_message_names_value():
    assert Limits(memory_mib=512).exceeded_message("memory_mib") == "Your code used more than the memory limit of 512 MiB."


def test_folder_loads(exercise_copy):
    exercise = load_exercise_folder(exercise_copy)

    assert exercise.slug == "vae-loss"
    assert exercise.entry_points == ("vae_loss",)
    assert exercise.limits.wall_time_s == 20
    assert "kl-wrong-sign" in [item.id for item in exercise.misconceptions]


def test_invalid_device_is_rejected(exercise_copy):
    edit_toml(exercise_copy, 'device = "cpu"', 'device = "tpu"')

    with pytest.raises(ExerciseConfigError, match="device 'tpu' is not one of"):
        load_exercise_folder(exercise_copy)


def test_missing_misconception_file_is_rejected(exercise_copy):
    (exercise_copy / "misconceptions" / "beta-ignored.py").unlink()

    with pytest.raises(ExerciseConfigError, match="misconception 'beta-ignored' has no file"):
        load_exercise_folder(exercise_copy)


def test_slug_must_match_folder(exercise_copy):
    edit_toml(exercise_copy, 'slug = "vae-loss"', 'slug = "vae-loss-2"')

    with pytest.raises(ExerciseConfigError, match="must match the folder name"):
        load_exercise_folder(exercise_copy)


def test_missing_probe_is_rejected(exercise_copy):
    (exercise_copy / "probe.py").unlink()

    with pytest.raises(ExerciseConfigError, match="missing probe.py"):
        load_exercise_folder(exercise_copy)


def test_invalid_toml_names_the_file(exercise_copy):
    (exercise_copy / "exercise.toml").write_text("slug = ")

    with pytest.raises(ExerciseConfigError, match="exercise.toml: invalid TOML"):
        load_exercise_folder(exercise_copy)


@pytest.mark.parametrize("slug", sorted(all_exercises()))
def test_visible_cases_do_not_depend_on_variant_seed(slug):
    checks = all_exercises()[slug].checks()

    first = [case for case in checks.build_cases(1) if case.visible]
    second = [case for case in checks.build_cases(2) if case.visible]

    assert [case.id for case in first] == [case.id for case in second]
    for case, again in zip(first, second):
        assert case.params == again.params, case.id
        assert case.seed == again.seed, case.id
        assert sorted(case.inputs) == sorted(again.inputs), case.id
        for name in case.inputs:
            assert torch.equal(case.inputs[name], again.inputs[name]), (case.id, name)


@pytest.mark.parametrize(
    "slug", sorted(slug for slug, exercise in all_exercises().items() if hasattr(exercise.checks(), "build_hidden_cases"))
)
def test_hidden_case_builder_matches_build_cases(slug):
    checks = all_exercises()[slug].checks()

    hidden = checks.build_hidden_cases(7)
    expected = [case for case in checks.build_cases(7) if not case.visible]

    assert [case.id for case in hidden] == [case.id for case in expected]
    assert not any(case.visible for case in hidden)
    for case, built in zip(hidden, expected):
        for name in case.inputs:
            assert torch.equal(case.inputs[name], built.inputs[name]), (case.id, name)
