"""Time nbgrader's autograde and otter-grader's run on the same correct VAE-loss submission.

Both tools grade ``vae_loss`` from exercises/vae-loss/variants/canonical.py, put in a notebook the
way each tool expects, against the four tests in bench/assets/vae_loss_tests.py. Only the grading
command is timed, as the wall time of its subprocess, after one untimed warm-up run. Building the
assignment (``nbgrader generate_assignment``, ``otter assign``) happens once beforehand, untimed.

The tools live in their own virtual environment under var/bench-others/, never in the project's
.venv, so their dependencies cannot move the project's pinned packages. That environment also gets
the project's torch pin, because both tools run the submission in a kernel started from it.

Run ``python -m bench.others`` to print the measurement as JSON.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import dataclasses
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import nbformat

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = Path(__file__).resolve().parent / "assets"
TESTS_PATH = ASSETS_DIR / "vae_loss_tests.py"
EXERCISE_DIR = REPO_ROOT / "exercises" / "vae-loss"
SUBMISSION_PATH = EXERCISE_DIR / "variants" / "canonical.py"
ENVIRONMENT_DIR = REPO_ROOT / "var" / "bench-others"

NBGRADER_VERSION = "0.9.6"
OTTER_VERSION = "7.0.0"
# The PyPI distribution of each tool, by the tool name used in results and notes.
TOOL_DISTRIBUTIONS = {"nbgrader": "nbgrader", "otter": "otter-grader"}
TOOL_VERSIONS = {"nbgrader": NBGRADER_VERSION, "otter": OTTER_VERSION}

ASSIGNMENT_ID = "vae-loss"
# The function the learner writes. Every test cell passes it to its test function.
ENTRY_POINT = "vae_loss"
STUDENT_ID = "learner"
# The nbgrader grade_id and the otter question name of the cell that contains the learner's code.
SOLUTION_CELL_ID = "vae_loss"
OTTER_ANSWER_TAG = "otter_answer_cell"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

VENV_CREATE_TIMEOUT_S = 300
PIP_INSTALL_TIMEOUT_S = 1800
ASSIGN_TIMEOUT_S = 600
GRADE_TIMEOUT_S = 600
# nbgrader's execution limit for one cell. It is generous because importing torch in the solution
# cell can take tens of seconds on a loaded machine.
NBGRADER_CELL_TIMEOUT_S = 120

DROPPED_ENVIRONMENT_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH")


class ToolEnvironmentError(RuntimeError):
    """The tools' virtual environment could not be created."""


class GradingRunError(RuntimeError):
    """A tool's command failed, timed out or did not give the correct submission full marks."""


@dataclasses.dataclass(frozen=True)
class ToolEnvironment:
    path: Path
    installed_versions: dict[str, str | None]  # tool name -> installed version, None if missing
    install_errors: dict[str, str]  # tool name -> reason it is not installed

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def executable(self, name: str) -> Path:
        return self.path / "bin" / name


# Sources shared by both tools.


def submission_source() -> str:
    """Return canonical.py without its module docstring: the code a learner would paste in."""
    text = SUBMISSION_PATH.read_text()
    module = ast.parse(text)
    first = module.body[0] if module.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        text = "\n".join(text.splitlines()[first.end_lineno :])
    return text.strip() + "\n"


def test_sources() -> dict[str, str]:
    """Return each test function of bench/assets/vae_loss_tests.py by name, as source text, in file order."""
    text = TESTS_PATH.read_text()
    sources = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            sources[node.name] = ast.get_source_segment(text, node)
    if not sources:
        raise ValueError(f"{TESTS_PATH} defines no test_ function")
    return sources


def test_cell_source(name: str, function_source: str) -> str:
    """Return a test cell: the function, then a call that passes it the learner's ``vae_loss``."""
    return f"{function_source}\n\n\n{name}({ENTRY_POINT})\n"


def statement_markdown() -> str:
    return (EXERCISE_DIR / "statement.md").read_text()


# nbgrader: a course directory with source/, release/ and submitted/ folders and an SQLite gradebook.


