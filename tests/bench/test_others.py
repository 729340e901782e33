"""The nbgrader and otter-grader assignments of the benchmark, and the timing of both tools.

Only the slow test installs the tools (into var/bench-others/) and runs them. The others check the
files that bench.others builds, with nbformat and the project's torch, and the measurement's
reports with the tools replaced by stand-ins.
"""

import ast
import importlib.util
import json
import tempfile
from pathlib import Path

import nbformat
import pytest

from bench import others

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_NAMES = ["test_digits_batch_value", "test_batch_of_one_value", "test_beta_weights_kl", "test_float64_gradients"]
OTTER_BLOCK_ORDER = [
    "# ASSIGNMENT CONFIG",
    "# BEGIN QUESTION",
    "# BEGIN SOLUTION",
    "# END SOLUTION",
    "# BEGIN TESTS",
    "# END TESTS",
    "# END QUESTION",
]
# The unscored entry that otter run writes to results.json beside each question.
OTTER_PUBLIC_TESTS = {"name": "Public Tests", "visibility": "visible", "status": "passed"}


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_is_test_cell(source: str, name: str):
    """A test cell is the test function followed by one call that passes it ``vae_loss``."""
    body = ast.parse(source).body
    assert len(body) == 2, f"{name}: expected a function and a call, got {len(body)} statements"
    assert isinstance(body[0], ast.FunctionDef)
    assert body[0].name == name
    assert ast.unparse(body[1]) == f"{name}(vae_loss)"


def nbgrader_metadata(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


# The shared tests and the submission.


def test_shared_tests_pass_canonical_solution():
    canonical = load_module(others.SUBMISSION_PATH)
    tests = load_module(others.TESTS_PATH)

    for name in TEST_NAMES:
        getattr(tests, name)(canonical.vae_loss)


# A test misses a mistake only where its inputs hide it: one sample hides a sum over the batch, one
# latent hides a mean over latents, and beta = 1 hides an ignored beta.
@pytest.mark.parametrize(
    ("misconception", "failing_tests"),
    [
        ("kl-wrong-sign", TEST_NAMES),
        ("bce-mean-over-pixels", TEST_NAMES),
        ("beta-ignored", ["test_beta_weights_kl", "test_float64_gradients"]),
        ("kl-mean-over-latent", ["test_digits_batch_value", "test_float64_gradients"]),
        ("loss-sum-over-batch", ["test_digits_batch_value", "test_beta_weights_kl", "test_float64_gradients"]),
    ],
)
def test_shared_tests_catch_misconception(misconception, failing_tests):
    wrong = load_module(REPO_ROOT / "exercises" / "vae-loss" / "misconceptions" / f"{misconception}.py")
    tests = load_module(others.TESTS_PATH)

    failed = []
    for name in TEST_NAMES:
        try:
            getattr(tests, name)(wrong.vae_loss)
        except AssertionError:
            failed.append(name)

    assert failed == failing_tests


def test_sources_listed_in_file_order():
    sources = others.test_sources()

    assert list(sources) == TEST_NAMES
    for name, source in sources.items():
        assert source.startswith(f"def {name}(vae_loss):")


def test_submission_source_drops_module_docstring():
    source = others.submission_source()

    assert source.startswith("import torch\n")
    assert "Correct variant" not in source
    assert "def vae_loss(x, x_hat, mu, log_var, beta=1.0):" in source


# nbgrader


def test_nbgrader_course_files(tmp_path):
    course = others.build_nbgrader_course(tmp_path)

    config = course.config_path.read_text()
    assert f"c.CourseDirectory.root = {str(tmp_path)!r}" in config
    assert f"c.CourseDirectory.db_url = 'sqlite:///{tmp_path / 'gradebook.db'}'" in config
    assert course.source_notebook == tmp_path / "source" / "vae-loss" / "vae-loss.ipynb"
    assert course.source_notebook.exists()
    assert course.submitted_notebook == tmp_path / "submitted" / "learner" / "vae-loss" / "vae-loss.ipynb"
    assert not course.gradebook_path.exists(), "the gradebook is nbgrader's to create"


def test_nbgrader_source_notebook_cells(tmp_path):
    course = others.build_nbgrader_course(tmp_path)
    notebook = nbformat.read(course.source_notebook, as_version=4)

    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert all(nbgrader_metadata(cell).get("schema_version") == 3 for cell in notebook.cells)

    solution_cells = [cell for cell in notebook.cells if nbgrader_metadata(cell).get("solution")]
    assert len(solution_cells) == 1
    solution = solution_cells[0]
    assert solution.cell_type == "code"
    assert nbgrader_metadata(solution)["grade_id"] == "vae_loss"
    assert nbgrader_metadata(solution)["locked"] is False
    assert solution.source == f"### BEGIN SOLUTION\n{others.submission_source()}### END SOLUTION\n"

    graded_cells = [cell for cell in notebook.cells if nbgrader_metadata(cell).get("grade")]
    assert [nbgrader_metadata(cell)["grade_id"] for cell in graded_cells] == TEST_NAMES
    for cell in graded_cells:
        name = nbgrader_metadata(cell)["grade_id"]
        assert cell.cell_type == "code"
        assert nbgrader_metadata(cell)["points"] == 1
        assert nbgrader_metadata(cell)["locked"] is True
        assert_is_test_cell(cell.source, name)


def test_nbgrader_submission_fills_solution_cell(tmp_path):
    course = others.build_nbgrader_course(tmp_path)
    released = nbformat.read(course.source_notebook, as_version=4)
    released.cells[1].source = "# YOUR CODE HERE\nraise NotImplementedError()\n"

    submitted = others.fill_nbgrader_solution(released, others.submission_source())

    assert submitted.cells[1].source == others.submission_source()
    assert released.cells[1].source.startswith("# YOUR CODE HERE"), "the released notebook must stay unchanged"
    assert [cell.source for cell in submitted.cells[2:]] == [cell.source for cell in released.cells[2:]]


def test_nbgrader_submission_needs_solution_cell():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])

    with pytest.raises(ValueError, match="expected one cell with nbgrader grade_id 'vae_loss', found 0"):
        others.fill_nbgrader_solution(notebook, others.submission_source())


