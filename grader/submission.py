"""Turn a submitted file, a Python module or a Jupyter notebook, into the learner's source code.

Runs on the trusted side and never executes the code. A notebook is read
with nbformat; the graded cells are the code cells whose first line is the
marker comment that the starter notebook puts there.
"""

from __future__ import annotations

import ast
import json

from grader.errors import SubmissionError

MAX_SOURCE_BYTES = 256 * 1024
MAX_NOTEBOOK_BYTES = 8 * 1024 * 1024
GRADED_CELL_MARKER = "# tensorcraft: graded cell"


def source_from_bytes(data: bytes, filename: str, *, graded_cells: int | None = None) -> str:
    """Return the Python source to grade from a file's bytes; ``filename`` decides the format."""
    if filename.endswith(".ipynb"):
        return source_from_notebook(data, graded_cells=graded_cells)
    if not filename.endswith(".py"):
        raise SubmissionError(f"the file {filename!r} is neither a .py module nor an .ipynb notebook")
    if len(data) > MAX_SOURCE_BYTES:
        raise SubmissionError(f"the file is {len(data)} bytes; the limit is {MAX_SOURCE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionError(f"the file is not valid UTF-8 (byte {error.start})") from error


def source_from_notebook(data: bytes, *, graded_cells: int | None = None) -> str:
    """Join the notebook's graded cells into one module.

    ``graded_cells`` is how many graded cells the starter notebook has; when
    given, a notebook with more or fewer marked cells is rejected, since one
    was deleted or duplicated.
    """
    import nbformat  # imported here: it costs about a second, and only notebooks need it

    if len(data) > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(f"the notebook is {len(data)} bytes; the limit is {MAX_NOTEBOOK_BYTES} bytes")
    try:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
    except UnicodeDecodeError as error:
        raise SubmissionError(f"the notebook is not valid UTF-8 (byte {error.start})") from error
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as error:
        raise SubmissionError(f"the notebook is not valid JSON: {error}") from error
    except nbformat.ValidationError as error:
        raise SubmissionError(f"the notebook does not follow the nbformat schema: {error.message}") from error
    except Exception as error:  # nbformat raises several types for malformed input
        raise SubmissionError(f"the notebook could not be read: {error}") from error

    graded = []
    for index, cell in enumerate(notebook.cells):
        if cell.source.lstrip().startswith(GRADED_CELL_MARKER):
            if cell.cell_type != "code":
                raise SubmissionError(
                    f"cell {index + 1} is marked as graded but is a {cell.cell_type} cell; "
                    "change it back to a code cell"
                )
            graded.append(cell.source)
    if not graded:
        raise SubmissionError(
            f"the notebook has no graded cell; graded cells start with the line {GRADED_CELL_MARKER!r} "
            "(download the starter notebook to see them)"
        )
    if graded_cells is not None and len(graded) != graded_cells:
        raise SubmissionError(
            f"the notebook has {len(graded)} graded cells but the starter has {graded_cells}; "
            "a graded cell was deleted or duplicated"
        )
    return "\n\n".join(graded) + "\n"


def forbidden_names_used(source: str, forbidden_calls: tuple[str, ...]) -> list[str]:
    """Find forbidden calls named directly in the source, such as ``torch.logsumexp`` or ``x.logsumexp``.

    This static scan complements the run-time guards in the harness; neither
    alone catches every indirect call.
    """
    if not forbidden_calls:
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    attributes = {dotted.rsplit(".", 1)[-1]: dotted for dotted in forbidden_calls}
    found = set()
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.alias):
            name = node.name.rsplit(".", 1)[-1]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value
        if name in attributes:
            found.add(attributes[name])
    return sorted(found)
