"""The people who help: ``habitd contacts``, ``habitd reached``, ``habitd help-now``."""

from __future__ import annotations

import click

from habitd.cli import call, emit_json, table


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
                "never" if r["days_since"] is None else f"{r['days_since']} days ago",
            )
            for r in rows
        ],
        ("name", "role", "how to reach", "last reached"),
    )


@click.command()
@click.argument("name")
@click.option("--how", type=click.Choice(["call", "text", "meet", "other"]), default=None)
@click.option("--note", default=None)
@click.option("--date", "day", default=None, help="A past day (YYYY-MM-DD).")
def reached(name: str, how: str | None, note: str | None, day: str | None) -> None:
    """Log that you reached someone. Every connection counts."""
    result = call("support.reached", name=name, how=how, note=note, date=day)
    click.echo(f"Noted: you reached {result['name']}. Staying connected matters.")


@click.command("help-now")
def help_now() -> None:
    """Right now: the best person to reach, and the crisis line."""
    result = call("support.help_now")
    contact = result["contact"]
    if contact:
        click.echo(
            click.style(f"Reach {contact['name']} ({contact['role']}): ", bold=True)
            + contact["reach"]
        )
    click.echo("Or ride it out: habitd surf")
    click.echo(result["crisis_line"])
