"""Small SVG charts for the HTML report, drawn by hand: horizontal bars, a line over days and
a weekday-by-hour grid. No scientific stack (matplotlib and numpy were 150 MB to install for
three charts), nothing fetched, colours from the page's CSS variables (so dark mode and
print work), integer axes for counts, and a ``<title>`` on each chart and each mark for
screen readers and tooltips.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from html import escape

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WIDTH = 640
FONT = 12


def _svg(width: float, height: float, title: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" class="chart">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def count_ticks(top: int, most: int = 5) -> list[int]:
    """Whole-number ticks from 0 to at least ``top``, at most ``most`` + 1 of them."""
    if top <= 0:
        return [0, 1]
    step = max(1, math.ceil(top / most))
    for nice in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if nice >= step:
            step = nice
            break
    return list(range(0, top + step, step)) if top % step else list(range(0, top + 1, step))


def bars(items: Sequence[tuple[str, int]], title: str) -> str:
    """Horizontal bars, largest first as given, with a whole-number axis."""
    label_width = min(220, 18 + 7.5 * max((len(label) for label, _ in items), default=4))
    row = 22
    top = max((value for _, value in items), default=0)
    ticks = count_ticks(top)
    span = WIDTH - label_width - 30
    scale = span / max(ticks[-1], 1)
    height = 30 + row * len(items) + 24
    parts = [f'<text x="0" y="16" class="title">{escape(title)}</text>']
    for tick in ticks:
        x = label_width + tick * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="26" x2="{x:.1f}" y2="{height - 20}" class="grid"/>'
            f'<text x="{x:.1f}" y="{height - 6}" class="tick" text-anchor="middle">{tick}</text>'
        )
    for index, (label, value) in enumerate(items):
        y = 30 + index * row
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 14}" class="label" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{max(1.0, value * scale):.1f}" '
            f'height="{row - 7}" class="bar"><title>{escape(label)}: {value}</title></rect>'
        )
    return _svg(WIDTH, height, title, "".join(parts))


def line(
    points: Sequence[tuple[str, float]],
    title: str,
    top: float = 10,
    xs: Sequence[float] | None = None,
) -> str:
    """Values over time (0 to ``top``), a dot for each value; ``xs`` places them (days since
    the first, so gaps show as gaps), else evenly. One point is a dot, never a lonely line."""
    left, right, height = 36, 16, 200
    plot_h = height - 60
    span = WIDTH - left - right
    count = len(points)
    places = list(xs) if xs is not None else list(range(count))
    widest = max(places[-1] - places[0], 1) if places else 1

    def y_of(value: float) -> float:
        return 30 + plot_h * (1 - value / top)

    parts = [f'<text x="0" y="16" class="title">{escape(title)}</text>']
    for tick in range(0, int(top) + 1, max(1, int(top) // 5)):
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{tick}</text>'
        )
    coords = [
        (left + ((place - places[0]) / widest * span if count > 1 else span / 2), y_of(value))
        for place, (_, value) in zip(places, points, strict=True)
    ]
    if count > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" class="line"/>')
    for (x, y), (label, value) in zip(coords, points, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="dot">'
            f"<title>{escape(label)}: {value:g}</title></circle>"
        )
    every = max(1, math.ceil(count / 6))
    for index in range(0, count, every):
        x = coords[index][0]
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" class="tick" text-anchor="middle">'
            f"{escape(points[index][0])}</text>"
        )
    return _svg(WIDTH, height, title, "".join(parts))


def week_grid(
    counts: Mapping[tuple[str, int], int],
    title: str,
    marked: Sequence[tuple[str, int]] = (),
) -> str:
    """A weekday-by-hour grid: darker where more happened, ``marked`` cells outlined (the
    risk windows), with a legend."""
    left, cell, top_y = 40, (WIDTH - 40) / 24, 30
    size = min(cell, 22.0)
    most = max(counts.values(), default=0)
    parts = [f'<text x="0" y="16" class="title">{escape(title)}</text>']
    for row, day in enumerate(WEEKDAYS):
        y = top_y + row * (size + 2)
        parts.append(f'<text x="0" y="{y + size * 0.7:.1f}" class="tick">{day}</text>')
        for hour in range(24):
            value = counts.get((day, hour), 0)
            strength = 0.08 + 0.92 * (value / most) if value and most else 0.0
            outline = ' class="cell risk"' if (day, hour) in marked else ' class="cell"'
            parts.append(
                f'<rect x="{left + hour * cell:.1f}" y="{y:.1f}" width="{size - 1:.1f}" '
                f'height="{size:.1f}" fill-opacity="{strength:.2f}"{outline}>'
                f"<title>{day} {hour:02d}:00: {value}</title></rect>"
            )
    base = top_y + 7 * (size + 2)
    for hour in range(0, 24, 3):
        parts.append(
            f'<text x="{left + hour * cell:.1f}" y="{base + 12:.1f}" class="tick">{hour:02d}</text>'
        )
    legend_y = base + 30
    parts.append(f'<text x="0" y="{legend_y + 10:.1f}" class="tick">fewer</text>')
    for step in range(5):
        parts.append(
            f'<rect x="{44 + step * 16}" y="{legend_y}" width="14" height="12" class="cell" '
            f'fill-opacity="{0.08 + 0.23 * step:.2f}"/>'
        )
    parts.append(f'<text x="{128}" y="{legend_y + 10:.1f}" class="tick">more</text>')
    if marked:
        parts.append(
            f'<rect x="180" y="{legend_y}" width="14" height="12" class="cell risk" '
            f'fill-opacity="0"/><text x="200" y="{legend_y + 10:.1f}" class="tick">'
            "risk window</text>"
        )
    return _svg(WIDTH, legend_y + 20, title, "".join(parts))


def year_grid(start: date, colours: Mapping[date, str], title: str) -> str:
    """A year in pixels (Daylio's): a column per week from ``start``'s week, a row per
    weekday, month names above and weekday names beside; ``colours`` fills each day (CSS
    colours, variables included), an empty day stays faint."""
    last = start + timedelta(days=364)
    first = start - timedelta(days=start.weekday())
    weeks = (last - first).days // 7 + 1
    left, top, cell = 30, 30, 11
    parts = [f'<text x="0" y="12" class="title">{escape(title)}</text>']
    labelled = -9
    for week in range(weeks):
        monday = first + timedelta(weeks=week)
        new_month = week == 0 or monday.month != (monday - timedelta(weeks=1)).month
        if new_month and week - labelled >= 3 and week < weeks - 2:  # never two names touching
            parts.append(
                f'<text x="{left + week * cell}" y="{top - 6}" class="tick">{monday:%b}</text>'
            )
            labelled = week
    for weekday in range(7):
        if weekday % 2 == 0:
            parts.append(
                f'<text x="0" y="{top + weekday * cell + 9}" class="tick">'
                f"{WEEKDAYS[weekday]}</text>"
            )
        for week in range(weeks):
            day = first + timedelta(weeks=week, days=weekday)
            if start <= day <= last:
                fill = colours.get(day, "var(--empty)")
                parts.append(
                    f'<rect x="{left + week * cell}" y="{top + weekday * cell}" width="9" '
                    f'height="9" rx="2" style="fill:{fill}"><title>{day}</title></rect>'
                )
    return _svg(left + weeks * cell, top + 7 * cell + 4, title, "".join(parts))
