"""``habitd halt [STATE]``: declared in the entry-point group ``habitd.commands``, so
typing it imports this module and nothing else of the plugin."""

from __future__ import annotations

import click

from habitd.plugin import call

SUGGESTIONS = {
    "hungry": "Something to eat",
    "angry": "Name the boundary",
    "lonely": "Text someone",
    "tired": "Rest",
}


@click.command("halt")
@click.argument("state", required=False, type=click.Choice(list(SUGGESTIONS)))
def halt(state: str | None) -> None:
    """Hungry, angry, lonely or tired? Name it, and get one small next step."""
    if state is None:
        click.echo("Are you hungry, angry, lonely or tired? Answer: habitd halt STATE")
        for name, title in SUGGESTIONS.items():
            click.echo(f"  {name:<7} {title}")
        return
    result = call("halt.answer", state=state)
    click.echo(f"{result['title']}: {result['body']}")
