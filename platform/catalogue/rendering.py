"""Render Markdown with TeX math into sanitized HTML, with the math as MathML.

Exercise statements, lessons and questions are Markdown in which ``$...$`` is
inline math and ``$$...$$`` is display math. The math is converted on the
server with latex2mathml, so pages need no JavaScript or CDN to show it:
browsers render MathML Core natively (Chromium since version 109, Firefox and
Safari for longer).

The steps:

1. Replace each formula with a placeholder made of letters and digits, which
   Markdown leaves alone, so that ``_`` and ``*`` inside TeX are not read as
   emphasis. Fenced code blocks and inline code spans are skipped, so a ``$``
   in code stays a dollar sign, and ``\\$`` outside code is a literal dollar
   sign. Inline math follows Pandoc's rule: no space after the opening ``$``,
   none before the closing one, and no digit right after it, so "$5 and $10"
   is text. It may not contain a backtick, so it never swallows a code span.
2. Convert the Markdown to HTML with python-markdown.
3. Put the MathML in place of the placeholders.
4. Sanitize the result with bleach, allowing the HTML that Markdown produces
   and the MathML elements that latex2mathml produces.

NOTE: code indented by four spaces is not skipped in step 1, so write code
in fenced blocks when it contains ``$``.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import logging
import re
import secrets

import bleach
import markdown
from latex2mathml.converter import convert as latex_to_mathml

logger = logging.getLogger(__name__)

MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]
MARKDOWN_EXTENSION_CONFIGS = {"tables": {"use_align_attribute": True}}

_MATH_OR_CODE = re.compile(
    r"""
    (?P<fence>^[ \t]{0,3}(?P<marker>`{3,}|~{3,})[^\n]*\n.*?^[ \t]{0,3}(?P=marker)[ \t]*$)
    | (?P<code>(?P<ticks>`+).+?(?<!`)(?P=ticks)(?!`))
    | (?P<dollar>\\\$)
    | \$\$(?P<display>.+?)\$\$
    | \$(?P<inline>[^\s$`](?:[^$`]*?[^\s$`\\])?)\$(?!\d)
    """,
    re.MULTILINE | re.DOTALL | re.VERBOSE,
)

HTML_TAGS = {
    "a", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
MATHML_TAGS = {
    "math", "menclose", "merror", "mfrac", "mi", "mmultiscripts", "mn", "mo", "mover", "mpadded",
    "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle", "msub",
    "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder", "munderover", "none",
}  # fmt: skip
_MATHML_PRESENTATION = ["mathvariant", "mathcolor", "mathbackground", "mathsize", "displaystyle", "scriptlevel"]
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "img": ["src", "alt", "title"],
    "code": ["class"],
    "span": ["class"],
    "ol": ["start"],
    "th": ["align"],
    "td": ["align"],
    "math": ["xmlns", "display", *_MATHML_PRESENTATION],
    "mi": _MATHML_PRESENTATION,
    "mn": _MATHML_PRESENTATION,
    "mtext": _MATHML_PRESENTATION,
    "mstyle": _MATHML_PRESENTATION,
    "mrow": _MATHML_PRESENTATION,
    "mo": [
        "accent", "fence", "form", "largeop", "lspace", "maxsize", "minsize", "movablelimits",
        "rspace", "separator", "stretchy", "symmetric", *_MATHML_PRESENTATION,
    ],  # fmt: skip
    "mover": ["accent"],
    "munder": ["accentunder"],
    "munderover": ["accent", "accentunder"],
    "mfrac": ["linethickness"],
    "mspace": ["width", "height", "depth"],
    "mpadded": ["width", "height", "depth", "lspace", "voffset"],
    "mtable": ["columnalign", "rowalign", "rowspacing", "columnspacing", "columnlines", "rowlines", "frame"],
    "mtr": ["columnalign", "rowalign"],
    "mtd": ["columnalign", "rowalign", "columnspan", "rowspan"],
    "menclose": ["notation"],
}
ALLOWED_PROTOCOLS = ["http", "https", "mailto"]


@dataclasses.dataclass(frozen=True)
class MathError:
    """A formula that latex2mathml could not convert."""

    tex: str
    error: str


def tex_to_mathml(tex: str, *, display: bool) -> str:
    """Convert one TeX formula to a ``<math>`` element; raise ``ValueError`` when it is malformed."""
    try:
        return latex_to_mathml(tex.strip(), display="block" if display else "inline")
    # latex2mathml 3.81 raises its own exception types on malformed TeX, and
    # also StopIteration, ValueError and IndexError, so no narrower class covers them.
    except Exception as error:
        raise ValueError(f"{type(error).__name__}: {error}".rstrip(": ")) from error


def find_math_errors(text: str) -> list[MathError]:
    """List the formulas in a Markdown text that cannot be converted, in order of appearance."""
    errors = []
    for match in _MATH_OR_CODE.finditer(text):
        tex = match.group("display") if match.group("display") is not None else match.group("inline")
        if tex is None or (match.group("inline") is not None and "\n\n" in tex):
            continue
        try:
            tex_to_mathml(tex, display=match.group("display") is not None)
        except ValueError as error:
            errors.append(MathError(tex=tex.strip(), error=str(error)))
    return errors


@functools.lru_cache(maxsize=512)
def render_markdown(text: str) -> str:
    """Return sanitized HTML for Markdown ``text``, with its math as MathML.

    The result is safe to insert into a page as is. A formula that cannot be
    converted is shown as its TeX source in ``<code class="math-error">``.
    """
    # A random part in the placeholders keeps them from matching text that
    # happens to look like one.
    nonce = secrets.token_hex(4)
    replacements: dict[str, str] = {}
    display_tokens: set[str] = set()

    def protect(match: re.Match) -> str:
        if match.group("fence") is not None or match.group("code") is not None:
            return match.group(0)
        if match.group("dollar") is not None:
            fragment = "&#36;"
        else:
            display = match.group("display") is not None
            tex = match.group("display") if display else match.group("inline")
            if not display and "\n\n" in tex:
                # Two dollar signs in different paragraphs are not a formula.
                return match.group(0)
            fragment = _math_fragment(tex, display=display)
        token = f"tcmath{nonce}n{len(replacements)}z"
        replacements[token] = fragment
        if match.group("display") is not None:
            display_tokens.add(token)
        return token

    protected = _MATH_OR_CODE.sub(protect, text)
    converted = markdown.markdown(
        protected, extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_EXTENSION_CONFIGS, output_format="html"
    )
    for token, fragment in replacements.items():
        # A display formula alone in a paragraph replaces that paragraph, so
        # the block gets no paragraph margins on top of its own.
        if token in display_tokens:
            converted = converted.replace(f"<p>{token}</p>", fragment)
        converted = converted.replace(token, fragment)

    return bleach.clean(
        converted,
        tags=HTML_TAGS | MATHML_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )


def _math_fragment(tex: str, *, display: bool) -> str:
    try:
        return tex_to_mathml(tex, display=display)
    except ValueError as error:
        logger.warning("cannot convert TeX %r to MathML: %s", tex[:200], error)
        return f'<code class="math-error">{html.escape(tex.strip())}</code>'
