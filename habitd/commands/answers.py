"""Answers: ``habitd done``, ``habitd skip`` and ``habitd unmark``."""

from __future__ import annotations

from typing import Any

import click

from habitd.cli import call, marked_day
from habitd.completion import habits


def _answer_options(command: Any) -> Any:
    command = click.option("--note", default=None, help="A few words about it.")(command)
    command = click.option(
        "--date",
        "day",
        default=None,
        help="An earlier day: yesterday, a weekday (mon...sun) or YYYY-MM-DD.",
    )(command)
    return click.argument("habit", shell_complete=habits)(command)


@click.command()
@_answer_options
@click.option("--value", type=float, default=None, help="How much, for a counted habit.")
def done(habit: str, day: str | None, note: str | None, value: float | None) -> None:
    """Mark HABIT done for today (or --date)."""
    result = call("done", habit=habit, date=day, note=note, value=value)
    click.echo(done_message(result.get("habit") or habit, result))


def done_message(habit: str, result: dict[str, Any]) -> str:
    """What a mark means, said truthfully: a counted habit short of its target is not
    "well done" yet, and one over its limit is thanked for the honesty, never shamed."""
    day = marked_day(result)
    if result.get("met") is False:
        unit = f" {result['unit']}" if result.get("unit") else ""
        value, threshold = _number(result["value"]), _number(result["threshold"])
        if result.get("type") == "at-least":
            return (
                f"{habit}: {value} of {threshold}{unit} for {day}. Not yet the {threshold}, "
                "and every one counts."
            )
        return (
            f"{habit}: {value}{unit} for {day}, above your limit of {threshold}{unit}. Thank "
            "you for writing it down honestly; the next day is a new start."
        )
    return f"{habit}: done for {day}. Well done."


def _number(value: float) -> str:
    return f"{value:g}"


@click.command()
@_answer_options
def skip(habit: str, day: str | None, note: str | None) -> None:
    """Skip HABIT for today (or --date): it neither counts nor breaks a streak."""
    result = call("skip", habit=habit, date=day, note=note)
    click.echo(f"{result.get('habit') or habit}: skipped for {marked_day(result)}.")


@click.command()
@click.argument("habit", shell_complete=habits)
@click.option(
    "--date",
    "day",
    default=None,
    help="An earlier day: yesterday, a weekday (mon...sun) or YYYY-MM-DD.",
)
def unmark(habit: str, day: str | None) -> None:
    """Remove HABIT's mark for today (or --date): a done, a skip or a lapse made by mistake."""
    result = call("unmark", habit=habit, date=day)
    if result["removed"] is None:
        click.echo(f"{result['habit']}: nothing was marked for {marked_day(result)}.")
        return
    word = {"done": "done", "skipped": "skip", "lapse": "lapse"}.get(result["removed"], "mark")
    click.echo(f"{result['habit']}: removed the {word} for {marked_day(result)}.")
