"""Nudges: ``next``, ``trigger``, ``history``, ``snooze``, ``pause``, ``resume``."""

from __future__ import annotations

from typing import Any

import click

from habitd.cli import call, emit_json, fact, table, when
from habitd.completion import nudges


@click.command("next")
@click.option(
    "--limit",
    type=click.IntRange(1, 50),
    default=1,
    show_default=True,
    help="How many times of each nudge.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def next_(limit: int, as_json: bool) -> None:
    """What comes, soonest first: nudges, snoozes, reviews and reminders, and what a pause or
    quiet hours will do to each."""
    rows = call("next", limit=limit)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("nothing scheduled")
        return
    table(
        [
            (
                when(r["at"]),
                r.get("nudge") or r.get("job"),
                r["kind"],
                r["why"] if r["why"] not in ("scheduled", "plugin job") else r["schedule"],
                _held(r["held"]),
            )
            for r in rows
        ],
        ("when", "what", "kind", "schedule", "then"),
    )


def _held(held: dict[str, Any] | None) -> str:
    if held is None:
        return ""
    if held["until"] is None:
        return f"let go ({held['reason']})"
    return f"{held['reason']}: comes {when(held['until'])}"


@click.command()
@click.argument("nudge", shell_complete=nudges)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def trigger(nudge: str, as_json: bool) -> None:
    """Fire a nudge now, even in quiet hours or a pause (the daemon shows it: exit 3 when
    it is not running)."""
    result = call("trigger", need_daemon=True, nudge=nudge)
    if as_json:
        emit_json(result)
        return
    click.echo(f"sent {nudge} ({result['notifier']}): {result['message']['title']}")


@click.command()
@click.option("--since", default=None, help="How far back: 1d, 12h, or a date (YYYY-MM-DD).")
@click.option("--nudge", default=None, help="Only this nudge.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def history(since: str | None, nudge: str | None, as_json: bool) -> None:
    """What fired and what you answered."""
    rows = call("history", since=since, nudge=nudge)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("nothing yet")
        return
    table(
        [
            (
                when(r["ts"]),
                r["event"],
                r["nudge"] or r["habit"] or "",
                r["title"] or _detail(r["detail"]),
            )
            for r in rows
        ],
        ("when", "event", "what", "detail"),
    )


def _detail(detail: dict[str, Any]) -> str:
    facts = (fact(key, value) for key, value in detail.items() if key != "source")
    return ", ".join(f for f in facts if f)


@click.command()
@click.argument("nudge", shell_complete=nudges)
@click.argument("duration", required=False)
def snooze(nudge: str, duration: str | None) -> None:
    """Fire NUDGE again later: after DURATION (15m, 1h) or the nudge's own snooze time."""
    result = call("snooze", nudge=nudge, duration=duration)
    click.echo(f"snoozed {nudge} until {when(result['until'])}")


@click.command()
@click.argument("duration", required=False)
@click.option("--until", "until", default=None, help="A date (2026-12-24) or date and time.")
@click.option("--habits", is_flag=True, help="A vacation: freeze every streak meanwhile.")
def pause(duration: str | None, until: str | None, habits: bool) -> None:
    """Hold every nudge for DURATION (default 1h; 2h, 30m, until-morning) or --until a date.

    It always ends by itself; held nudges come when it does (`habitd resume` ends it sooner).
    """
    result = call("pause", duration=duration, until=until, habits=habits or None)
    kind = "paused, streaks frozen (a vacation)," if result.get("habits") else "paused"
    click.echo(f"{kind} until {when(result['paused_until'])}; `habitd resume` ends it sooner")
    if result.get("replaced"):
        click.echo(f"(this replaces the pause that ran until {when(result['replaced'])})")


@click.command()
def resume() -> None:
    """End a pause now."""
    result = call("resume")
    click.echo("resumed" if result["was_paused_until"] else "was not paused")
