"""Notebook submissions: the graded cells are found with nbformat; broken notebooks get clear errors."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.errors import SubmissionError
from grader.exercise import get_exercise
from grader.notebooks import build_starter_notebook
from grader.submission import GRADED_CELL_MARKER, source_from_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]
CANONICAL = (REPO_ROOT / "exercises" / "vae-loss" / "variants" / "canonical.py").read_text()


def solved_notebook():
    notebook = build_starter_notebook(get_exercise("vae-loss"))
    notebook.cells[1].source = f"{GRADED_CELL_MARKER}\n{CANONICAL}"
    return notebook


def as_bytes(notebook):
    return nbformat.writes(notebook).encode()


def test_starter_notebook_has_one_graded_code_cell():
    notebook = build_starter_notebook(get_exercise("vae-loss"))

    graded = [cell for cell in notebook.cells if cell.source.startswith(GRADED_CELL_MARKER)]
    assert len(graded) == 1
    assert graded[0].cell_type == "code"
    assert "def vae_loss" in graded[0].source
    nbformat.validate(notebook)


def test_graded_cell_source_is_extracted():
    source = source_from_bytes(as_bytes(solved_notebook()), "mine.ipynb", graded_cells=1)

    assert source.startswith(GRADED_CELL_MARKER)
    assert "reduction=\"none\"" in source
    assert "Scratch space" not in source


def test_notebook_graded_through_cli_passes(tmp_path):
    path = tmp_path / "mine.ipynb"
    path.write_bytes(as_bytes(solved_notebook()))

    result = subprocess.run([sys.executable, "-m", "grader", "grade", "vae-loss", str(path), "--json"],
                            capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "passed"


def test_malformed_notebook_is_rejected_with_reason(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [')

    result = subprocess.run([sys.executable, "-m", "grader", "grade", "vae-loss", str(path), "--json"],
                            capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)

    assert result.returncode == 1
    verdict = json.loads(result.stdout)
    assert verdict["status"] == "error"
    assert verdict["reason"] == "invalid_submission"
    assert "not valid JSON" in verdict["message"]


def test_deleted_graded_cell_is_rejected():
    notebook = solved_notebook()
    del notebook.cells[1]

    with pytest.raises(SubmissionError, match="no graded cell"):
        source_from_bytes(as_bytes(notebook), "mine.ipynb", graded_cells=1)


def test_duplicated_graded_cell_is_rejected():
    notebook = solved_notebook()
    notebook.cells.insert(2, nbformat.v4.new_code_cell(notebook.cells[1].source))

    with pytest.raises(SubmissionError, match="has 2 graded cells but the starter has 1"):
        source_from_bytes(as_bytes(notebook), "mine.ipynb", graded_cells=1)


def test_graded_cell_changed_to_markdown_is_rejected():
    notebook = solved_notebook()
    notebook.cells[1] = nbformat.v4.new_markdown_cell(notebook.cells[1].source)

    with pytest.raises(SubmissionError, match="cell 2 is marked as graded but is a markdown cell"):
        source_from_bytes(as_bytes(notebook), "mine.ipynb", graded_cells=1)


def test_notebook_breaking_schema_is_rejected():
    data = json.loads(as_bytes(solved_notebook()))
    data["cells"][1]["cell_type"] = "spreadsheet"

    with pytest.raises(SubmissionError, match="nbformat schema|could not be read"):
        source_from_bytes(json.dumps(data).encode(), "mine.ipynb", graded_cells=1)


def test_other_file_types_are_rejected():
    with pytest.raises(SubmissionError, match="neither a .py module nor an .ipynb notebook"):
        source_from_bytes(b"x = 1", "solution.txt")
