"""``habitd plugin new``: start a plugin of your own."""

from __future__ import annotations

from pathlib import Path

import click

from habitd.cli import fail


@click.group("plugin")
def plugin() -> None:
    """Write your own plugin (see docs/plugins.md)."""


@plugin.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Where to create habitd-NAME/.",
)
def new(name: str, folder: Path) -> None:
    """Create habitd-NAME: a package with a nudge kind, a command and a passing test."""
    from habitd.errors import HabitdError
    from habitd.scaffold import create

    try:
        written = create(name, folder)
    except HabitdError as exc:
        fail(exc.message)
    for path in written:
        click.echo(f"wrote {path}")
    root = written[0].parent
    click.echo(f"next: cd {root} && pip install -e '.[test]' && pytest")
