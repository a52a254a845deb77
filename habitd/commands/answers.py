"""Answers: ``habitd done`` and ``habitd skip``."""

from __future__ import annotations

from typing import Any

import click

from habitd.cli import call, marked_day


def _answer_options(command: Any) -> Any:
    command = click.option("--note", default=None, help="A few words about it.")(command)
    command = click.option(
        "--date",
        "day",
        default=None,
        help="An earlier day: yesterday, a weekday (mon...sun) or YYYY-MM-DD.",
    )(command)
    return click.argument("habit")(command)


@click.command()
@_answer_options
@click.option("--value", type=float, default=None, help="How much, for a counted habit.")
def done(habit: str, day: str | None, note: str | None, value: float | None) -> None:
    """Mark HABIT done for today (or --date)."""
    result = call("done", habit=habit, date=day, note=note, value=value)
    click.echo(f"{habit}: done for {marked_day(result)}. Well done.")


@click.command()
@_answer_options
def skip(habit: str, day: str | None, note: str | None) -> None:
    """Skip HABIT for today (or --date): it neither counts nor breaks a streak."""
    result = call("skip", habit=habit, date=day, note=note)
    click.echo(f"{habit}: skipped for {marked_day(result)}.")
