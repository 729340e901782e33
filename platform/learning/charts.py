"""Geometry of the dashboard's activity chart, an inline SVG that the template draws.

The server computes every coordinate, so the page needs no JavaScript and no
chart library. The template escapes all text it puts in the SVG.
"""

from __future__ import annotations

import dataclasses

from learning.selectors import DayActivity

WIDTH_PX = 640
HEIGHT_PX = 200
# Room for the axis labels under the bars and the count above the tallest bar.
BOTTOM_MARGIN_PX = 24
TOP_MARGIN_PX = 16
LEFT_MARGIN_PX = 28


@dataclasses.dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int


@dataclasses.dataclass(frozen=True)
class ChartDay:
    label: str  # ISO date, for the bar's title
    submissions: Bar
    reviews: Bar
    tick_label: str  # shown under the bar on the first day of each week, else empty
    tick_x: float


@dataclasses.dataclass(frozen=True)
class ActivityChart:
    width: int
    height: int
    baseline_y: float
    left: float
    max_count: int
    days: list[ChartDay]
    total_submissions: int
    total_reviews: int


def activity_chart(days: list[DayActivity]) -> ActivityChart:
    """Lay out two bars per day, submissions and reviews, scaled so the busiest day fills the plot's height."""
    plot_height = HEIGHT_PX - BOTTOM_MARGIN_PX - TOP_MARGIN_PX
    baseline_y = HEIGHT_PX - BOTTOM_MARGIN_PX
    max_count = max([max(day.submissions, day.reviews) for day in days] + [1])
    slot_width = (WIDTH_PX - LEFT_MARGIN_PX) / max(len(days), 1)
    bar_width = slot_width * 0.4

    chart_days = []
    for index, day in enumerate(days):
        slot_x = LEFT_MARGIN_PX + index * slot_width
        chart_days.append(
            ChartDay(
                label=day.day.isoformat(),
                submissions=_bar(slot_x + slot_width * 0.1, bar_width, day.submissions, max_count, plot_height, baseline_y),
                reviews=_bar(slot_x + slot_width * 0.5, bar_width, day.reviews, max_count, plot_height, baseline_y),
                tick_label=day.day.strftime("%d %b") if index % 7 == 0 else "",
                tick_x=slot_x,
            )
        )
    return ActivityChart(
        width=WIDTH_PX,
        height=HEIGHT_PX,
        baseline_y=baseline_y,
        left=LEFT_MARGIN_PX,
        max_count=max_count,
        days=chart_days,
        total_submissions=sum(day.submissions for day in days),
        total_reviews=sum(day.reviews for day in days),
    )


def _bar(x: float, width: float, count: int, max_count: int, plot_height: float, baseline_y: float) -> Bar:
    height = plot_height * count / max_count
    return Bar(x=round(x, 1), y=round(baseline_y - height, 1), width=round(width, 1), height=round(height, 1), count=count)
