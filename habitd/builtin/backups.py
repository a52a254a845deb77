"""Automatic backups: once a day, an online copy of the database in the state folder,
keeping the last 7 daily and 4 weekly copies (all 0600)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from habitd.plugin import Job, PluginContext, hookimpl, parse_schedule

DAILY, WEEKLY = 7, 4


def folder(ctx: PluginContext) -> Path:
    """Where backups go: ``<state dir>/backups`` (0700)."""
    path = ctx.state_dir / "backups"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def back_up(ctx: PluginContext) -> Path:
    """Today's daily copy (and this week's weekly one on Sundays), then prune old ones."""
    today = ctx.today()
    target = folder(ctx) / f"daily-{today.isoformat()}.sqlite3"
    ctx.back_up(target)
    if today.weekday() == 6:
        year, week, _ = today.isocalendar()
        ctx.back_up(folder(ctx) / f"weekly-{year}-W{week:02d}.sqlite3")
    for prefix, keep in (("daily-", DAILY), ("weekly-", WEEKLY)):
        old = sorted(folder(ctx).glob(f"{prefix}*.sqlite3"))[:-keep]
        for path in old:
            path.unlink()
    return target


@hookimpl
def habitd_jobs(ctx: PluginContext) -> Sequence[Job]:
    """Every day at noon (a laptop is more likely awake than at night); a late run still counts."""

    async def daily() -> None:
        back_up(ctx)

    return [
        Job("daily-backup", parse_schedule({"at": ["12:00"]}), daily, grace=timedelta(hours=12))
    ]