@dataclasses.dataclass(frozen=True)
class NbgraderCourse:
    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / "nbgrader_config.py"

    @property
    def gradebook_path(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def source_notebook(self) -> Path:
        return self.root / "source" / ASSIGNMENT_ID / f"{ASSIGNMENT_ID}.ipynb"

    @property
    def release_notebook(self) -> Path:
        return self.root / "release" / ASSIGNMENT_ID / f"{ASSIGNMENT_ID}.ipynb"

    @property
    def submitted_notebook(self) -> Path:
        return self.root / "submitted" / STUDENT_ID / ASSIGNMENT_ID / f"{ASSIGNMENT_ID}.ipynb"

    @property
    def autograded_notebook(self) -> Path:
        return self.root / "autograded" / STUDENT_ID / ASSIGNMENT_ID / f"{ASSIGNMENT_ID}.ipynb"


def nbgrader_cell_metadata(*, grade_id: str, solution: bool, grade: bool, points: int = 0) -> dict:
    """Return the ``nbgrader`` metadata of a cell (schema version 3)."""
    metadata = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        metadata["points"] = points
    return metadata


def build_nbgrader_source_notebook():
    """Build the instructor's notebook: the statement, the solution cell and one graded cell per test."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}

    statement = nbformat.v4.new_markdown_cell(statement_markdown())
    statement.metadata["nbgrader"] = nbgrader_cell_metadata(grade_id="statement", solution=False, grade=False)
    notebook.cells.append(statement)

    # generate_assignment replaces everything between the markers with a NotImplementedError stub.
    solution = nbformat.v4.new_code_cell(f"### BEGIN SOLUTION\n{submission_source()}### END SOLUTION\n")
    solution.metadata["nbgrader"] = nbgrader_cell_metadata(grade_id=SOLUTION_CELL_ID, solution=True, grade=False)
    notebook.cells.append(solution)

    for name, function_source in test_sources().items():
        test = nbformat.v4.new_code_cell(test_cell_source(name, function_source))
        test.metadata["nbgrader"] = nbgrader_cell_metadata(grade_id=name, solution=False, grade=True, points=1)
        notebook.cells.append(test)
    return notebook


def nbgrader_config_text(course: NbgraderCourse) -> str:
    gradebook_url = f"sqlite:///{course.gradebook_path}"
    return (
        "c = get_config()\n"
        'c.CourseDirectory.course_id = "tensorcraft-bench"\n'
        f"c.CourseDirectory.root = {str(course.root)!r}\n"
        f"c.CourseDirectory.db_url = {gradebook_url!r}\n"
        f"c.Execute.timeout = {NBGRADER_CELL_TIMEOUT_S}\n"
    )


def build_nbgrader_course(root: Path) -> NbgraderCourse:
    """Write nbgrader_config.py and source/vae-loss/vae-loss.ipynb under ``root``, an empty folder."""
    course = NbgraderCourse(root)
    course.source_notebook.parent.mkdir(parents=True, exist_ok=True)
    course.config_path.write_text(nbgrader_config_text(course))
    nbformat.write(build_nbgrader_source_notebook(), course.source_notebook)
    return course


def fill_nbgrader_solution(notebook, source: str):
    """Return a copy of a released notebook whose solution cell contains ``source``, as a learner would submit it."""
    submitted = copy.deepcopy(notebook)
    cells = [cell for cell in submitted.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == SOLUTION_CELL_ID]
    if len(cells) != 1:
        raise ValueError(f"expected one cell with nbgrader grade_id {SOLUTION_CELL_ID!r}, found {len(cells)}")
    cells[0].source = source
    return submitted


def write_nbgrader_submission(course: NbgraderCourse) -> Path:
    """Copy the released notebook into submitted/learner/vae-loss/ with the canonical solution filled in."""
    released = nbformat.read(course.release_notebook, as_version=4)
    course.submitted_notebook.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(fill_nbgrader_solution(released, submission_source()), course.submitted_notebook)
    return course.submitted_notebook


# otter-grader: a master notebook in Otter Assign's format, with raw cells that open and close blocks.


def otter_assignment_config() -> str:
    # No export or check-all cells, because they serve learners running the notebook in Jupyter.
    # ok_format: false selects exception-based tests, which pass unless they raise, like nbgrader's
    # graded cells. Otter Assign otherwise turns each test cell into a doctest that compares output.
    return (
        "# ASSIGNMENT CONFIG\n"
        f"name: {ASSIGNMENT_ID}\n"
        "export_cell: false\n"
        "check_all_cell: false\n"
        "generate: true\n"
        "tests:\n"
        "  ok_format: false\n"
    )


def build_otter_master_notebook():
    """Build the master notebook for ``otter assign``: one question whose tests are the shared test functions."""
    tests = test_sources()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    raw = nbformat.v4.new_raw_cell
    notebook.cells = [
        raw(otter_assignment_config()),
        nbformat.v4.new_markdown_cell(statement_markdown()),
        raw(f"# BEGIN QUESTION\nname: {SOLUTION_CELL_ID}\npoints: {len(tests)}\n"),
        raw("# BEGIN SOLUTION"),
        # otter assign replaces the lines between the markers with "..." in the learner's notebook.
        nbformat.v4.new_code_cell(f"# BEGIN SOLUTION\n{submission_source()}# END SOLUTION\n"),
        raw("# END SOLUTION"),
        raw("# BEGIN TESTS"),
        *(nbformat.v4.new_code_cell(test_cell_source(name, source)) for name, source in tests.items()),
        raw("# END TESTS"),
        raw("# END QUESTION"),
    ]
    return notebook


def build_otter_master(folder: Path) -> Path:
    """Write the master notebook to ``folder``/vae-loss.ipynb and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ASSIGNMENT_ID}.ipynb"
    nbformat.write(build_otter_master_notebook(), path)
    return path


