"""``habitd backup`` and ``habitd restore``: copies of everything you wrote, on your machine."""

from __future__ import annotations

from pathlib import Path

import click

from habitd import ipc
from habitd.cli import Context, fail
from habitd.paths import socket_path


@click.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the copy (default: your state folder's backups/).",
)
@click.pass_obj
def backup(obj: Context, out: Path | None) -> None:
    """Copy the database now (safe while the daemon runs)."""
    from habitd.clock import utc_now
    from habitd.errors import HabitdError
    from habitd.paths import ensure_private_dir, resolve
    from habitd.store import Store

    paths = resolve(obj.config)
    if not paths.db.exists():
        fail(
            f"nothing to back up yet: {paths.db} does not exist (habitd makes it when you "
            "first write something)"
        )
    if out is None:
        folder = ensure_private_dir(paths.state_dir / "backups")
        out = folder / f"manual-{utc_now().astimezone():%Y-%m-%d-%H%M%S}.sqlite3"
    try:
        store = Store(paths.db)
    except HabitdError as exc:
        fail(exc.message)
    try:
        store.backup(out)
    except OSError as exc:
        fail(f"could not write {out}: {exc.strerror}")
    finally:
        store.close()
    click.echo(f"backed up to {out}")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Really replace the current database.")
@click.pass_obj
def restore(obj: Context, file: Path, yes: bool) -> None:
    """Replace the database with a backup; the current one is kept aside, not deleted."""

    from habitd.clock import utc_now
    from habitd.errors import HabitdError
    from habitd.lock import InstanceLock
    from habitd.paths import ensure_private_dir, resolve
    from habitd.store import check_backup
    from habitd.store import restore as restore_database

    paths = resolve(obj.config)
    try:
        version = check_backup(file)
    except HabitdError as exc:
        fail(exc.message)
    try:
        ipc.call(socket_path(), "ping", timeout=min(5.0, ipc.client_timeout()))
    except ipc.NoDaemon:
        pass
    except (ipc.NoAnswer, ipc.Busy):
        fail("the daemon is running but not answering; stop it first, then restore")
    else:
        fail("stop the daemon first (systemctl --user stop habitd), then restore")
    aside = paths.db.with_name(
        f"{paths.db.name}.before-restore-{utc_now().astimezone():%Y%m%d-%H%M%S}"
    )
    if not yes:
        click.echo(f"{file} is a habitd backup (schema {version}).")
        click.echo(f"Restoring keeps the current database as {aside}.")
        fail("run again with --yes to restore")
    ensure_private_dir(paths.data_dir)
    lock = InstanceLock(paths.data_lock, f"on this database ({paths.db})")
    try:
        lock.acquire()  # a daemon on another socket holds it too: never restore under one
        aside = restore_database(file, paths.db, aside)
    except HabitdError as exc:
        fail(exc.message)
    except OSError as exc:
        fail(f"could not restore {file}: {exc.strerror}; the database was left as it was")
    finally:
        lock.release()
    click.echo(f"restored {file}; the previous database is {aside}")
