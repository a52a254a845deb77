"""Automatic backups: once a day, an online copy of the database in the state folder,
keeping the last 7 daily and 4 weekly copies (all 0600)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from habitd.app import App, Job
from habitd.config import parse_schedule
from habitd.hookspecs import hookimpl

DAILY, WEEKLY = 7, 4


def folder(app: App) -> Path:
    """Where backups go: ``<state dir>/backups`` (0700)."""
    path = app.paths.state_dir / "backups"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def back_up(app: App) -> Path:
    """Today's daily copy (and this week's weekly one on Sundays), then prune old ones."""
    today = app.today()
    target = folder(app) / f"daily-{today.isoformat()}.sqlite3"
    app.store.backup(target)
    if today.weekday() == 6:
        year, week, _ = today.isocalendar()
        app.store.backup(folder(app) / f"weekly-{year}-W{week:02d}.sqlite3")
    for prefix, keep in (("daily-", DAILY), ("weekly-", WEEKLY)):
        old = sorted(folder(app).glob(f"{prefix}*.sqlite3"))[:-keep]
        for path in old:
            path.unlink()
    return target


@hookimpl
def habitd_jobs(app: App) -> Sequence[Job]:
    """Every day at noon (a laptop is more likely awake than at night); a late run still counts."""

    async def daily() -> None:
        back_up(app)

    return [
        Job("daily-backup", parse_schedule({"at": ["12:00"]}), daily, grace=timedelta(hours=12))
    ]