def fill_otter_answer(notebook, source: str):
    """Return a copy of the learner's notebook from ``otter assign`` whose answer cell contains ``source``."""
    submitted = copy.deepcopy(notebook)
    cells = [cell for cell in submitted.cells if OTTER_ANSWER_TAG in cell.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"expected one cell tagged {OTTER_ANSWER_TAG!r}, found {len(cells)}")
    cells[0].source = source
    return submitted


def write_otter_submission(student_notebook: Path, destination: Path) -> Path:
    """Write the learner's notebook from ``otter assign`` to ``destination`` with the canonical solution filled in."""
    student = nbformat.read(student_notebook, as_version=4)
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(fill_otter_answer(student, submission_source()), destination)
    return destination


# The tools' virtual environment.


def torch_requirement() -> str:
    """Return the project's torch pin from pyproject.toml, so the tools grade on the same torch as ours."""
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    for requirement in dependencies:
        if re.match(r"torch\s*==", requirement):
            return requirement.replace(" ", "")
    raise ToolEnvironmentError("pyproject.toml pins no torch==VERSION in [project] dependencies")


def pinned_versions() -> dict[str, str]:
    """Return the pinned version of each distribution the tools' environment needs, by distribution name."""
    return {
        "torch": torch_requirement().split("==", 1)[1],
        **{TOOL_DISTRIBUTIONS[tool]: version for tool, version in TOOL_VERSIONS.items()},
    }


def ensure_environment() -> Path:
    """Create var/bench-others/ with the pinned tools when it is missing or out of date, and return its path.

    Safe to call again: it installs only distributions whose installed version differs from the pin.
    A tool whose install fails is logged and left out, and ``measure_other_graders`` reports it in
    its notes. Raises ``ToolEnvironmentError`` when the virtual environment itself cannot be created.
    """
    environment = prepare_environment()
    for tool, reason in environment.install_errors.items():
        logger.warning("installing %s into %s failed: %s", tool, environment.path, reason)
    return environment.path


