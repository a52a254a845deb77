"""Goals: ``habitd lapse``, ``streaks``, ``habit show`` and ``export``.

The figures come from the built-in ``goals`` plugin (RPC ``goals.*``); this module only
renders them, in colour on a terminal and as JSON or files on request.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import click

from habitd import words
from habitd.cli import call, emit_json, fail, marked_day, table
from habitd.clock import describe_day
from habitd.completion import habits

SYMBOLS = {"done": "■", "failed": "·", "skipped": "○", "empty": " "}
COLOURS = {"done": "green", "failed": None, "skipped": "blue", "empty": None}
BARS = "▁▂▃▄▅▆▇█"


def cell(kind: str, past: bool = True) -> str:
    """One day as a coloured symbol; a past day with nothing recorded was not done."""
    if kind == "empty" and past:
        kind = "failed"
    colour = COLOURS.get(kind)
    symbol = SYMBOLS.get(kind, "?")
    return click.style(symbol, fg=colour) if colour else symbol


def weeks_strip(kinds: list[str]) -> str:
    """The last days as symbols, a space between weeks (ending today)."""
    cells = [cell(kind, past=n < len(kinds) - 1) for n, kind in enumerate(kinds)]
    groups = [cells[max(0, end - 7) : end] for end in range(len(cells), 0, -7)]
    return " ".join("".join(group) for group in reversed(groups))


@click.command()
@click.argument("habit", shell_complete=habits)
@click.option("--note", default=None, help="What led to it, if you want to say.")
@click.option(
    "--date",
    "day",
    default=None,
    help="An earlier day: yesterday, a weekday (mon...sun) or YYYY-MM-DD.",
)
def lapse(habit: str, note: str | None, day: str | None) -> None:
    """Record a lapse on an abstain habit (kratom-free days). Your total stays yours."""
    result = call("lapse", habit=habit, date=day, note=note)
    click.echo(
        f"{result.get('habit') or habit}: noted for {marked_day(result)}. "
        "Thank you for being honest."
    )
    click.echo("A slip is one day, not the whole story. When you're ready: habitd journal")
    if result.get("help"):  # a lapse today: a person to reach, and the line
        from habitd.commands.support import show_help

        show_help(result["help"], "This is a good moment to reach out:")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def streaks(as_json: bool) -> None:
    """Every habit: today, current and best streak, total, strength, the last four weeks."""
    rows = call("goals.streaks")
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no habits yet: add a [[habit]] to your config (habitd config edit)")
        return
    table(
        [
            (
                row["habit"],
                row["today"],
                words.plural(row["current"], row["unit"]),
                row["best"],
                row["total"],
                f"{row['strength']:.0%}",
                weeks_strip(row["recent"]),
                f"★ {max(row['milestones'])}" if row["milestones"] else "",
            )
            for row in rows
        ],
        ("habit", "today", "current", "best", "total", "strength", "last 4 weeks", "milestone"),
    )
    for row in rows:
        if "clean_days" in row:
            click.echo(
                f"{row['habit']}: {words.plural(row['clean_days'], 'days')} kept in total, "
                f"{words.plural(row['days_since_start'], 'days')} since you started."
            )


@click.group("habit")
def habit() -> None:
    """One habit in detail."""


@habit.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def habit_show(name: str, as_json: bool) -> None:
    """The whole history: a calendar, strength over time, streaks and notes."""
    info = call("goals.habit", habit=name)
    if as_json:
        emit_json(info)
        return
    click.echo(
        click.style(f"{info['name']} ({info['habit']})", bold=True)
        + f"  {info['type']}, {info['target']}"
    )
    if not info["days"]:
        click.echo("nothing recorded yet")
        return
    click.echo(
        f"current {words.plural(info['current'], info['unit'])}, best {info['best']}, "
        f"{words.plural(info['total'], 'days')} done, strength {info['strength']:.0%}, "
        f"since {info['since']}"
    )
    click.echo()
    days = info["days"][-7 * 26 :]
    first = date.fromisoformat(days[0]["day"])
    lead = first.weekday()
    columns = (lead + len(days) + 6) // 7
    for weekday in range(7):
        line = []
        for column in range(columns):
            index = column * 7 + weekday - lead
            inside = 0 <= index < len(days)
            line.append(cell(days[index]["kind"], index < len(days) - 1) if inside else " ")
        click.echo(f"{'MTWTFSS'[weekday]} {''.join(line)}")
    click.echo(f"  {first:%d %b} → today   ■ done  ○ skipped  · not done")
    click.echo()
    weekly = [days[min(end, len(days)) - 1]["strength"] for end in range(7, len(days) + 7, 7)]
    bars = "".join(BARS[min(len(BARS) - 1, int(value * len(BARS)))] for value in weekly)
    click.echo(f"strength by week: {bars}")
    valued = [d for d in info["days"] if d["value"] is not None][-7:]
    if valued and info.get("threshold") is not None:  # a counted habit: what each day held
        unit = f" {info['unit_name']}" if info.get("unit_name") else ""
        limit = "at least" if info["type"] == "at-least" else "at most"
        click.echo(f"recent days ({limit} {info['threshold']:g}{unit}):")
        last = date.fromisoformat(info["days"][-1]["day"])  # today
        for day in valued:
            met = "met" if day["kind"] == "done" else "not met"
            shown = describe_day(date.fromisoformat(day["day"]), last)
            click.echo(f"  {shown}: {day['value']:g}{unit} ({met})")
    notes = [d for d in info["days"] if d["note"]][-5:]
    for note in notes:
        click.echo(f"  {note['day']}: {note['note']}")


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write (default: ./habitd-export-DATE).",
)
def export(fmt: str, out: Path | None) -> None:
    """Write everything habitd holds to files you keep: habits and marks (CSV laid out like
    Loop Habit Tracker's, plus entries.csv), or one JSON archive (habits, marks, every entry,
    history, your support contacts). Files are 0600, the folder 0700."""
    data = call("goals.export")
    entries = call("entries")
    folder = out or Path(f"habitd-export-{data['today']}")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot write the export to {folder}: {exc.strerror} (--out names a folder)")
    if fmt == "json":
        written = write_json(
            folder,
            {
                **data,
                "entries": entries,
                "history": call("history"),
                "contacts": call("support.contacts"),
            },
        )
    else:
        written = [*write_loop_csv(folder, data), write_entries_csv(folder, entries)]
    for path in written:
        click.echo(f"wrote {path}")


def _private(path: Path) -> Any:
    from habitd.files import private_file

    return private_file(path, newline="")


ARCHIVE_VERSION = 1
"""The version of ``habitd-archive.json``'s layout (docs/user-guide.md describes it)."""
ENTRY_COLUMNS = (
    "id",
    "ts",
    "day",
    "kind",
    "emotion",
    "intensity",
    "trigger",
    "craving",
    "halt",
    "note",
)


