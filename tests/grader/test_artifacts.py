"""Verdict pictures: PNG grids decoded by hand, SVG charts and tables parsed with xml.etree."""

import base64
import math
import struct
import zlib
import xml.etree.ElementTree as ElementTree

import pytest

from grader.artifacts import (
    GRID_PADDING_GRAY,
    PNG_SIGNATURE,
    BarPanel,
    artifact,
    encode_png_grayscale,
    png_image_grid,
    svg_bar_panels,
    svg_line_chart,
    svg_table,
)

SVG = "{http://www.w3.org/2000/svg}"


def _chunks(data):
    """Split a PNG file into (type, payload) pairs, checking each chunk's CRC."""
    assert data[:8] == PNG_SIGNATURE
    position, chunks = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        payload = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + payload) & 0xFFFFFFFF, kind
        chunks.append((kind, payload))
        position += 12 + length
    return chunks


def _decode_png(data):
    """Return (width, height, rows of gray levels) of an 8-bit grayscale PNG whose rows all use filter 0."""
    chunks = _chunks(data)
    kind, header = chunks[0]
    assert kind == b"IHDR"
    width, height, depth, colour_type, compression, filter_method, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, colour_type, compression, filter_method, interlace) == (8, 0, 0, 0, 0)
    assert chunks[-1] == (b"IEND", b"")
    raw = zlib.decompress(b"".join(payload for kind, payload in chunks if kind == b"IDAT"))
    assert len(raw) == height * (width + 1)
    rows = []
    for y in range(height):
        line = raw[y * (width + 1) : (y + 1) * (width + 1)]
        assert line[0] == 0
        rows.append(list(line[1:]))
    return width, height, rows


def _svg_root(entry):
    assert entry["media_type"] == "image/svg+xml"
    return ElementTree.fromstring(base64.b64decode(entry["data"]))


def test_png_header_and_pixels_round_trip():
    pixels = [[0, 128, 255], [10, 20, 30]]

    width, height, rows = _decode_png(encode_png_grayscale(pixels))

    assert (width, height) == (3, 2)
    assert rows == pixels


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        ([], "at least one row"),
        ([[1, 2], [3]], "row 1 has 1 values; row 0 has 2"),
        ([[1, 256]], "contains a level outside 0..255"),
    ],
    ids=["empty", "ragged", "out-of-range"],
)
def test_png_encoder_rejects_invalid_pixels(pixels, message):
    with pytest.raises(ValueError, match=message):
        encode_png_grayscale(pixels)


def test_png_grid_size_follows_columns_scale_and_padding():
    images = [[[0.5] * 8 for _ in range(8)] for _ in range(10)]

    entry = png_image_grid("digits", images, columns=5, scale=4, padding=1)
    width, height, _ = _decode_png(base64.b64decode(entry["data"]))

    assert entry["title"] == "digits"
    assert entry["media_type"] == "image/png"
    assert (width, height) == (5 * 32 + 6, 2 * 32 + 3)


def test_png_grid_places_scaled_tiles_between_padding():
    images = [[[0.0, 1.0]], [[0.5, math.nan]]]

    entry = png_image_grid("two tiles", images, columns=2, scale=2, padding=1)
    width, height, rows = _decode_png(base64.b64decode(entry["data"]))

    pad = GRID_PADDING_GRAY
    assert (width, height) == (2 * 4 + 3, 2 + 2)
    assert rows[0] == [pad] * width
    # Tile 0 is black then white; tile 1 is mid gray then black, because NaN is drawn black.
    assert rows[1] == [pad, 0, 0, 255, 255, pad, 128, 128, 0, 0, pad]
    assert rows[2] == rows[1]
    assert rows[3] == [pad] * width


def test_png_grid_clamps_values_outside_unit_interval():
    entry = png_image_grid("clamped", [[[-3.0, 7.0]]], columns=1, scale=1, padding=0)

    _, _, rows = _decode_png(base64.b64decode(entry["data"]))

    assert rows == [[0, 255]]