def prepare_environment(path: Path = ENVIRONMENT_DIR) -> ToolEnvironment:
    """Create or update the tools' virtual environment at ``path``, and return its versions and install errors."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Two benchmark runs at once would otherwise run pip in the same environment concurrently.
    with _exclusive_lock(path.parent / f"{path.name}.lock"):
        python = path / "bin" / "python"
        if not python.exists():
            _create_venv(path)

        pins = pinned_versions()
        installed = _installed_versions(python, list(pins))
        outdated = [name for name, version in pins.items() if not _is_version(installed[name], version)]
        install_errors: dict[str, str] = {}
        if outdated:
            logger.info("installing %s into %s (the first install takes several minutes)", ", ".join(outdated), path)
            try:
                _pip_install(python, [f"{name}=={pins[name]}" for name in outdated])
            except ToolEnvironmentError:
                # One command for both tools fails as a whole, so install each tool on its own.
                for tool, distribution in TOOL_DISTRIBUTIONS.items():
                    try:
                        _pip_install(python, [torch_requirement(), f"{distribution}=={pins[distribution]}"])
                    except ToolEnvironmentError as error:
                        install_errors[tool] = str(error)
            installed = _installed_versions(python, list(pins))

    tool_versions = {tool: installed[distribution] for tool, distribution in TOOL_DISTRIBUTIONS.items()}
    for tool, distribution in TOOL_DISTRIBUTIONS.items():
        if tool not in install_errors and not _is_version(installed[distribution], pins[distribution]):
            install_errors[tool] = (
                f"{distribution} {installed[distribution]} is installed, not the pinned {pins[distribution]}"
            )
        if not _is_version(installed["torch"], pins["torch"]):
            install_errors.setdefault(tool, f"torch {installed['torch']} is installed, not the pinned {pins['torch']}")
    return ToolEnvironment(path=path, installed_versions=tool_versions, install_errors=install_errors)


@contextlib.contextmanager
def _exclusive_lock(lock_path: Path):
    with lock_path.open("w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _is_version(installed: str | None, pinned: str) -> bool:
    # A local version label such as "+cpu" names the build, not a different release.
    return installed is not None and installed.split("+", 1)[0] == pinned


def _create_venv(path: Path) -> None:
    # Python 3.11 because the project's torch pin ships wheels for it (see pyproject.toml).
    base_python = shutil.which("python3.11")
    if base_python is None and sys.version_info[:2] == (3, 11):
        base_python = sys.executable
    if base_python is None:
        raise ToolEnvironmentError("python3.11 was not found on PATH. Install Python 3.11, as scripts/setup.sh does")

    logger.info("creating the virtual environment %s with %s", path, base_python)
    try:
        completed = subprocess.run(
            [base_python, "-m", "venv", str(path)], capture_output=True, text=True, timeout=VENV_CREATE_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise ToolEnvironmentError(f"creating the virtual environment {path} timed out after {VENV_CREATE_TIMEOUT_S} s")
    if completed.returncode != 0:
        shutil.rmtree(path, ignore_errors=True)
        raise ToolEnvironmentError(
            f"creating the virtual environment {path} failed: {_last_lines(completed.stderr or completed.stdout)}"
        )


def _installed_versions(python: Path, distributions: list[str]) -> dict[str, str | None]:
    script = (
        "import importlib.metadata, json, sys\n"
        "versions = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        versions[name] = importlib.metadata.version(name)\n"
        "    except importlib.metadata.PackageNotFoundError:\n"
        "        versions[name] = None\n"
        "print(json.dumps(versions))\n"
    )
    try:
        completed = subprocess.run(
            [str(python), "-c", script, *distributions], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ToolEnvironmentError(
            f"{python} failed to list its packages ({error}). Delete {python.parent.parent} to have it created again"
        )
    if completed.returncode != 0:
        raise ToolEnvironmentError(
            f"{python} failed to list its packages ({_last_lines(completed.stderr)}). "
            f"Delete {python.parent.parent} to have it created again"
        )
    return json.loads(completed.stdout)


def _pip_install(python: Path, requirements: list[str]) -> None:
    command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=PIP_INSTALL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ToolEnvironmentError(f"pip install {' '.join(requirements)} timed out after {PIP_INSTALL_TIMEOUT_S} s")
    if completed.returncode != 0:
        # pip's output can start with many warnings, so keep its ERROR lines, which give the reason.
        errors = [line for line in completed.stderr.splitlines() if line.startswith("ERROR:")]
        # The list of every released version that pip adds to "Could not find a version" runs to pages.
        errors = [re.sub(r"\s*\(from versions: [^)]*\)", "", line) for line in errors]
        reason = " ".join(errors[-3:]) if errors else _last_lines(completed.stderr)
        raise ToolEnvironmentError(f"pip install {' '.join(requirements)} failed: {reason}")


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) if lines else "no output"


# Running and timing the tools.


def tool_environment_variables(environment: ToolEnvironment, home: Path) -> dict[str, str]:
    """Return the environment for the tools' commands: the venv first on PATH, Jupyter's folders under ``home``.

    Private Jupyter and IPython folders keep kernelspecs and settings of this machine's user out of
    the run, and PYTHONPATH is dropped so the kernel imports nothing from the project's checkout.
    """
    variables = {name: value for name, value in os.environ.items() if name not in DROPPED_ENVIRONMENT_VARIABLES}
    variables["PATH"] = f"{environment.path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    variables["VIRTUAL_ENV"] = str(environment.path)
    variables["JUPYTER_CONFIG_DIR"] = str(home / "jupyter-config")
    variables["JUPYTER_DATA_DIR"] = str(home / "jupyter-data")
    variables["JUPYTER_RUNTIME_DIR"] = str(home / "jupyter-runtime")
    variables["JUPYTER_PLATFORM_DIRS"] = "1"
    variables["IPYTHONDIR"] = str(home / "ipython")
    return variables


def run_tool(command: list[str], *, cwd: Path, env: dict[str, str], timeout_s: float, description: str) -> float:
    """Run one tool command to completion and return its wall time in milliseconds.

    Raises ``GradingRunError`` when it exits non-zero or runs past ``timeout_s``. On a timeout the
    whole process group, kernels included, is killed.
    """
    logger.info("running %s", description)
    start = time.perf_counter()
    try:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
    except OSError as error:
        raise GradingRunError(f"{description} could not be started: {error}")
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise GradingRunError(f"{description} timed out after {timeout_s} s")
    elapsed_ms = (time.perf_counter() - start) * 1000

    if process.returncode != 0:
        raise GradingRunError(
            f"{description} failed with exit status {process.returncode}: {_last_lines(stderr or stdout)}"
        )
    logger.info("%s took %.0f ms", description, elapsed_ms)
    return elapsed_ms


def time_nbgrader(environment: ToolEnvironment, work: Path, repeats: int) -> list[float]:
    """Generate the assignment once, then time ``nbgrader autograde`` one warm-up plus ``repeats`` times."""
    course = build_nbgrader_course(work / "course")
    env = tool_environment_variables(environment, work / "home")
    nbgrader = str(environment.executable("nbgrader"))
    run_tool(
        [nbgrader, "generate_assignment", ASSIGNMENT_ID, "--force"],
        cwd=course.root,
        env=env,
        timeout_s=ASSIGN_TIMEOUT_S,
        description="nbgrader generate_assignment",
    )
    write_nbgrader_submission(course)

    # --force makes nbgrader grade the submission again although an earlier run left its autograded copy.
    command = [nbgrader, "autograde", ASSIGNMENT_ID, "--force"]
    timings = []
    for run_index in range(repeats + 1):
        description = "nbgrader autograde (warm-up)" if run_index == 0 else f"nbgrader autograde (run {run_index})"
        elapsed_ms = run_tool(command, cwd=course.root, env=env, timeout_s=GRADE_TIMEOUT_S, description=description)
        check_nbgrader_score(environment, course, env)
        if run_index > 0:
            timings.append(elapsed_ms)
    return timings


def check_nbgrader_score(environment: ToolEnvironment, course: NbgraderCourse, env: dict[str, str]) -> None:
    """Raise ``GradingRunError`` unless the gradebook gives the submission every point of every test."""
    script = (
        "import json, sys\n"
        "from nbgrader.api import Gradebook\n"
        "with Gradebook(sys.argv[1]) as gradebook:\n"
        "    submission = gradebook.find_submission(sys.argv[2], sys.argv[3])\n"
        "    grades = {}\n"
        "    for notebook in submission.notebooks:\n"
        "        for grade in notebook.grades:\n"
        "            grades[grade.name] = [grade.score, grade.max_score]\n"
        "print(json.dumps(grades))\n"
    )
    url = f"sqlite:///{course.gradebook_path}"
    try:
        completed = subprocess.run(
            [str(environment.python), "-c", script, url, ASSIGNMENT_ID, STUDENT_ID],
            cwd=course.root, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise GradingRunError(f"reading nbgrader's gradebook {course.gradebook_path} timed out after 120 s")
    if completed.returncode != 0:
        raise GradingRunError(
            f"reading nbgrader's gradebook {course.gradebook_path} failed: {_last_lines(completed.stderr)}"
        )

    grades = json.loads(completed.stdout)
    expected = {name: [1.0, 1.0] for name in test_sources()}
    if grades != expected:
        raise GradingRunError(
            f"nbgrader did not give the correct submission full marks: score and max score by test {grades}, "
            f"expected {expected}; see {course.autograded_notebook}"
        )


def time_otter(environment: ToolEnvironment, work: Path, repeats: int) -> list[float]:
    """Run ``otter assign`` once, then time ``otter run`` one warm-up plus ``repeats`` times."""
    master = build_otter_master(work / "master")
    dist = work / "dist"
    env = tool_environment_variables(environment, work / "home")
    otter = str(environment.executable("otter"))
    # otter assign also runs the tests against the solution, which checks the tests before timing.
    run_tool(
        [otter, "assign", str(master), str(dist)],
        cwd=master.parent,
        env=env,
        timeout_s=ASSIGN_TIMEOUT_S,
        description="otter assign",
    )
    autograder_zips = sorted((dist / "autograder").glob("*.zip"))
    if len(autograder_zips) != 1:
        raise GradingRunError(
            f"otter assign wrote {len(autograder_zips)} autograder zip files to {dist / 'autograder'}, expected 1"
        )
    submission = write_otter_submission(
        dist / "student" / f"{ASSIGNMENT_ID}.ipynb", work / "submission" / f"{ASSIGNMENT_ID}.ipynb"
    )
    results_dir = work / "results"
    results_dir.mkdir()

    # otter run grades in this environment, without a container, because otter grade needs Docker.
    command = [
        otter, "run", "--no-logo",
        "--autograder", str(autograder_zips[0]),
        "--output-dir", str(results_dir),
        str(submission),
    ]  # fmt: skip
    timings = []
    for run_index in range(repeats + 1):
        (results_dir / "results.json").unlink(missing_ok=True)
        description = "otter run (warm-up)" if run_index == 0 else f"otter run (run {run_index})"
        elapsed_ms = run_tool(
            command, cwd=submission.parent, env=env, timeout_s=GRADE_TIMEOUT_S, description=description
        )
        check_otter_results(results_dir / "results.json")
        if run_index > 0:
            timings.append(elapsed_ms)
    return timings


def check_otter_results(results_path: Path) -> None:
    """Raise ``GradingRunError`` unless otter's results.json gives the submission every point."""
    if not results_path.exists():
        raise GradingRunError(f"otter run wrote no {results_path}")
    tests = json.loads(results_path.read_text()).get("tests", [])
    # The "Public Tests" entry repeats the public results without a score of its own.
    scored = [test for test in tests if "max_score" in test]
    score = sum(test.get("score") or 0.0 for test in scored)
    max_score = sum(test["max_score"] for test in scored)
    expected = float(len(test_sources()))
    if max_score != expected or score != max_score:
        raise GradingRunError(
            f"otter did not give the correct submission full marks: {score} of {max_score} points, "
            f"expected {expected} of {expected}; see {results_path}"
        )


