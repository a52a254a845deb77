"""Backups and restore, and migrations from every earlier schema version with data in it."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from habitd.app import App
from habitd.builtin.backups import back_up
from habitd.files import own_leftovers, temporary_beside
from habitd.store import MIGRATIONS, SCHEMA_VERSION, DatabaseGone, Store, check_backup

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


def test_a_backup_writes_its_own_file_and_nothing_else(env: Env, tmp_path: Path) -> None:
    """``backup --out`` into a folder of the person's: their files whose names look like
    temporary ones (``*.partial``, even the backup's own name plus ``.partial``) keep every
    byte; only the copy is new. With no database yet, one sentence and no traceback."""
    env.write_config()
    empty = env.cli("backup")
    assert empty.rc == 1 and "Traceback" not in empty.err
    assert (
        empty.err.startswith("habitd: nothing to back up yet") and len(empty.err.splitlines()) == 1
    )
    env.ok("done", "meditate")
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    theirs = {
        "x.partial": b"mine",
        "movie.mkv.partial": b"\x00\x01 half a film",
        "habitd.sqlite3.partial": b"not habitd's",
        ".habitd.sqlite3.partial": b"hidden, still theirs",
        ".habitd.sqlite3.0123456789abcdef.habitd-partial": b"looks like ours, is 0644",
        "habitd.sqlite3.partial-journal": b"theirs too",
    }
    for name, content in theirs.items():
        (downloads / name).write_bytes(content)
    env.ok("backup", "--out", str(downloads / "habitd.sqlite3"))
    env.ok("backup", "--out", str(downloads / "habitd.sqlite3"))  # again, over the first
    assert check_backup(downloads / "habitd.sqlite3") == SCHEMA_VERSION  # reading adds no file
    assert {p.name: p.read_bytes() for p in downloads.iterdir() if p.name in theirs} == theirs
    assert sorted(p.name for p in downloads.iterdir()) == sorted([*theirs, "habitd.sqlite3"])


def test_a_copy_interrupted_leaves_only_its_own_leftover_to_clear(tmp_path: Path) -> None:
    """A copy that fails half-way removes its own temporary file; one left by a kill -9 (habitd's
    name, private, this user's) is cleared by the next copy to the same name."""
    store = Store(tmp_path / "data.sqlite3")
    target = tmp_path / "out.sqlite3"
    left, fd = temporary_beside(target)  # what a backup killed half-way leaves
    os.close(fd)
    journal = left.with_name(left.name + "-journal")
    journal.write_bytes(b"half")
    journal.chmod(0o600)
    assert sorted(own_leftovers(target)) == [left, journal]
    store.backup(target)
    assert not left.exists() and not journal.exists() and own_leftovers(target) == []
    with pytest.raises(OSError):
        store.backup(tmp_path / "no-such-folder" / "out.sqlite3")
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data.sqlite3",
        "data.sqlite3-shm",
        "data.sqlite3-wal",
        "out.sqlite3",
    ] or sorted(p.name for p in tmp_path.iterdir()) == ["data.sqlite3", "out.sqlite3"]


@pytest.mark.clock
def test_daily_backups_keep_seven_days_and_four_weeks(tmp_path: Path) -> None:
    paths = private_paths(tmp_path, BASE_CONFIG)

    async def scenario() -> list[str]:
        with time_machine.travel(datetime(2026, 1, 1, 12, tzinfo=UTC), tick=False) as clock:
            app = await App.open(paths)
            for _ in range(40):
                back_up(app.context("backups"))
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


@pytest.mark.clock
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
    # from another runtime folder the socket is not found, but the database's lock is held
    other_runtime = tmp_path / "other-run"
    other_runtime.mkdir(mode=0o700)
    elsewhere = Env(env.root, other_runtime, {**env.environ, "XDG_RUNTIME_DIR": str(other_runtime)})
    refused = elsewhere.cli("restore", str(backup), "--yes")
    assert refused.rc == 1 and "Traceback" not in refused.err
    assert f"habitd is already running (pid {daemon.proc.pid}) on this database" in refused.err
    assert [e["event"] for e in env.history()] == ["done", "skipped"]  # nothing replaced
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


def test_a_lookalike_with_the_wrong_columns_is_refused(env: Env, tmp_path: Path) -> None:
    env.write_config()
    env.ok("journal", "--note", "mine")
    fake = tmp_path / "fake.sqlite3"
    db = sqlite3.connect(fake)
    db.executescript(
        "CREATE TABLE events (x); CREATE TABLE checks (x); CREATE TABLE entries (x);"
        f"PRAGMA user_version = {SCHEMA_VERSION};"
    )
    db.close()
    refused = env.cli("restore", str(fake), "--yes")
    assert refused.rc == 1 and "its table 'events' has columns ['x']" in refused.err
    assert [e["note"] for e in env.ok("entries", "--json").json()] == ["mine"]


@pytest.mark.clock
def test_a_restore_killed_at_any_moment_leaves_a_whole_private_database(
    env: Env, tmp_path: Path
) -> None:
    """kill -9 a restore of a large backup at moments spread over its run: the live
    database is always the old one or the new one, whole (quick_check), and 0600."""
    env.write_config()
    env.ok("journal", "--note", "before")
    big = tmp_path / "big.sqlite3"
    store = Store(big)
    for n in range(3000):
        store.add_entry("journal", ts=datetime.now(UTC), note=f"{n} " + "x" * 2000)
    store.close()
    check_backup(big)
    for delay in (0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6, 0.8):
        restoring = subprocess.Popen(
            [sys.executable, "-m", "habitd", "restore", str(big), "--yes"],
            env=env.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)  # a moment somewhere in the restore
        restoring.kill()
        restoring.wait(10)
        db = sqlite3.connect(env.db)
        assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        count = db.execute("SELECT count(*) FROM entries").fetchone()[0]
        db.close()
        assert count in (1, 3000)
        assert stat.S_IMODE(env.db.stat().st_mode) == 0o600
    assert "restored" in env.ok("restore", str(big), "--yes").out
    assert not own_leftovers(env.db)  # a stopped one's leftovers are gone
    assert not list(env.db.parent.glob(".*partial*"))


def test_a_database_removed_under_the_daemon_confirms_nothing_into_it(env: Env) -> None:
    """``rm`` of the database while the daemon runs: the daemon refuses the next write (it
    checks the file at that name is still the one it has open), the client writes it to a
    database at that name itself, and status and doctor say what happened."""
    env.write_config()
    env.start_daemon()
    env.ok("journal", "--note", "before")
    for path in env.db.parent.glob("habitd.sqlite3*"):
        path.unlink()
    after = env.ok("journal", "--note", "after the rm")
    assert "was removed while habitd was running" in after.err
    assert "working on your data directly" in after.err and "Traceback" not in after.err
    with sqlite3.connect(env.db) as db:
        assert [n for (n,) in db.execute("SELECT note FROM entries")] == ["after the rm"]
    assert "database:  the database file" in env.ok("status").out
    checks = json.loads(env.cli("doctor", "--json").out)  # exit 1: problems found
    [daemon] = [check for check in checks if check["check"] == "daemon"]
    assert daemon["ok"] is False and "saves nothing until restarted" in daemon["detail"]


@pytest.mark.clock
def test_a_store_refuses_to_write_into_a_replaced_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "habitd.sqlite3")
    store.add_entry("journal", ts=datetime.now(UTC), note="kept")
    assert store.gone() is None
    other = Store(tmp_path / "other.sqlite3")
    other.close()
    os.replace(tmp_path / "other.sqlite3", tmp_path / "habitd.sqlite3")
    assert "was replaced" in (store.gone() or "")
    with pytest.raises(DatabaseGone, match="nothing was saved there"):
        store.add_entry("journal", ts=datetime.now(UTC), note="lost?")
    store.close()
