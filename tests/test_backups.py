"""Backups and restore, and migrations from every earlier schema version with data in it."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from habitd.app import App
from habitd.builtin.backups import back_up
from habitd.store import MIGRATIONS, SCHEMA_VERSION, Store, check_backup

from .conftest import BASE_CONFIG, Env, private_paths


def test_a_backup_while_the_daemon_runs(env: Env, tmp_path: Path) -> None:
    env.write_config()
    env.start_daemon()
    env.ok("done", "meditate", "--note", "kept safe")
    out = tmp_path / "copy.sqlite3"
    assert f"backed up to {out}" in env.ok("backup", "--out", str(out)).out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert check_backup(out) == SCHEMA_VERSION
    rows = sqlite3.connect(out).execute("SELECT habit, note FROM checks").fetchall()
    assert rows == [("meditate", "kept safe")]
    default = env.ok("backup").out
    assert "/state/habitd/backups/manual-" in default


def test_daily_backups_keep_seven_days_and_four_weeks(tmp_path: Path) -> None:
    paths = private_paths(tmp_path, BASE_CONFIG)

    async def scenario() -> list[str]:
        with time_machine.travel(datetime(2026, 1, 1, 12, tzinfo=UTC), tick=False) as clock:
            app = await App.open(paths)
            for _ in range(40):
                back_up(app)
                clock.shift(timedelta(days=1))
            await app.close()
        return sorted(p.name for p in (paths.state_dir / "backups").iterdir())

    names = asyncio.run(scenario())
    daily = [n for n in names if n.startswith("daily-")]
    weekly = [n for n in names if n.startswith("weekly-")]
    assert daily == [f"daily-2026-02-{day:02d}.sqlite3" for day in range(3, 10)]
    assert weekly == [
        "weekly-2026-W03.sqlite3",
        "weekly-2026-W04.sqlite3",
        "weekly-2026-W05.sqlite3",
        "weekly-2026-W06.sqlite3",
    ]
    for name in names:
        assert stat.S_IMODE((paths.state_dir / "backups" / name).stat().st_mode) == 0o600


def test_restore_checks_the_file_keeps_the_old_database_and_needs_yes(
    env: Env, tmp_path: Path
) -> None:
    env.write_config()
    env.ok("done", "meditate", "--date", "2026-01-01")
    backup = tmp_path / "b.sqlite3"
    env.ok("backup", "--out", str(backup))
    env.ok("skip", "walk")  # written after the backup
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 100)
    bad = env.cli("restore", str(junk), "--yes")
    assert bad.rc == 1 and "is not a habitd backup" in bad.err
    unsure = env.cli("restore", str(backup))
    assert unsure.rc == 1 and "run again with --yes" in unsure.err
    daemon = env.start_daemon()
    busy = env.cli("restore", str(backup), "--yes")
    assert busy.rc == 1 and "stop the daemon first" in busy.err
    daemon.stop()
    assert "restored" in env.ok("restore", str(backup), "--yes").out
    assert [e["event"] for e in env.history()] == ["done"]  # the skip came after the backup
    kept = list(env.db.parent.glob("habitd.sqlite3.before-restore-*"))
    assert len([k for k in kept if not k.name.endswith(("-wal", "-shm"))]) == 1
    assert stat.S_IMODE(env.db.stat().st_mode) == 0o600


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_migrations_from_every_earlier_version_keep_the_data(version: int, tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        db.executescript(script)
    db.execute(f"PRAGMA user_version = {version}")
    db.execute(
        "INSERT INTO checks (habit, day, state, ts) VALUES ('walk', '2026-01-01', 'done', '')"
    )
    db.execute(
        "INSERT INTO entries (ts, kind, note) VALUES ('2026-01-01T00:00:00', 'journal', 'hi')"
    )
    db.commit()
    db.close()
    store = Store(path)
    assert store.checks()[0].habit == "walk"
    assert store.entries()[0]["note"] == "hi"
    store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
