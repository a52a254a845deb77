"""The people who help: ``habitd contacts``, ``habitd reached``, ``habitd help-now``."""

from __future__ import annotations

import os
from typing import Any

import click

from habitd import completion, words
from habitd.cli import call, emit_json, fail, here, table
from habitd.help import MOMENTS


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def contacts(as_json: bool) -> None:
    """Your support people: who, how to reach them, and when you last did."""
    rows = call("support.contacts")
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no contacts yet: add [[support.contact]] to your config (habitd config edit)")
        return
    table(
        [
            (
                r["name"],
                r["role"],
                r["reach"],
                "never" if r["days_since"] is None else words.ago(r["days_since"]),
            )
            for r in rows
        ],
        ("name", "role", "how to reach", "last reached"),
    )


@click.command()
@click.argument("name", shell_complete=completion.contacts)
@click.option("--how", type=click.Choice(["call", "text", "meet", "other"]), default=None)
@click.option("--note", default=None)
@click.option("--date", "day", default=None, help="A past day (YYYY-MM-DD).")
def reached(name: str, how: str | None, note: str | None, day: str | None) -> None:
    """Log that you reached someone. Every connection counts."""
    key = os.urandom(16).hex()  # a retry in-process after a lost answer records it once
    result = call("support.reached", name=name, how=how, note=note, date=day, key=key)
    click.echo(f"Noted: you reached {result['name']}. Staying connected matters.")


def show_help(found: dict[str, Any], opening: str) -> None:
    """The people who help (the best for this moment first, in bold), a next step or two,
    and the crisis line last: what ``help-now`` shows, and what a hard moment gets."""
    click.echo(click.style(opening, bold=True))
    people = found["contacts"]
    for number, person in enumerate(people):
        line = f"{person['name']} ({person['role']}): {person['reach']}"
        click.echo(click.style(f"  -> {line}", bold=True) if number == 0 else f"     {line}")
    if not people:
        click.echo(
            "  No one is listed yet: add the people who help to [support] (habitd config edit)."
        )
    for step in found["next_steps"]:
        click.echo(f"  Or: {step['command']} ({step['why']})")
    click.echo(found["crisis"]["text"])


@click.command("help-now")
@click.option(
    "--for",
    "moment",
    type=click.Choice(MOMENTS),
    default="craving",
    help="What is hard right now (it picks who to reach first).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def help_now(moment: str, as_json: bool) -> None:
    """Right now: the people who help, best first, and the crisis line."""
    from habitd.errors import HabitdError

    try:
        found = here("help_now", moment=moment)  # never waits on the daemon
    except HabitdError as exc:
        fail(exc.message, exc.exit_code)
    if as_json:
        emit_json(found)
        return
    show_help(found, "You don't have to carry this alone. Reach out now:")
