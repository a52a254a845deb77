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
    if new_habits or new_contacts:  # checked now: a config it would break stops it here
        _checked_config(paths.config_file, new_habits, new_contacts, plan.source)
    with _one_import_at_a_time(paths.db):
        result = _write_in_batches(obj, plan)
        if new_habits or new_contacts:
            try:
                new = _checked_config(paths.config_file, new_habits, new_contacts, plan.source)
                from habitd.files import private_file

                with private_file(paths.config_file) as handle:
                    handle.write(new)
            except BaseException:
                _take_back(obj, result["added"])
                raise
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


BATCH = 2000
"""Rows written in one transaction: small enough that a `journal` or `done` (from the
daemon or another client) waiting for the database gets in between two batches at once."""


def _write_in_batches(obj: Context, plan: Any) -> dict[str, Any]:
    """Write the plan batch by batch, in this process, whether a daemon runs or not (a whole
    history is far larger than a request to the daemon may be, and an import needs no
    reaction: it is the past). Progress on a terminal; stopped (Ctrl-C) or failed, what the
    batches added is taken back, so no half history stays."""
    import os
    import time

    from habitd.errors import HabitdError

    rows = [("mark", m) for m in plan.marks] + [("entry", e) for e in plan.entries]
    total: dict[str, Any] = {
        "marks": 0,
        "entries": 0,
        "counted": 0,
        "skipped": [],
        "added": _nothing(),
    }
    keys: list[str] = []
    started = time.monotonic()
    progress = sys.stderr.isatty() and len(rows) > BATCH
    try:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            keys.append(os.urandom(16).hex())
            result = obj.in_process().call(
                "import_data",
                {
                    "marks": [row for what, row in batch if what == "mark"],
                    "entries": [row for what, row in batch if what == "entry"],
                    "key": keys[-1],
                    "event": False,
                },
            )
            _add(total, result)
            if progress:
                _show_progress(start + len(batch), len(rows), time.monotonic() - started)
        if progress:
            click.echo(file=sys.stderr)
        summary = {k: total[k] for k in ("marks", "entries", "counted")}
        obj.in_process().call(
            "import_data",
            {"marks": [], "entries": [], "key": os.urandom(16).hex(), "totals": summary},
        )
    except BaseException as exc:
        if progress:
            click.echo(file=sys.stderr)
        # a batch in flight when it stopped: asking again with its key waits for it and
        # returns what it added (or adds it now, to be taken back with the rest)
        if keys and not isinstance(exc, HabitdError):
            with _suppress_interrupts():
                _add(
                    total,
                    obj.in_process().call(
                        "import_data", {"marks": [], "entries": [], "key": keys[-1], "event": False}
                    ),
                )
        _take_back(obj, total["added"])
        if isinstance(exc, KeyboardInterrupt):
            fail("import stopped: nothing of it was kept", 130)
        if isinstance(exc, HabitdError):
            fail(f"{exc.message}; nothing of the import was kept", exc.exit_code)
        raise
    return total


def _nothing() -> dict[str, list[Any]]:
    return {"entries": [], "marks": []}


def _add(total: dict[str, Any], result: dict[str, Any]) -> None:
    for name in ("marks", "entries", "counted"):
        total[name] += result.get(name, 0)
    total["skipped"] += result.get("skipped", [])
    added = result.get("added") or _nothing()
    total["added"]["entries"] += added["entries"]
    total["added"]["marks"] += added["marks"]


def _take_back(obj: Context, added: dict[str, list[Any]]) -> None:
    import os

    if added["entries"] or added["marks"]:
        with _suppress_interrupts():
            obj.in_process().call(
                "import_undo",
                {"entries": added["entries"], "marks": added["marks"], "key": os.urandom(16).hex()},
            )
        added["entries"], added["marks"] = [], []


class _suppress_interrupts:
    """Ctrl-C pressed again while an import is being taken back waits for it to finish."""

    def __enter__(self) -> None:
        import signal

        self._before = signal.signal(signal.SIGINT, signal.SIG_IGN)

    def __exit__(self, *_: object) -> None:
        import signal

        signal.signal(signal.SIGINT, self._before)


def _show_progress(done: int, total: int, seconds: float) -> None:
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate else 0.0
    click.echo(
        f"\rimporting: {done:,} of {total:,} rows, {rate:,.0f}/s, {left:.0f} s left  ",
        nl=False,
        file=sys.stderr,
    )


class _one_import_at_a_time:
    """A lock beside the database (habitd's own file, 0600): a second import waits for the
    first, and says so."""

    def __init__(self, db: Path) -> None:
        self.path = db.with_name(f"{db.name}.import-lock")

    def __enter__(self) -> None:
        import fcntl
        import os

        from habitd.errors import HabitdError
        from habitd.paths import ensure_private_dir

        try:
            ensure_private_dir(self.path.parent)
        except HabitdError as exc:
            fail(exc.message)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            click.echo("habitd: another import is running; waiting for it to finish", err=True)
            fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        import os

        os.close(self.fd)  # the lock goes with it; the file stays for the next import


def _fewer(result: dict[str, Any], plan: Any) -> bool:
    return bool(result["marks"] < len(plan.marks) or result["entries"] < len(plan.entries))


def _checked_config(
    config_file: Path,
    habits: list[dict[str, Any]],
    contacts: list[dict[str, Any]],
    source: str,
) -> str:
    """The config with ``[[habit]]`` and ``[[support.contact]]`` tables added at its end,
    leaving what is there (comments included) as it is, checked; a result that would not
    load stops the import (nothing changed)."""
    import tomli_w

    from habitd.clock import utc_now
    from habitd.config import ConfigError, loads

    old = config_file.read_text(encoding="utf-8") if config_file.exists() else ""
    tables = "".join("\n[[habit]]\n" + tomli_w.dumps(habit) for habit in habits) + "".join(
        "\n[[support.contact]]\n" + tomli_w.dumps(contact) for contact in contacts
    )
    new = f"{old.rstrip()}\n\n# imported from {source} on {utc_now():%Y-%m-%d}{tables}"
    try:
        loads(new, config_file)
    except ConfigError as exc:
        fail("what the import adds would break your config; nothing was changed:\n" + exc.message)
    return new


def _reload_if_running() -> None:
    from habitd import ipc
    from habitd.paths import socket_path

    try:
        ipc.call(socket_path(), "reload", {})
    except ipc.NoDaemon:
        return
    except (ipc.RemoteError, OSError) as exc:
        click.echo(f"habitd: the daemon did not reload ({exc}); run `habitd reload`", err=True)
