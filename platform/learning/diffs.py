"""Side-by-side diffs of two submissions, rendered on the server with difflib."""

from __future__ import annotations

import difflib

from django.utils.safestring import SafeString, mark_safe

from learning.models import Submission

# Long lines wrap at this many characters, so the table fits a narrow screen
# with horizontal scrolling inside its own box only.
WRAP_COLUMN = 60


def submission_diff_html(*, old: Submission, new: Submission) -> SafeString:
    """Render the changes from ``old`` to ``new`` as an HTML table, showing 3 lines of context around each change.

    ``difflib.HtmlDiff`` escapes ``&``, ``<`` and ``>`` in the learner's code
    (CPython 3.11 ``HtmlDiff._format_line``), and the code only ever lands in
    element content, so marking the table safe cannot inject markup.
    """
    table = difflib.HtmlDiff(tabsize=4, wrapcolumn=WRAP_COLUMN).make_table(
        old.source.splitlines(),
        new.source.splitlines(),
        fromdesc=f"Attempt #{old.attempt}",
        todesc=f"Attempt #{new.attempt}",
        context=True,
        numlines=3,
    )
    return mark_safe(table)
