"""The command-line contract: ``python -m grader list`` and ``python -m grader grade``."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VAE_LOSS = REPO_ROOT / "exercises" / "vae-loss"
CONTRACT_KEYS = {"exercise", "version", "status", "score", "checks", "diagnosis", "duration_ms"}


def run_grader(*args):
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300
    )


def test_list_prints_each_exercise_folder_once():
    result = run_grader("list")

    assert result.returncode == 0
    folders = sorted(path.parent.name for path in (REPO_ROOT / "exercises").glob("*/exercise.toml"))
    assert result.stdout.splitlines() == folders


def test_grade_json_of_correct_solution_passes():
    result = run_grader("grade", "vae-loss", VAE_LOSS / "variants" / "canonical.py", "--json")

    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert CONTRACT_KEYS <= set(verdict)
    assert verdict["exercise"] == "vae-loss"
    assert verdict["version"] == 1
    assert verdict["status"] == "passed"
    assert verdict["score"] == 1.0
    assert verdict["diagnosis"] == []
    assert verdict["duration_ms"] > 0
    assert len(verdict["checks"]) >= 20
    for check in verdict["checks"]:
        assert set(check) >= {"name", "visible", "passed", "message"}
        assert check["passed"] is True
    assert any(not check["visible"] for check in verdict["checks"])


def test_grade_json_of_misconception_exits_one_with_diagnosis():
    result = run_grader("grade", "vae-loss", VAE_LOSS / "misconceptions" / "kl-wrong-sign.py", "--json")

    assert result.returncode == 1
    verdict = json.loads(result.stdout)
    assert verdict["status"] == "failed"
    assert [item["id"] for item in verdict["diagnosis"]] == ["kl-wrong-sign"]


def test_grade_syntax_error_exits_one_with_error_status(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def vae_loss(x, x_hat, mu, log_var, beta=1.0)\n    return x\n")

    result = run_grader("grade", "vae-loss", broken, "--json")

    assert result.returncode == 1
    verdict = json.loads(result.stdout)
    assert verdict["status"] == "error"
    assert verdict["reason"] == "syntax_error"
    assert "line 1" in verdict["message"]


def test_grade_unknown_exercise_exits_two():
    result = run_grader("grade", "no-such-exercise", VAE_LOSS / "variants" / "canonical.py")

    assert result.returncode == 2
    assert "unknown exercise 'no-such-exercise'" in result.stderr


def test_grade_missing_file_exits_two(tmp_path):
    result = run_grader("grade", "vae-loss", tmp_path / "absent.py")

    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_grade_without_arguments_is_a_usage_error():
    result = run_grader("grade")

    assert result.returncode == 2
    assert "usage:" in result.stderr


@pytest.mark.parametrize("sandbox", ["bwrap", "forkserver"])
def test_grade_accepts_sandbox_option(sandbox):
    result = run_grader("grade", "gaussian-kl", REPO_ROOT / "exercises" / "gaussian-kl" / "variants" / "canonical.py",
                        "--json", "--sandbox", sandbox)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["reproducibility"]["sandbox_backend"] == sandbox