# otter-grader


def test_otter_master_notebook_blocks(tmp_path):
    path = others.build_otter_master(tmp_path)
    notebook = nbformat.read(path, as_version=4)

    nbformat.validate(notebook)
    assert path == tmp_path / "vae-loss.ipynb"
    raw_cells = [cell for cell in notebook.cells if cell.cell_type == "raw"]
    assert [cell.source.splitlines()[0] for cell in raw_cells] == OTTER_BLOCK_ORDER


def test_otter_master_notebook_config(tmp_path):
    notebook = nbformat.read(others.build_otter_master(tmp_path), as_version=4)
    raw_cells = {cell.source.splitlines()[0]: cell.source for cell in notebook.cells if cell.cell_type == "raw"}

    # Both blocks are YAML mappings with one "key: value" a line, and "tests" is the one nested key.
    config = raw_cells["# ASSIGNMENT CONFIG"].splitlines()[1:]
    assert config == [
        "name: vae-loss",
        "export_cell: false",
        "check_all_cell: false",
        "generate: true",
        "tests:",
        "  ok_format: false",
    ]
    question = dict(line.split(": ", 1) for line in raw_cells["# BEGIN QUESTION"].splitlines()[1:])
    assert question == {"name": "vae_loss", "points": "4"}


def test_otter_master_notebook_solution_and_tests(tmp_path):
    notebook = nbformat.read(others.build_otter_master(tmp_path), as_version=4)
    boundaries = {
        cell.source.splitlines()[0]: index for index, cell in enumerate(notebook.cells) if cell.cell_type == "raw"
    }

    solution_cells = notebook.cells[boundaries["# BEGIN SOLUTION"] + 1 : boundaries["# END SOLUTION"]]
    expected_solution = f"# BEGIN SOLUTION\n{others.submission_source()}# END SOLUTION\n"
    assert [cell.source for cell in solution_cells] == [expected_solution]
    test_cells = notebook.cells[boundaries["# BEGIN TESTS"] + 1 : boundaries["# END TESTS"]]
    assert len(test_cells) == len(TEST_NAMES)
    for cell, name in zip(test_cells, TEST_NAMES):
        assert cell.cell_type == "code"
        assert_is_test_cell(cell.source, name)


def test_otter_submission_fills_answer_cell(tmp_path):
    answer = nbformat.v4.new_code_cell("...\n", metadata={"tags": ["otter_answer_cell"]})
    check = nbformat.v4.new_code_cell('grader.check("vae_loss")')
    student = nbformat.v4.new_notebook(cells=[answer, check])
    nbformat.write(student, tmp_path / "student.ipynb")

    path = others.write_otter_submission(tmp_path / "student.ipynb", tmp_path / "submission" / "vae-loss.ipynb")

    submitted = nbformat.read(path, as_version=4)
    assert submitted.cells[0].source == others.submission_source()
    assert submitted.cells[1].source == 'grader.check("vae_loss")'


def test_otter_results_partial_score_rejected(tmp_path):
    results = tmp_path / "results.json"
    question = {"name": "vae_loss", "score": 3.0, "max_score": 4.0}
    results.write_text(json.dumps({"tests": [OTTER_PUBLIC_TESTS, question]}))

    with pytest.raises(others.GradingRunError, match="3.0 of 4.0 points, expected 4.0 of 4.0"):
        others.check_otter_results(results)


