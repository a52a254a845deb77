"""``habitd report``: your patterns in the terminal (charts by plotext), as one
self-contained HTML file (:mod:`habitd.report_html`), or as JSON."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from habitd.cli import call, emit_json, fail
from habitd.report_html import EMPTY, RISK_NOTE


@click.command()
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a self-contained HTML report to this file.",
)
@click.option("--open", "open_it", is_flag=True, help="Open the HTML report afterwards.")
def report(days: int, as_json: bool, html_file: Path | None, open_it: bool) -> None:
    """Your patterns: triggers, feelings, cravings by day and hour, HALT, what helped."""
    data = call("insights.report", days=days)
    if as_json:
        emit_json(data)
    elif html_file is None:
        terminal(data)
    if html_file is not None:
        from habitd.files import private_file

        try:
            with private_file(html_file) as handle:
                from habitd.report_html import render

                handle.write(render(data))
        except OSError as exc:
            fail(f"could not write {html_file}: {exc.strerror}")
        click.echo(f"wrote {html_file}", err=as_json)
        if open_it:
            click.launch(str(html_file))


def _title(text: str) -> None:
    click.echo()
    click.echo(click.style(text, bold=True))


def _drawn(draw: Callable[[], None]) -> None:
    """Run a plotext drawing and pass it through click.echo, which drops the colour codes
    when the output is not a terminal."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        draw()
    click.echo(buffer.getvalue().rstrip("\n"))


def _bars(labels: list[str], values: list[float], title: str, width: int = 70) -> None:
    """Horizontal bars with whole-number counts, aligned even when a label holds an emoji
    or other wide characters."""
    click.echo(click.style(f" {title} ".center(width, "─"), bold=True))
    widths = [_width(label) for label in labels]
    room = max(widths, default=0)
    longest = max(values, default=0) or 1
    span = width - room - 8
    for label, label_width, value in zip(labels, widths, values, strict=True):
        bar = "▇" * max(1, round(value / longest * span)) if value else ""
        click.echo(f"{label}{' ' * (room - label_width)} {click.style(bar, fg='blue')} {value:g}")


def _width(text: str) -> int:
    """How many terminal columns ``text`` takes (wide characters and emoji take two)."""
    import unicodedata

    return sum(
        0
        if unicodedata.combining(char) or char in "\u200d\ufe0f"
        else 2
        if unicodedata.east_asian_width(char) in ("W", "F")
        else 1
        for char in text
    )


def terminal(data: dict[str, Any]) -> None:
    """The report as text and terminal charts."""
    click.echo(
        click.style(f"Your last {data['days']} days", bold=True) + f": {data['entries']} entries"
    )
    if not data["entries"]:
        click.echo(EMPTY)
        if not any(row["total"] for row in data["streaks"]):
            return
    if data["triggers"]:
        _bars(
            [t["name"] for t in data["triggers"][:8]],
            [t["count"] for t in data["triggers"][:8]],
            "What set things off",
        )
    if data["emotions"]:
        _title("Feelings (how often, mean intensity)")
        for emotion in data["emotions"][:8]:
            mean = emotion["mean_intensity"]
            click.echo(
                f"  {emotion['name']:<14} {emotion['count']:>4}x"
                + (f"   {mean:.1f}/10" if mean is not None else "")
            )
    craving = data["craving"]
    if craving["count"]:
        _title(
            f"Cravings: {craving['count']} logged, mean {craving['mean']}/10, "
            f"strongest {craving['max']}/10"
        )
        surfed = data.get("surfed") or []
        if surfed:
            rides = ", ".join(f"{s['start']} -> {s['end']}" for s in surfed[-5:])
            click.echo(f"  Urges surfed: {len(surfed)} ({rides})")
        by_day = data["craving_by_day"]
        if len(by_day) > 1:
            import plotext

            plotext.clear_figure()
            plotext.plot_size(70, 12)
            plotext.date_form("Y-m-d")
            plotext.plot([d["day"] for d in by_day], [d["mean"] for d in by_day])
            plotext.title("Craving strength by day")
            _drawn(plotext.show)
        _title("When cravings happen (urges per weekday and hour)")
        grid = {(h["weekday"], h["hour"]): h["count"] for h in data["craving_by_hour"]}
        click.echo("      " + "".join(f"{hour:>3}" for hour in range(0, 24, 2)))
        for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
            cells = [
                grid.get((day, hour), 0) + grid.get((day, hour + 1), 0) for hour in range(0, 24, 2)
            ]
            click.echo(f"  {day} " + "".join(f"{c:>3}" if c else "  ·" for c in cells))
    if any(item["count"] for item in data["halt"]):
        _title("HALT: present when urges came")
        for item in data["halt"]:
            click.echo(f"  {item['state']:<8} {item['count']}")
    helped = data["helped"]
    if helped["coped"] or helped["practices"]:
        _title("What helped")
        for item in helped["coped"][:5]:
            click.echo(f"  {item['what']} ({item['count']}x)")
        for item in helped["practices"][:5]:
            click.echo(f"  practice: {item['what']} ({item['count']}x)")
    if data["streaks"]:
        _title("Streaks")
        for row in data["streaks"]:
            click.echo(
                f"  {row['habit']:<14} current {row['current']} {row['unit']}, best "
                f"{row['best']}, strength {row['strength']:.0%}"
            )
    _title("Risk windows")
    if data["risk_windows"]:
        for window in data["risk_windows"]:
            click.echo(f"  {window['label']}  ({window['count']} urges)")
    else:
        click.echo("  none found yet (it takes two weeks of urge logs)")
    click.echo(click.style(RISK_NOTE, dim=True))