def write_json(folder: Path, data: dict[str, Any]) -> list[Path]:
    """One ``habitd-archive.json``: everything, with its format and version first."""
    from habitd import __version__

    path = folder / "habitd-archive.json"
    archive = {"format": "habitd-archive", "version": ARCHIVE_VERSION, "habitd": __version__}
    with _private(path) as handle:
        json.dump({**archive, **data}, handle, indent=2, ensure_ascii=False)
    return [path]


def write_entries_csv(folder: Path, entries: list[dict[str, Any]]) -> Path:
    """``entries.csv``: one row per entry, its own columns and the rest as JSON."""
    path = folder / "entries.csv"
    with _private(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*ENTRY_COLUMNS, "more"])
        for entry in entries:
            more = {k: v for k, v in entry.items() if k not in ENTRY_COLUMNS}
            writer.writerow(
                [
                    *("" if entry.get(c) is None else entry[c] for c in ENTRY_COLUMNS),
                    json.dumps(more, ensure_ascii=False) if more else "",
                ]
            )
    return path


LOOP_HEADER = [
    "Position",
    "Name",
    "Type",
    "Question",
    "Description",
    "FrequencyNumerator",
    "FrequencyDenominator",
    "Color",
    "Unit",
    "Target Type",
    "Target Value",
    "Archived?",
]
LOOP_VALUES = {"done": "YES_MANUAL", "skipped": "SKIP", "lapse": "NO"}


def write_loop_csv(folder: Path, data: dict[str, Any]) -> list[Path]:
    """``Habits.csv`` and ``NNN Name/Checkmarks.csv`` per habit, as Loop exports them."""
    from habitd.stats import parse_target

    written = [folder / "Habits.csv"]
    with _private(written[0]) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(LOOP_HEADER)
        for position, habit in enumerate(data["habits"], start=1):
            target = parse_target(habit["target"])
            counted = habit["type"] in ("at-least", "at-most")
            writer.writerow(
                [  # as Loop writes it: a yes/no habit leaves unit and target empty
                    f"{position:03d}",
                    habit["name"],
                    "NUMERICAL" if counted else "YES_NO",
                    "",
                    "",
                    target.times,
                    target.days,
                    "#37474F",
                    (habit["unit"] or "") if counted else "",
                    ("AT_MOST" if habit["type"] == "at-most" else "AT_LEAST") if counted else "",
                    f"{habit['threshold']:g}" if counted and habit["threshold"] is not None else "",
                    "false",
                ]
            )
    for position, habit in enumerate(data["habits"], start=1):
        safe = re.sub(r"[^ a-zA-Z0-9._-]+", "", habit["name"])[:100].strip()  # Loop's rule
        habit_folder = folder / f"{position:03d} {safe}"
        habit_folder.mkdir(mode=0o700, exist_ok=True)
        path = habit_folder / "Checkmarks.csv"
        counted = habit["type"] in ("at-least", "at-most")
        with _private(path) as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["Date", "Value", "Notes"])
            for mark in reversed(habit["marks"]):  # newest first, as Loop writes them
                value = LOOP_VALUES[mark["state"]]
                if counted and mark["state"] == "done" and mark["value"] is not None:
                    value = f"{mark['value']:g}"
                writer.writerow([mark["day"], value, mark["note"] or ""])
        written.append(path)
    return written