def test_png_grid_rejects_images_of_different_sizes():
    with pytest.raises(ValueError, match=r"images\[1\] is not 2x2"):
        png_image_grid("mixed", [[[0, 0], [0, 0]], [[0, 0, 0], [0, 0, 0]]], columns=2)


def test_line_chart_draws_one_polyline_per_series():
    entry = svg_line_chart(
        "loss per epoch", {"yours": [40.0, 30.0, 25.0], "reference": [39.0, 29.0, 24.0]}, x_label="epoch", y_label="loss"
    )

    root = _svg_root(entry)
    polylines = root.findall(f"{SVG}polyline")
    texts = [element.text for element in root.iter(f"{SVG}text")]

    assert root.tag == f"{SVG}svg"
    assert entry["title"] == "loss per epoch"
    assert len(polylines) == 2
    assert len(polylines[0].get("points").split()) == 3
    assert "yours" in texts
    assert "reference" in texts
    assert "epoch" in texts


def test_line_chart_skips_non_finite_values():
    entry = svg_line_chart("loss", {"yours": [5.0, math.nan, 3.0, math.inf], "empty": [math.nan]}, x_label="epoch", y_label="loss")

    polylines = _svg_root(entry).findall(f"{SVG}polyline")

    assert len(polylines) == 1
    assert len(polylines[0].get("points").split()) == 2


def test_line_chart_of_a_constant_series_still_parses():
    entry = svg_line_chart("flat", {"yours": [2.0, 2.0, 2.0]}, x_label="epoch", y_label="loss")

    assert len(_svg_root(entry).findall(f"{SVG}polyline")) == 1


def test_svg_text_is_escaped():
    entry = svg_line_chart("a < b & c", {"<script>": [1.0, 2.0]}, x_label="x", y_label="y")

    root = _svg_root(entry)

    assert root.find(f"{SVG}title").text == "a < b & c"
    assert "<script>" in [element.text for element in root.iter(f"{SVG}text")]
    assert root.find(f"{SVG}script") is None


def test_bar_panels_draw_a_bar_per_positive_value():
    panels = [
        BarPanel("species", ["Adelie", "Chinstrap", "Gentoo"], {"real": [0.4, 0.2, 0.4], "synthetic": [0.5, 0.0, 0.5]}),
        BarPanel("sex", ["female", "male"], {"real": [0.5, 0.5], "synthetic": [0.6, math.nan]}),
    ]

    root = _svg_root(svg_bar_panels("marginals", panels))
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]

    assert len(bars) == 3 + 2 + 2 + 1


def test_bar_panels_reject_mismatched_series():
    panels = [BarPanel("a", ["x"], {"real": [1.0]}), BarPanel("b", ["x"], {"synthetic": [1.0]})]

    with pytest.raises(ValueError, match="has series"):
        svg_bar_panels("marginals", panels)


def test_bar_panels_reject_a_series_of_wrong_length():
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        svg_bar_panels("marginals", [BarPanel("a", ["x", "y", "z"], {"real": [1.0, 2.0]})])


def test_table_holds_every_cell():
    entry = svg_table("scores", ["generator", "macro F1"], [["real only", "1.000"], ["yours", "0.950"]])

    texts = [element.text for element in _svg_root(entry).iter(f"{SVG}text")]

    assert texts[0] == "scores"
    assert texts[1:] == ["generator", "macro F1", "real only", "1.000", "yours", "0.950"]


def test_table_rejects_a_row_of_wrong_length():
    with pytest.raises(ValueError, match=r"rows\[0\] has 1 cells; the header has 2"):
        svg_table("scores", ["a", "b"], [["only one"]])


def test_artifact_encodes_base64_and_checks_media_type():
    entry = artifact("raw", "image/png", b"\x00\x01")

    assert base64.b64decode(entry["data"]) == b"\x00\x01"
    with pytest.raises(ValueError, match="media_type"):
        artifact("raw", "text/html", b"")
