"""Build an exercise's starter notebook and count its graded cells.

A starter notebook holds the statement as Markdown and the starter code in
cells marked with ``GRADED_CELL_MARKER``; only those cells are graded.
"""

from __future__ import annotations

from grader.exercise import Exercise
from grader.submission import GRADED_CELL_MARKER


def build_starter_notebook(exercise: Exercise):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["tensorcraft"] = {"exercise": exercise.slug, "version": exercise.version}
    notebook.cells = [
        nbformat.v4.new_markdown_cell(exercise.statement),
        nbformat.v4.new_code_cell(f"{GRADED_CELL_MARKER}\n{exercise.starter.rstrip()}\n"),
        nbformat.v4.new_markdown_cell(
            "Try your code below; only the graded cell above is submitted. Keep its first line unchanged."
        ),
        nbformat.v4.new_code_cell("# Scratch space: this cell is not graded.\n"),
    ]
    return notebook


def starter_notebook_text(exercise: Exercise) -> str:
    import nbformat

    return nbformat.writes(build_starter_notebook(exercise))


def graded_cell_count(exercise: Exercise) -> int:
    """How many graded cells a notebook for this exercise must have: every starter has exactly one."""
    return 1
