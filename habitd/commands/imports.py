"""``habitd import FILE``: bring your history in (see :mod:`habitd.importers`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from habitd.cli import Context, fail


@click.command("import")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Import without asking.")
@click.pass_obj
def import_(obj: Context, file: Path, yes: bool) -> None:
    """Bring in habitd's own archive, a Loop backup (.db) or CSV export (folder or zip), or a
    Daylio CSV: shows what it would add first."""
    from habitd import clock, importers
    from habitd.config import ConfigError, read_config
    from habitd.errors import HabitdError
    from habitd.paths import resolve

    paths = resolve(obj.config)
    try:
        config = read_config(paths)
    except ConfigError as exc:
        fail(exc.message)
    try:
        plan = importers.read(file, clock.zone(config.settings.timezone))
    except HabitdError as exc:
        fail(exc.message)
    known = {habit.id for habit in config.habits}
    new_habits = [h for h in plan.habits if h["id"] not in known]
    people = {str(c.get("name", "")).lower() for c in config.support.get("contact", [])}
    new_contacts = [c for c in plan.contacts if str(c.get("name", "")).lower() not in people]
    click.echo(plan.summary())
    if new_habits:
        names = ", ".join(str(h.get("name", h["id"])) for h in new_habits)
        click.echo(f"habits to add to {paths.config_file}: {names}")
    if new_contacts:
        names = ", ".join(str(c.get("name")) for c in new_contacts)
        click.echo(f"support contacts to add to {paths.config_file}: {names}")
    for reason in plan.skipped[:20]:
        click.echo(f"  cannot map: {reason}")
    if len(plan.skipped) > 20:
        click.echo(f"  ... and {len(plan.skipped) - 20} more")
    if not yes:
        if not sys.stdin.isatty():
            click.echo("nothing imported yet: run it again with --yes to import")
            return
        if not click.confirm("Import it?", default=False):
            click.echo("nothing imported")
            return
    if new_habits or new_contacts:
        _append_tables(paths.config_file, new_habits, new_contacts, plan.source)
    # in this process, whether a daemon runs or not: a whole history is far larger than a
    # request to the daemon may be, and an import needs no reaction (it is the past)
    import os

    try:
        result = obj.in_process().call(
            "import_data",
            {"marks": plan.marks, "entries": plan.entries, "key": os.urandom(16).hex()},
        )
    except HabitdError as exc:
        fail(exc.message, exc.exit_code)
    click.echo(
        f"imported {result['marks']} marks and {result['entries']} entries"
        + (f" ({result['counted']} days marked for writing)" if result.get("counted") else "")
        + (f" (and {len(new_habits)} habits into the config)" if new_habits else "")
        + ("; the rest was there already" if _fewer(result, plan) else "")
    )
    for reason in result.get("skipped", [])[:20]:
        click.echo(f"  skipped: {reason}")
    if new_habits or new_contacts:
        _reload_if_running()


def _fewer(result: dict[str, Any], plan: Any) -> bool:
    return bool(result["marks"] < len(plan.marks) or result["entries"] < len(plan.entries))


def _append_tables(
    config_file: Path,
    habits: list[dict[str, Any]],
    contacts: list[dict[str, Any]],
    source: str,
) -> None:
    """Add ``[[habit]]`` and ``[[support.contact]]`` tables at the end of the config, leaving
    what is there (comments included) as it is, and check the result before it replaces the
    file."""
    import tomli_w

    from habitd.clock import utc_now
    from habitd.config import ConfigError, loads
    from habitd.files import private_file

    old = config_file.read_text(encoding="utf-8") if config_file.exists() else ""
    tables = "".join("\n[[habit]]\n" + tomli_w.dumps(habit) for habit in habits) + "".join(
        "\n[[support.contact]]\n" + tomli_w.dumps(contact) for contact in contacts
    )
    new = f"{old.rstrip()}\n\n# imported from {source} on {utc_now():%Y-%m-%d}{tables}"
    try:
        loads(new, config_file)
    except ConfigError as exc:
        fail("what the import adds would break your config; nothing was changed:\n" + exc.message)
    with private_file(config_file) as handle:
        handle.write(new)


def _reload_if_running() -> None:
    from habitd import ipc
    from habitd.paths import socket_path

    try:
        ipc.call(socket_path(), "reload", {})
    except ipc.NoDaemon:
        return
    except (ipc.RemoteError, OSError) as exc:
        click.echo(f"habitd: the daemon did not reload ({exc}); run `habitd reload`", err=True)