# The measurement.


def measure_other_graders(repeats: int = 3) -> dict:
    """Time nbgrader's autograde and otter-grader's run on the canonical VAE-loss submission.

    ``nbgrader_ms`` and ``otter_ms`` are each the median wall time in milliseconds of ``repeats``
    timed grading commands after one untimed warm-up. Either is None when its tool could not be
    installed or did not give the submission full marks. ``nbgrader_version`` and ``otter_version``
    are the installed versions, or the pinned ones when the install failed. ``notes`` describes
    how the runs were set up, lists every timed run and gives the reason for each None. Installs
    the tools into var/bench-others/ first when needed.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")

    result = {
        "nbgrader_ms": None,
        "otter_ms": None,
        "nbgrader_version": NBGRADER_VERSION,
        "otter_version": OTTER_VERSION,
        "notes": "",
    }
    try:
        environment = prepare_environment()
    except ToolEnvironmentError as error:
        logger.error("the tools' environment could not be prepared: %s", error)
        result["notes"] = _as_sentence(f"Neither tool was measured: {error}")
        return result

    load_at_start = os.getloadavg()[0]
    notes = []
    run_notes = []
    for tool, time_tool in (("nbgrader", time_nbgrader), ("otter", time_otter)):
        if tool in environment.install_errors:
            reason = environment.install_errors[tool]
            notes.append(_as_sentence(f"{tool} was not measured because its install failed: {reason}"))
            continue
        result[f"{tool}_version"] = environment.installed_versions[tool]

        work = Path(tempfile.mkdtemp(prefix=f"bench-{tool}-"))
        try:
            timings = time_tool(environment, work, repeats)
        except GradingRunError as error:
            # The files stay for inspection: the course or the results that the message points to.
            logger.error("%s was not measured: %s (its files are kept in %s)", tool, error, work)
            notes.append(_as_sentence(f"{tool} was not measured: {error}. Its files are kept in {work}"))
            continue
        shutil.rmtree(work, ignore_errors=True)
        result[f"{tool}_ms"] = round(statistics.median(timings), 1)
        run_notes.append(f"{tool} {', '.join(f'{elapsed_ms:.0f}' for elapsed_ms in timings)}")

    notes.append(setup_notes(repeats))
    if run_notes:
        notes.append(f"Timed runs in ms: {'; '.join(run_notes)}.")
    notes.append(
        f"Load average {load_at_start:.1f} at the start and {os.getloadavg()[0]:.1f} at the end, "
        f"on {os.cpu_count()} CPUs."
    )
    result["notes"] = " ".join(notes)
    return result


def _as_sentence(text: str) -> str:
    return text if text.endswith(".") else f"{text}."


def setup_notes(repeats: int) -> str:
    test_count = len(test_sources())
    return (
        f"Both tools grade the canonical vae_loss against the same {test_count} tests, one point each. "
        f"nbgrader: 'nbgrader autograde {ASSIGNMENT_ID} --force' on one submitted notebook in a course "
        "directory with an SQLite gradebook, after one untimed 'nbgrader generate_assignment'. "
        "otter-grader: 'otter run' without a container, with the autograder zip of one untimed "
        "'otter assign'. 'otter grade' was not used because it needs Docker. "
        f"Each figure is the median wall time of {repeats} grading command{'s' if repeats != 1 else ''} "
        "after one untimed warm-up. Every command starts its own Python kernel, which imports torch."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.others",
        description="Time nbgrader autograde and otter run on the canonical VAE-loss submission, "
        "and print the result as JSON.",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed grading commands per tool, after one warm-up (default: 3)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    result = measure_other_graders(args.repeats)
    print(json.dumps(result, indent=2))
    # Exit status 1 means that at least one tool has no figure, and the notes give the reason.
    return 0 if result["nbgrader_ms"] is not None and result["otter_ms"] is not None else 1


if __name__ == "__main__":
    sys.exit(main())
