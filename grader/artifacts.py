"""Pictures for verdicts: a PNG grid of grayscale images, and SVG line charts, bar panels and tables.

Runs on the trusted side, usually over numbers that came out of a sandbox, so
every number is checked before it is drawn (non-finite values are skipped or
drawn as 0) and every text is escaped. The PNG encoder uses only the standard
library's ``zlib`` and ``struct`` (PNG specification, ISO/IEC 15948: 8-bit
grayscale, filter type 0 on every row).

Each public drawing function returns one verdict artifact entry,
``{"title": str, "media_type": "image/png" | "image/svg+xml", "data": base64 str}``;
an exercise's ``artifacts()`` returns ``{"images": [entry, ...]}``.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import struct
import zlib
from typing import Mapping, Sequence
from xml.sax.saxutils import escape

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_MEDIA_TYPE = "image/png"
SVG_MEDIA_TYPE = "image/svg+xml"

# Bounds on what one artifact may draw, so that a learner's output cannot make a huge picture.
MAX_IMAGES = 400
MAX_IMAGE_SIDE = 64
MAX_PNG_SIDE = 2048
MAX_POINTS_PER_SERIES = 1000
MAX_TABLE_ROWS = 50

# Colour-blind-safe series colours (the Okabe-Ito palette), in series order.
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
GRID_PADDING_GRAY = 96
FONT = "font-family='sans-serif'"


def artifact(title: str, media_type: str, data: bytes) -> dict[str, str]:
    """Wrap encoded picture bytes as a verdict artifact entry."""
    if media_type not in (PNG_MEDIA_TYPE, SVG_MEDIA_TYPE):
        raise ValueError(f"media_type must be {PNG_MEDIA_TYPE!r} or {SVG_MEDIA_TYPE!r}, got {media_type!r}")
    return {"title": title, "media_type": media_type, "data": base64.b64encode(data).decode("ascii")}


# PNG


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    checksum = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", checksum)


def encode_png_grayscale(pixels: Sequence[Sequence[int]]) -> bytes:
    """Encode rows of 8-bit gray levels (0 black to 255 white) as a PNG file.

    Raises ValueError when ``pixels`` is empty, ragged, larger than
    ``MAX_PNG_SIDE`` on a side, or contains a level outside 0..255.
    """
    height = len(pixels)
    width = len(pixels[0]) if height else 0
    if height == 0 or width == 0:
        raise ValueError("pixels must hold at least one row of at least one pixel")
    if height > MAX_PNG_SIDE or width > MAX_PNG_SIDE:
        raise ValueError(f"pixels is {height}x{width}; at most {MAX_PNG_SIDE} on a side is allowed")
    raw = bytearray()
    for index, row in enumerate(pixels):
        if len(row) != width:
            raise ValueError(f"pixels row {index} has {len(row)} values; row 0 has {width}")
        raw.append(0)  # filter type 0: the row's bytes are stored as they are
        try:
            raw.extend(row)
        except ValueError as error:
            raise ValueError(f"pixels row {index} contains a level outside 0..255") from error
    # Width, height, bit depth 8, colour type 0 (grayscale), compression 0, filter 0, no interlace.
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + _png_chunk(b"IEND", b"")
    )


def _gray_level(value: float) -> int:
    if not math.isfinite(value):
        return 0
    return round(min(max(value, 0.0), 1.0) * 255)


def png_image_grid(
    title: str, images: Sequence[Sequence[Sequence[float]]], *, columns: int, scale: int = 4, padding: int = 1
) -> dict[str, str]:
    """Draw grayscale images with values in [0, 1] (1 is white) as one PNG grid.

    ``images`` contains N images of equal size (H, W), for example
    ``tensor.reshape(N, 8, 8).tolist()``. Each pixel becomes a ``scale`` by
    ``scale`` block; ``padding`` gray pixels separate the tiles. Values are
    clamped to [0, 1] and non-finite values are drawn black.
    """
    count = len(images)
    if not 1 <= count <= MAX_IMAGES:
        raise ValueError(f"images must hold 1 to {MAX_IMAGES} images, got {count}")
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    if not 1 <= scale <= 16:
        raise ValueError(f"scale must be in 1..16, got {scale}")
    if not 0 <= padding <= 8:
        raise ValueError(f"padding must be in 0..8, got {padding}")
    height = len(images[0])
    width = len(images[0][0]) if height else 0
    if not (1 <= height <= MAX_IMAGE_SIDE and 1 <= width <= MAX_IMAGE_SIDE):
        raise ValueError(f"each image must be between 1x1 and {MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE}, got {height}x{width}")

    columns = min(columns, count)
    rows = math.ceil(count / columns)
    tile_height, tile_width = height * scale, width * scale
    canvas_height = rows * tile_height + (rows + 1) * padding
    canvas_width = columns * tile_width + (columns + 1) * padding
    canvas = [[GRID_PADDING_GRAY] * canvas_width for _ in range(canvas_height)]
    for number, image in enumerate(images):
        if len(image) != height or any(len(line) != width for line in image):
            raise ValueError(f"images[{number}] is not {height}x{width} like images[0]")
        top = padding + (number // columns) * (tile_height + padding)
        left = padding + (number % columns) * (tile_width + padding)
        for y, line in enumerate(image):
            scaled = [level for value in line for level in [_gray_level(value)] * scale]
            for repeat in range(scale):
                canvas[top + y * scale + repeat][left : left + tile_width] = scaled
    return artifact(title, PNG_MEDIA_TYPE, encode_png_grayscale(canvas))


# SVG


def _finite(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _number(value: float) -> str:
    return f"{value:.4g}"


def _svg_document(width: int, height: int, title: str, body: list[str]) -> bytes:
    heading = (
        f"<text x='{width / 2:g}' y='18' text-anchor='middle' {FONT} font-size='14' font-weight='bold'>"
        f"{escape(title)}</text>"
    )
    lines = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>",
        f"<title>{escape(title)}</title>",
        f"<rect width='{width}' height='{height}' fill='white'/>",
        heading,
        *body,
        "</svg>",
    ]
    return "\n".join(lines).encode("utf-8")


def _legend(names: Sequence[str], x: float, y: float) -> list[str]:
    parts = []
    for index, name in enumerate(names):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        top = y + 16 * index
        parts.append(f"<rect x='{x:g}' y='{top - 9:g}' width='10' height='10' fill='{colour}'/>")
        parts.append(f"<text x='{x + 14:g}' y='{top:g}' {FONT} font-size='11'>{escape(name)}</text>")
    return parts


def _thin(values: Sequence[float]) -> list[tuple[int, float]]:
    """Keep at most MAX_POINTS_PER_SERIES evenly spaced (index, value) pairs with finite values."""
    step = max(1, math.ceil(len(values) / MAX_POINTS_PER_SERIES))
    return [(index, float(values[index])) for index in range(0, len(values), step) if _finite(values[index])]


def svg_line_chart(
    title: str,
    series: Mapping[str, Sequence[float]],
    *,
    x_label: str,
    y_label: str,
    width: int = 520,
    height: int = 320,
) -> dict[str, str]:
    """Draw one polyline per series against its 1-based index (an epoch), with axes, ticks and a legend.

    Non-finite values are left out of the line; a series with no finite value
    appears only in the legend. The y axis spans the finite values of all series.
    """
    if not series:
        raise ValueError("series must name at least one series")
    thinned = {name: _thin(values) for name, values in series.items()}
    points = [point for values in thinned.values() for point in values]
    left, right, top, bottom = 64, width - 130, 32, height - 44
    body = [
        f"<line x1='{left}' y1='{bottom}' x2='{right}' y2='{bottom}' stroke='black'/>",
        f"<line x1='{left}' y1='{top}' x2='{left}' y2='{bottom}' stroke='black'/>",
        f"<text x='{(left + right) / 2:g}' y='{height - 8}' text-anchor='middle' {FONT} font-size='12'>{escape(x_label)}</text>",
        f"<text x='14' y='{(top + bottom) / 2:g}' text-anchor='middle' {FONT} font-size='12' "
        f"transform='rotate(-90 14 {(top + bottom) / 2:g})'>{escape(y_label)}</text>",
    ]
    if points:
        length = max(max(index for index, _ in points) + 1, 2)
        y_min = min(value for _, value in points)
        y_max = max(value for _, value in points)
        if y_max - y_min < 1e-12 * max(1.0, abs(y_max)):
            y_min, y_max = y_min - 1.0, y_max + 1.0

        def to_x(index: int) -> float:
            return left + index / (length - 1) * (right - left)

        def to_y(value: float) -> float:
            return bottom - (value - y_min) / (y_max - y_min) * (bottom - top)

        for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
            value = y_min + fraction * (y_max - y_min)
            y = to_y(value)
            body.append(f"<line x1='{left - 4}' y1='{y:.1f}' x2='{right}' y2='{y:.1f}' stroke='#dddddd'/>")
            body.append(
                f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end' {FONT} font-size='10'>{_number(value)}</text>"
            )
        for epoch in sorted({1, length // 2, length}):
            x = to_x(epoch - 1)
            body.append(f"<text x='{x:.1f}' y='{bottom + 14}' text-anchor='middle' {FONT} font-size='10'>{epoch}</text>")
        for number, (name, values) in enumerate(thinned.items()):
            if not values:
                continue
            colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
            path = " ".join(f"{to_x(index):.1f},{to_y(value):.1f}" for index, value in values)
            body.append(f"<polyline points='{path}' fill='none' stroke='{colour}' stroke-width='2'/>")
    else:
        body.append(
            f"<text x='{(left + right) / 2:g}' y='{(top + bottom) / 2:g}' text-anchor='middle' {FONT} "
            "font-size='12'>no finite values to draw</text>"
        )
    body += _legend(list(series), right + 12, top + 10)
    return artifact(title, SVG_MEDIA_TYPE, _svg_document(width, height, title, body))


@dataclasses.dataclass(frozen=True)
class BarPanel:
    """One small bar chart: a title, category labels, and one value per label for each series."""

    title: str
    labels: Sequence[str]
    values: Mapping[str, Sequence[float]]


def svg_bar_panels(
    title: str, panels: Sequence[BarPanel], *, columns: int = 2, panel_width: int = 300, panel_height: int = 180
) -> dict[str, str]:
    """Draw panels of grouped bars (for example real and synthetic frequencies per category) in a grid.

    Every panel must list the same series names. Each panel's bars share a y
    axis from 0 to its largest finite value; non-finite values draw no bar.
    """
    if not panels:
        raise ValueError("panels must hold at least one panel")
    names = list(panels[0].values)
    for panel in panels:
        if list(panel.values) != names:
            raise ValueError(f"panel {panel.title!r} has series {list(panel.values)}; the first panel has {names}")
        for name, values in panel.values.items():
            if len(values) != len(panel.labels):
                raise ValueError(
                    f"panel {panel.title!r}, series {name!r}: {len(values)} values for {len(panel.labels)} labels"
                )
    columns = max(1, min(columns, len(panels)))
    rows = math.ceil(len(panels) / columns)
    legend_height = 16 * len(names) + 8
    width = columns * panel_width
    height = 28 + legend_height + rows * panel_height
    body = _legend(names, 12, 40)
    for number, panel in enumerate(panels):
        left = (number % columns) * panel_width
        top = 28 + legend_height + (number // columns) * panel_height
        body += _bar_panel(panel, names, left, top, panel_width, panel_height)
    return artifact(title, SVG_MEDIA_TYPE, _svg_document(width, height, title, body))


def _bar_panel(panel: BarPanel, names: list[str], left: int, top: int, width: int, height: int) -> list[str]:
    plot_left, plot_right = left + 44, left + width - 10
    plot_top, plot_bottom = top + 22, top + height - 34
    finite = [value for values in panel.values.values() for value in values if _finite(value)]
    y_max = max([value for value in finite if value > 0], default=1.0)
    parts = [
        f"<text x='{(plot_left + plot_right) / 2:g}' y='{top + 14}' text-anchor='middle' {FONT} font-size='12'>"
        f"{escape(panel.title)}</text>",
        f"<line x1='{plot_left}' y1='{plot_bottom}' x2='{plot_right}' y2='{plot_bottom}' stroke='black'/>",
        f"<text x='{plot_left - 4}' y='{plot_top + 4}' text-anchor='end' {FONT} font-size='9'>{_number(y_max)}</text>",
        f"<text x='{plot_left - 4}' y='{plot_bottom}' text-anchor='end' {FONT} font-size='9'>0</text>",
    ]
    groups = max(1, len(panel.labels))
    group_width = (plot_right - plot_left) / groups
    bar_width = group_width * 0.8 / max(1, len(names))
    label_every = math.ceil(groups / 8)
    for group, label in enumerate(panel.labels):
        group_left = plot_left + group * group_width + group_width * 0.1
        for number, name in enumerate(names):
            value = panel.values[name][group]
            if not _finite(value) or value <= 0:
                continue
            bar_height = min(value, y_max) / y_max * (plot_bottom - plot_top)
            colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
            parts.append(
                f"<rect class='bar' x='{group_left + number * bar_width:.1f}' y='{plot_bottom - bar_height:.1f}' "
                f"width='{bar_width:.1f}' height='{bar_height:.1f}' fill='{colour}'/>"
            )
        if group % label_every == 0:
            centre = plot_left + (group + 0.5) * group_width
            parts.append(
                f"<text x='{centre:.1f}' y='{plot_bottom + 12}' text-anchor='middle' {FONT} font-size='9'>"
                f"{escape(str(label))}</text>"
            )
    return parts


def svg_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]], *, column_width: int = 130) -> dict[str, str]:
    """Draw a small table of text cells, the header row in bold.

    Cells are shown as given (escaped); format numbers before passing them.
    """
    if not header:
        raise ValueError("header must name at least one column")
    if len(rows) > MAX_TABLE_ROWS:
        raise ValueError(f"rows has {len(rows)} rows; at most {MAX_TABLE_ROWS} can be drawn")
    for index, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"rows[{index}] has {len(row)} cells; the header has {len(header)}")
    row_height = 22
    width = column_width * len(header) + 20
    height = 40 + row_height * (len(rows) + 1)
    body = []
    for number, row in enumerate([header, *rows]):
        y = 34 + number * row_height
        if number == 0:
            fill = "#eeeeee"
        elif number % 2:
            fill = "#ffffff"
        else:
            fill = "#f7f7f7"
        body.append(f"<rect x='10' y='{y}' width='{width - 20}' height='{row_height}' fill='{fill}' stroke='#cccccc'/>")
        weight = " font-weight='bold'" if number == 0 else ""
        for column, cell in enumerate(row):
            x = 16 + column * column_width
            body.append(
                f"<text x='{x}' y='{y + 15}' {FONT} font-size='11'{weight}>{escape(str(cell))}</text>"
            )
    return artifact(title, SVG_MEDIA_TYPE, _svg_document(width, height, title, body))


__all__ = [
    "BarPanel",
    "artifact",
    "encode_png_grayscale",
    "png_image_grid",
    "svg_bar_panels",
    "svg_line_chart",
    "svg_table",
]
