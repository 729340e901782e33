"""Markdown with TeX math rendered to sanitized HTML and MathML."""

from __future__ import annotations

import pytest

from catalogue.rendering import MathError, find_math_errors, render_markdown, tex_to_mathml

INLINE_X_SQUARED = (
    '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">'
    "<mrow><msup><mi>x</mi><mn>2</mn></msup></mrow></math>"
)


def test_inline_math_becomes_mathml():
    assert render_markdown("Square $x^2$ here.") == f"<p>Square {INLINE_X_SQUARED} here.</p>"


def test_display_math_replaces_its_paragraph():
    html = render_markdown("Before\n\n$$\\frac{a}{b}$$\n\nAfter")

    assert html == (
        "<p>Before</p>\n"
        '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">'
        "<mrow><mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac></mrow></math>\n"
        "<p>After</p>"
    )


def test_underscores_in_math_are_not_emphasis():
    html = render_markdown("$a_i b_j$ and *b*")

    assert "<em>" in html
    assert html.count("<em>") == 1
    assert "<msub><mi>a</mi><mi>i</mi></msub>" in html
    assert "<msub><mi>b</mi><mi>j</mi></msub>" in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Costs $5 and $10.", "<p>Costs $5 and $10.</p>", id="prices"),
        pytest.param("A \\$ sign", "<p>A &#36; sign</p>", id="escaped-dollar"),
        pytest.param("Use `a$b$c` here", "<p>Use <code>a$b$c</code> here</p>", id="code-span"),
        pytest.param(
            "```python\nx = '$a$'\n```",
            '<pre><code class="language-python">x = \'$a$\'\n</code></pre>',
            id="fenced-code",
        ),
        pytest.param("$ x $", "<p>$ x $</p>", id="spaces-inside"),
    ],
)
def test_non_math_dollars_stay_text(text, expected):
    assert render_markdown(text) == expected


def test_malformed_math_shows_its_source():
    assert render_markdown("Bad $\\frac{1}{$ formula") == '<p>Bad <code class="math-error">\\frac{1}{</code> formula</p>'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("<script>alert(1)</script>", "alert(1)", id="script"),
        pytest.param("[link](javascript:alert(1))", "<p><a>link</a></p>", id="javascript-link"),
        pytest.param('<img src="x.png" onerror="alert(1)">', '<p><img src="x.png"></p>', id="event-handler"),
        pytest.param("<iframe src='https://example.com'></iframe>", "", id="iframe"),
    ],
)
def test_unsafe_html_is_removed(text, expected):
    assert render_markdown(text) == expected


def test_math_cannot_smuggle_html():
    html = render_markdown("$\\text{<script>alert(1)</script>}$")

    assert "<script>" not in html
    assert "<mtext>" in html


def test_table_alignment_survives_sanitizing():
    html = render_markdown("| a | b |\n| :-- | --: |\n| 1 | 2 |")

    assert '<th align="left">a</th>' in html
    assert '<td align="right">2</td>' in html


def test_find_math_errors_lists_bad_formulas():
    errors = find_math_errors("Good $x$, bad $$\\frac{1}{$$, code `$\\frac{$`.")

    assert errors == [MathError(tex="\\frac{1}{", error="NoAvailableTokensError")]


def test_tex_to_mathml_raises_value_error():
    with pytest.raises(ValueError) as error:
        tex_to_mathml("x^", display=False)

    assert str(error.value) == "MissingSuperScriptOrSubscriptError"
