"""Colour contrast of the site's stylesheet, by the WCAG 2.1 formula (success criterion 1.4.3)."""

from __future__ import annotations

import pathlib
import re

import pytest

CSS = (pathlib.Path(__file__).resolve().parents[2] / "platform" / "static" / "css" / "site.css").read_text()
# WCAG 2.1 AA: 4.5:1 for body text; the site's small meta text is body text too.
MIN_TEXT_CONTRAST = 4.5
WHITE = "#ffffff"


def css_variable(name: str) -> str:
    return re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS).group(1)


def relative_luminance(colour: str) -> float:
    channels = [int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4 for value in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    lighter, darker = sorted([relative_luminance(foreground), relative_luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_ratio_of_black_on_white_is_21():
    assert contrast_ratio("#000000", WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, WHITE) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["text", "muted", "accent", "pass", "fail", "error"])
@pytest.mark.parametrize("background", ["#ffffff", "surface"], ids=["white", "surface"])
def test_text_colours_meet_aa(name, background):
    background_colour = background if background.startswith("#") else css_variable(background)

    assert contrast_ratio(css_variable(name), background_colour) >= MIN_TEXT_CONTRAST


@pytest.mark.parametrize(
    ("foreground", "background"),
    [
        (WHITE, "accent"),  # primary buttons
        ("#3d444d", "#f0f2f4"),  # diff line numbers
        ("text", "#d6f5dd"),  # added lines
        ("text", "#fbeeb8"),  # changed lines
        ("text", "#fcd8d8"),  # removed lines
        ("#3d444d", WHITE),  # chart axis labels
    ],
    ids=["button", "diff-header", "diff-add", "diff-change", "diff-sub", "chart-axis"],
)
def test_component_colours_meet_aa(foreground, background):
    def resolve(colour: str) -> str:
        return colour if colour.startswith("#") else css_variable(colour)

    assert contrast_ratio(resolve(foreground), resolve(background)) >= MIN_TEXT_CONTRAST


def test_focus_outline_is_visible():
    assert re.search(r":focus-visible\s*{\s*outline:\s*3px solid var\(--accent\)", CSS)
    assert "outline: none" not in CSS.replace("main:focus { outline: none; }", "").replace(
        ".verdict-region:focus { outline: none; }", ""
    )