def test_otter_results_full_score_accepted(tmp_path):
    results = tmp_path / "results.json"
    question = {"name": "vae_loss", "score": 4.0, "max_score": 4.0}
    results.write_text(json.dumps({"tests": [OTTER_PUBLIC_TESTS, question]}))

    others.check_otter_results(results)


def test_otter_results_missing_file_rejected(tmp_path):
    with pytest.raises(others.GradingRunError, match="otter run wrote no .*results.json"):
        others.check_otter_results(tmp_path / "results.json")


# The tools' environment and the measurement.


def test_pinned_versions_follow_project_torch():
    pins = others.pinned_versions()

    assert pins["nbgrader"] == others.NBGRADER_VERSION
    assert pins["otter-grader"] == others.OTTER_VERSION
    assert f'"torch=={pins["torch"]}"' in (REPO_ROOT / "pyproject.toml").read_text()


def test_measure_rejects_zero_repeats():
    with pytest.raises(ValueError, match="repeats must be at least 1, got 0"):
        others.measure_other_graders(repeats=0)


def fake_environment(tmp_path, install_errors=None):
    return others.ToolEnvironment(
        path=tmp_path / "venv",
        installed_versions={"nbgrader": others.NBGRADER_VERSION, "otter": others.OTTER_VERSION},
        install_errors=install_errors or {},
    )


def test_measure_reports_failed_installs(tmp_path, monkeypatch):
    errors = {
        "nbgrader": "pip install torch==2.13.0 nbgrader==0.9.6 failed: ERROR: No matching distribution found",
        "otter": "pip install torch==2.13.0 otter-grader==7.0.0 failed: ERROR: No matching distribution found",
    }
    monkeypatch.setattr(others, "prepare_environment", lambda: fake_environment(tmp_path, errors))

    result = others.measure_other_graders(repeats=1)

    assert result["nbgrader_ms"] is None
    assert result["otter_ms"] is None
    assert result["nbgrader_version"] == others.NBGRADER_VERSION
    assert result["otter_version"] == others.OTTER_VERSION
    assert f"nbgrader was not measured because its install failed: {errors['nbgrader']}." in result["notes"]
    assert f"otter was not measured because its install failed: {errors['otter']}." in result["notes"]
    assert "Timed runs" not in result["notes"]


def test_measure_reports_missing_environment(monkeypatch):
    def fail():
        raise others.ToolEnvironmentError("python3.11 was not found on PATH")

    monkeypatch.setattr(others, "prepare_environment", fail)

    result = others.measure_other_graders(repeats=1)

    assert result["nbgrader_ms"] is None
    assert result["otter_ms"] is None
    assert result["notes"] == "Neither tool was measured: python3.11 was not found on PATH."


def test_measure_median_with_one_failed_tool(tmp_path, monkeypatch):
    def failing_nbgrader(environment, work, repeats):
        raise others.GradingRunError("nbgrader autograde (warm-up) failed with exit status 1: no kernel")

    monkeypatch.setattr(others, "prepare_environment", lambda: fake_environment(tmp_path))
    # The work folder of a failed run is kept, so put it under tmp_path.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(others, "time_nbgrader", failing_nbgrader)
    monkeypatch.setattr(others, "time_otter", lambda environment, work, repeats: [3000.0, 1000.0, 2500.0])

    result = others.measure_other_graders(repeats=3)

    assert result["nbgrader_ms"] is None
    assert result["otter_ms"] == 2500.0
    failure = "nbgrader was not measured: nbgrader autograde (warm-up) failed with exit status 1: no kernel."
    assert failure in result["notes"]
    assert f"Its files are kept in {tmp_path}" in result["notes"]
    assert "Timed runs in ms: otter 3000, 1000, 2500." in result["notes"]
    assert "median wall time of 3 grading commands after one untimed warm-up" in result["notes"]


@pytest.mark.bench
def test_measure_other_graders_times_both_tools():
    # Installs nbgrader, otter-grader and torch into var/bench-others/ on the first run (minutes).
    result = others.measure_other_graders(repeats=1)

    assert result["nbgrader_version"] == others.NBGRADER_VERSION
    assert result["otter_version"] == others.OTTER_VERSION
    assert isinstance(result["nbgrader_ms"], float), result["notes"]
    assert isinstance(result["otter_ms"], float), result["notes"]
    assert result["nbgrader_ms"] > 0
    assert result["otter_ms"] > 0
    assert "Timed runs in ms: nbgrader" in result["notes"]
    assert not (REPO_ROOT / ".venv" / "bin" / "nbgrader").exists(), "nbgrader must not be in the project's venv"
