"""The real daemon process: start, answer, reload, stop, crash and come back."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
from pathlib import Path

import pytest

from habitd.plugins import BUILTINS

from .conftest import BASE_CONFIG, Daemon, Env, wait_for


def test_status_trigger_history_done(env: Env, daemon: Daemon) -> None:
    info = env.ok("status", "--json").json()
    assert info["running"] is True
    assert info["pid"] == daemon.proc.pid
    assert info["notifier"] == "log"
    assert info["tray"].startswith("not started: notifications go to the log")  # said why
    assert info["nudges"] == 2
    assert {p["name"]: p["state"] for p in info["plugins"]} == dict.fromkeys(BUILTINS, "active")
    human = env.ok("status").out
    assert f"pid {daemon.proc.pid}" in human and "notifier:  log" in human
    assert "tray:      not started: notifications go to the log" in human

    sent = env.ok("trigger", "morning", "--json").json()
    assert sent["status"] == "fired" and sent["message"]["title"] == "A quiet minute"
    wait_for(lambda: "nudge morning: shown" in daemon.log)  # its words only with -v
    env.ok("done", "meditate", "--note", "ten minutes")
    events = env.history()
    assert [(e["nudge"], e["event"]) for e in events] == [
        ("morning", "fired"),
        (None, "done"),
        (None, "celebrated"),  # day one of meditating
    ]
    assert events[0]["title"] == "A quiet minute" and events[0]["body"] == "Breathe."
    assert events[1]["habit"] == "meditate" and events[1]["detail"]["note"] == "ten minutes"


def test_sigterm_exits_cleanly_and_removes_socket(env: Env, daemon: Daemon) -> None:
    assert os.path.exists(env.socket)
    assert daemon.stop(signal.SIGTERM) == 0
    assert not os.path.exists(env.socket)
    assert "stopped" in daemon.log
    result = env.cli("status")
    assert result.rc == 3 and "not running" in result.err


@pytest.mark.clock
def test_kill9_then_restart_replaces_stale_socket_and_keeps_data(env: Env, daemon: Daemon) -> None:
    env.ok("done", "meditate", "--date", "2026-01-02")
    env.ok("skip", "walk")
    daemon.proc.kill()
    daemon.proc.wait(10)
    assert os.path.exists(env.socket)  # left behind by the crash
    assert env.cli("status").rc == 3
    again = env.start_daemon()
    assert "removing a stale socket" in again.log
    marks = sqlite3.connect(env.db).execute("SELECT habit, day, state FROM checks").fetchall()
    assert sorted(marks)[0] == ("meditate", "2026-01-02", "done")
    assert [e["event"] for e in env.history()] == ["done", "skipped"]


def test_second_daemon_refuses_to_start(env: Env, daemon: Daemon) -> None:
    second = env.start_daemon(wait=False)
    assert second.proc.wait(20) == 1
    assert f"already running (pid {daemon.proc.pid}) on this database" in second.log
    assert env.ok("status", "--json").json()["pid"] == daemon.proc.pid


def test_one_daemon_per_database_whatever_the_runtime_folder(
    env: Env, daemon: Daemon, tmp_path: Path
) -> None:
    """Another XDG_RUNTIME_DIR (another socket) on the same data: refused, naming the pid;
    the CLI working directly on the data still works."""
    other = tmp_path / "other-run"
    other.mkdir(mode=0o700)
    env.environ["XDG_RUNTIME_DIR"] = str(other)
    second = env.start_daemon(wait=False)
    assert second.proc.wait(20) == 1
    assert f"already running (pid {daemon.proc.pid}) on this database" in second.log
    assert "working on your data directly" in env.ok("done", "walk").err  # no daemon there


@pytest.mark.clock
def test_reload_with_broken_config_keeps_the_old_one(env: Env, daemon: Daemon) -> None:
    env.write_config(BASE_CONFIG.replace('date = "2100-01-01 19:00"', 'at = ["33:30"]'))
    result = env.cli("reload")
    assert result.rc == 1
    assert (
        f"habitd: {env.config_file}:24:6: nudge[1].at: item 0: expected a time as HH:MM "
        "(24-hour), got '33:30'" in result.err
    )
    assert "reload refused" in daemon.log
    assert env.ok("status", "--json").json()["nudges"] == 2
    env.ok("trigger", "evening")  # still answers, with the old config

    env.write_config(BASE_CONFIG + '\n[[nudge]]\nid = "third"\ndate = "2100-01-02 05:00"\n')
    assert "3 nudges" in env.ok("reload").out
    assert "third" in [row["nudge"] for row in env.ok("next", "--json").json()]


def test_sighup_reloads_and_bad_config_is_logged(env: Env, daemon: Daemon) -> None:
    env.write_config(BASE_CONFIG + '\n[[nudge]]\nid = "third"\ndate = "2100-01-02 05:00"\n')
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: env.ok("status", "--json").json()["nudges"] == 3)
    env.write_config("[habitd\n")
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "TOML syntax" in daemon.log)
    assert env.ok("status", "--json").json()["nudges"] == 3


def test_daemon_refuses_an_invalid_config_at_start(env: Env) -> None:
    env.write_config('[[nudge]]\nid = "x"\nkind = "nope"\nat = ["08:00"]\n')
    daemon = env.start_daemon(wait=False)
    assert daemon.proc.wait(20) == 1
    assert "nudge[0].kind: unknown kind 'nope'" in daemon.log
    assert not os.path.exists(env.socket)


def test_runs_on_packaged_default_without_a_config(env: Env) -> None:
    env.start_daemon()
    info = env.ok("status", "--json").json()
    assert info["nudges"] == 5 and info["config"].endswith("habitd/data/habitd.toml")


def test_files_are_private(env: Env, daemon: Daemon) -> None:
    env.ok("done", "meditate")
    for folder in (env.db.parent, env.runtime / "habitd", env.root / "state" / "habitd"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for file in (env.db, Path(env.socket)):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_refuses_a_data_dir_open_to_others(env: Env) -> None:
    env.write_config()
    data = env.db.parent
    data.mkdir(parents=True)
    data.chmod(0o755)
    daemon = env.start_daemon(wait=False)
    assert daemon.proc.wait(20) == 1
    assert f"{data} is open to other users (mode 0755)" in daemon.log
    assert f"Fix: chmod 700 {data}" in daemon.log
