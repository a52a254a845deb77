"""``habitd report``: your patterns in the terminal (charts by plotext), as one
self-contained HTML file (charts by matplotlib, as inline SVG), or as JSON."""

from __future__ import annotations

import contextlib
import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from habitd.cli import call, emit_json, fail

EMPTY = "Nothing to show yet. Write your first entry with `habitd journal` or `habitd urge`."
RISK_NOTE = (
    "Risk windows are hours of the week when your urges have clustered (from at least two "
    "weeks of urge logs). With [plugins.insights] pre_emptive = true, habitd sends a calm "
    "moment 30 minutes before each one."
)


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
                handle.write(render_html(data))
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


def _bars(labels: list[str], values: list[float], title: str) -> None:
    import plotext

    plotext.clear_figure()
    plotext.simple_bar(labels, values, width=70, title=title)
    _drawn(plotext.show)


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


# --- HTML -------------------------------------------------------------------------------


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _chart(kind: str, labels: list[str], values: list[float], title: str) -> str:
    import matplotlib

    matplotlib.use("svg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 3))
    if kind == "barh":
        axes.barh(labels[::-1], values[::-1], color="#3f7d6e")
    else:
        axes.plot(labels, values, color="#3f7d6e", marker="o", markersize=3)
        axes.set_ylim(0, 10)
        step = max(1, len(labels) // 8)
        axes.set_xticks(range(0, len(labels), step), labels[::step], rotation=30, fontsize=8)
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    svg = _svg(figure)
    pyplot.close(figure)
    return svg


def _heatmap(data: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("svg")
    from matplotlib import pyplot

    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    grid = [[0] * 24 for _ in days]
    for cell in data["craving_by_hour"]:
        grid[days.index(cell["weekday"])][cell["hour"]] = cell["count"]
    figure, axes = pyplot.subplots(figsize=(7, 2.6))
    axes.imshow(grid, cmap="Greens", aspect="auto")
    axes.set_yticks(range(7), days)
    axes.set_xticks(range(0, 24, 3), [f"{h:02d}" for h in range(0, 24, 3)])
    axes.set_title("Urges by weekday and hour")
    svg = _svg(figure)
    pyplot.close(figure)
    return svg


def _pixels(year: dict[str, Any]) -> str:
    """Two Daylio-style grids for the last year: a column per week, a row per weekday."""
    from datetime import date, timedelta

    start = date.fromisoformat(year["start"])
    first = start - timedelta(days=start.weekday())
    weeks = (date.fromisoformat(year["start"]) + timedelta(days=364) - first).days // 7 + 1
    grids = []
    for name, values, colour in (
        ("Mood", year["mood"], _mood_colour),
        ("Days kept (abstain habits)", year["clean"], _clean_colour),
    ):
        rows = []
        for weekday in range(7):
            cells = []
            for week in range(weeks):
                day = first + timedelta(weeks=week, days=weekday)
                if start <= day <= start + timedelta(days=364):
                    cells.append(
                        f'<td title="{day}" style="background:'
                        f'{colour(values.get(day.isoformat()))}"></td>'
                    )
                else:
                    cells.append('<td class="out"></td>')
            rows.append(f"<tr>{''.join(cells)}</tr>")
        grids.append(f'<h3>{name}</h3><table class="pixels">{"".join(rows)}</table>')
    return "".join(grids)


def _mood_colour(value: float | None) -> str:
    if value is None:
        return "#eee"
    shade = int(230 - min(10, abs(value)) * 15)
    return f"rgb({shade},{220},{shade})" if value >= 0 else f"rgb(230,{shade},{shade})"


def _clean_colour(state: str | None) -> str:
    return {"done": "#3f7d6e", "lapse": "#e8a33d", "skipped": "#9ec3e6"}.get(state or "", "#eee")


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>"


def render_html(data: dict[str, Any]) -> str:
    """One self-contained page: every section, charts inline, nothing fetched."""
    sections: list[tuple[str, str, str]] = []
    nothing = f"<p>{html.escape(EMPTY)}</p>"
    triggers = data["triggers"][:10]
    sections.append(
        (
            "triggers",
            "What set things off",
            _chart(
                "barh", [t["name"] for t in triggers], [t["count"] for t in triggers], "Triggers"
            )
            if triggers
            else nothing,
        )
    )
    emotions = data["emotions"][:10]
    sections.append(
        (
            "emotions",
            "Feelings",
            (
                _chart(
                    "barh",
                    [e["name"] for e in emotions],
                    [e["count"] for e in emotions],
                    "How often",
                )
                + _list(
                    [
                        f"{e['name']}: {e['count']} times, mean intensity {e['mean_intensity']}"
                        for e in emotions
                    ]
                )
            )
            if emotions
            else nothing,
        )
    )
    by_day = data["craving_by_day"]
    craving = data["craving"]
    sections.append(
        (
            "craving",
            "Cravings over time",
            (
                f"<p>{craving['count']} logged, mean {craving['mean']}/10, strongest "
                f"{craving['max']}/10.</p>"
                + (
                    _chart(
                        "line",
                        [d["day"] for d in by_day],
                        [d["mean"] for d in by_day],
                        "Mean strength by day",
                    )
                    if by_day
                    else ""
                )
            )
            if craving["count"]
            else nothing,
        )
    )
    sections.append(
        ("hours", "When cravings happen", _heatmap(data) if data["craving_by_hour"] else nothing)
    )
    halt = [h for h in data["halt"] if h["count"]]
    sections.append(
        ("halt", "HALT", _list([f"{h['state']}: {h['count']}" for h in halt]) if halt else nothing)
    )
    helped = [f"{c['what']} ({c['count']}x)" for c in data["helped"]["coped"]] + [
        f"practice: {p['what']} ({p['count']}x)" for p in data["helped"]["practices"]
    ]
    sections.append(("helped", "What helped", _list(helped) if helped else nothing))
    sections.append(
        (
            "streaks",
            "Streaks",
            _list(
                [
                    f"{s['habit']}: current {s['current']} {s['unit']}, best {s['best']}, strength "
                    f"{s['strength']:.0%}"
                    for s in data["streaks"]
                ]
            )
            if data["streaks"]
            else nothing,
        )
    )
    sections.append(
        (
            "risk",
            "Risk windows",
            (
                _list([w["label"] for w in data["risk_windows"]])
                if data["risk_windows"]
                else "<p>None found yet.</p>"
            )
            + f"<p class='note'>{html.escape(RISK_NOTE)}</p>",
        )
    )
    sections.append(("year", "Your year in pixels", _pixels(data["year"])))
    body = "".join(
        f'<section id="{sid}"><h2>{html.escape(title)}</h2>{content}</section>'
        for sid, title, content in sections
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>habitd report</title>
<style>
body {{ font-family: sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }}
h1 {{ color: #3f7d6e; }} section {{ margin-bottom: 2rem; }} .note {{ color: #666; }}
table.pixels {{ border-spacing: 2px; }}
table.pixels td {{ width: 10px; height: 10px; padding: 0; border-radius: 2px; }}
table.pixels td.out {{ background: none; }}
svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>Your last {data["days"]} days</h1>
<p id="overview">{data["entries"]} entries. This report was made on your machine and
fetches nothing.</p>
{body}
</body></html>
"""
