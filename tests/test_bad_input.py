"""Every command answers bad input, and a bad place to be, in a sentence: on an empty home,
with a home it cannot write, with numbers past 64 bits, bytes that are not UTF-8,
``/dev/full`` and a device as outputs, and a daemon that hangs. Exit 0-3, no traceback on
either side of the socket, and a failure says what went wrong in a line or two.

:data:`WALK` holds every command of the CLI (a test fails when a new one is missing), each
with ordinary arguments and with the hostile ones a person can type.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest

from .conftest import BASE_CONFIG, Env

HUGE = "99999999999999999999999"  # past 64 bits
NOT_UTF8 = os.fsdecode(b"\xff\xfe")  # as a shell passes $'\xff\xfe'

WALK: dict[str, list[list[str]]] = {
    "backup": [["backup"], ["backup", "--out", "{device}"], ["backup", "--out", "{dir}"]],
    "breathe": [["breathe", "no-such-practice"], ["breathe", NOT_UTF8]],
    "completion": [["completion", "bash"], ["completion", NOT_UTF8]],
    "config check": [["config", "check"], ["config", "check", "{dir}"]],
    "config edit": [["config", "edit"]],
    "config path": [["config", "path"]],
    "contacts": [["contacts"], ["contacts", "--json"]],
    "doctor": [["doctor"]],
    "done": [
        ["done", "meditate"],
        ["done", "meditate", "--value", HUGE],
        ["done", "meditate", "--value", "nan"],
        ["done", NOT_UTF8],
        ["done", "meditate", "--note", NOT_UTF8],
        ["done", "meditate", "--date", "0001-01-01"],
        ["done", "meditate", "--date", HUGE],
    ],
    "entries": [
        ["entries"],
        ["entries", "--search", NOT_UTF8],
        ["entries", "--search", '"'],
        ["entries", "--min-intensity", HUGE],
        ["entries", "--since", HUGE + "d"],
    ],
    "entry delete": [["entry", "delete", HUGE, "--yes"], ["entry", "delete", "1", "--yes"]],
    "entry edit": [["entry", "edit", HUGE, "--note", "x"], ["entry", "edit", "1", "--note", "y"]],
    "export": [["export", "--out", "{device}"], ["export", "--out", "{dir}/new"]],
    "habit show": [["habit", "show", "meditate"], ["habit", "show", NOT_UTF8]],
    "help-now": [["help-now"]],
    "history": [["history"], ["history", "--since", HUGE + "h"], ["history", "--nudge", NOT_UTF8]],
    "import": [["import", "{dir}"], ["import", "{device}"], ["import", NOT_UTF8]],
    "init": [["init"]],
    "journal": [
        ["journal", "--note", NOT_UTF8],
        ["journal", "--intensity", HUGE],
        ["journal", "--when", HUGE + "h ago", "--note", "x"],
    ],
    "lapse": [["lapse", "meditate"], ["lapse", NOT_UTF8]],
    "next": [["next"]],
    "pause": [["pause", HUGE + "h"], ["pause", "--until", "9999-12-31"], ["pause", NOT_UTF8]],
    "plugin new": [["plugin", "new", NOT_UTF8], ["plugin", "new", "mine"]],
    "plugins": [["plugins"]],
    "plugins reset": [["plugins", "reset", NOT_UTF8]],
    "practices": [["practices"]],
    "reached": [["reached", NOT_UTF8], ["reached", "sam", "--date", HUGE]],
    "reload": [["reload"]],
    "report": [["report", "--days", HUGE], ["report", "--html", "{device}"], ["report"]],
    "restore": [["restore", "{device}", "--yes"], ["restore", "{dir}/nothing", "--yes"]],
    "resume": [["resume"]],
    "run": [["run"]],
    "service install": [["service", "install"]],
    "service status": [["service", "status"]],
    "service uninstall": [["service", "uninstall"]],
    "skip": [["skip", NOT_UTF8], ["skip", "meditate", "--date", HUGE]],
    "snooze": [["snooze", "evening", HUGE + "m"], ["snooze", NOT_UTF8, "1h"]],
    "status": [["status"]],
    "streaks": [["streaks"], ["streaks", "--json"]],
    "surf": [["surf", "--intensity", HUGE]],
    "thought": [["thought"]],
    "trigger": [["trigger", NOT_UTF8], ["trigger", "evening"]],
    "unmark": [["unmark", "meditate", "--date", HUGE]],
    "urge": [["urge", "--intensity", HUGE], ["urge", "--intensity", "3", "--coped", NOT_UTF8]],
}
"""Every command, with what a person in a hurry (or a hostile one) may type."""

CONDITIONS = ("empty home", "unwritable home", "full output", "hung daemon")


def _commands(command: click.Command, ctx: click.Context, prefix: str = "") -> Iterator[str]:
    if not isinstance(command, click.Group) or command.invoke_without_command:
        yield prefix.strip()
    if not isinstance(command, click.Group):
        return
    for name in command.list_commands(ctx):
        found = command.get_command(ctx, name)
        assert found is not None, name
        yield from _commands(found, ctx, f"{prefix}{name} ")


def test_the_walk_holds_every_command() -> None:
    from habitd.cli import BUILTIN_COMMANDS, main

    ctx = click.Context(main)
    found = [
        name
        for top in BUILTIN_COMMANDS
        for name in _commands(main.get_command(ctx, top) or main, ctx, f"{top} ")
    ]
    assert sorted(found) == sorted(WALK)


def _device(tmp_path: Path) -> Path:
    """A node like /dev/null of the test's own (the real one is never put at risk)."""
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return node


def _walk(env: Env, condition: str, tmp_path: Path) -> list[str]:
    """Run every command of the walk; what went wrong, one line each."""
    device, folder = _device(tmp_path), tmp_path / "folder"
    folder.mkdir()
    environ = {**env.environ, "EDITOR": "true", "VISUAL": "true", "HABITD_TIMEOUT": "2"}
    if condition == "unwritable home":
        blocked = tmp_path / "a-file"
        blocked.write_text("not a folder\n")
        for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "HOME"):
            environ[variable] = str(blocked / variable.lower())
    output = "/dev/full" if condition == "full output" else None

    def run(argv: list[str]) -> str | None:
        args = [a.format(device=device, dir=folder) for a in argv]
        if args[0] == "run" and condition in ("empty home", "full output"):
            return None  # a daemon that starts is the right answer there: not a walk
        with open(output or os.devnull, "w") as out:
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "habitd", *args],
                    env=environ,
                    cwd=tmp_path,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE if output is None else out,
                    stderr=subprocess.PIPE,
                    timeout=30,
                )
            except subprocess.TimeoutExpired:
                return f"{args}: still running after 30 s"
        err = done.stderr.decode(errors="replace")
        lines = [line for line in err.splitlines() if line.strip()]
        if "Traceback" in err or "Exception ignored" in err:
            return f"{args}: exit {done.returncode}, a traceback:\n{err}"
        if done.returncode not in (0, 1, 2, 3):
            return f"{args}: exit {done.returncode}:\n{err}"
        answered = output is None and done.stdout.strip()  # doctor: its findings, exit 1
        if done.returncode == 1 and not answered and not 1 <= len(lines) <= 3:
            return f"{args}: exit 1 with {len(lines)} lines:\n{err}"
        return None

    with ThreadPoolExecutor(4) as pool:
        found = [p for p in pool.map(run, [a for runs in WALK.values() for a in runs]) if p]
    if not stat.S_ISCHR(device.stat().st_mode):  # backup, export, report: not over a device
        found.append(f"{device} was replaced by a file")
    return found


@pytest.mark.clock
@pytest.mark.parametrize("condition", CONDITIONS)
def test_every_command_answers_in_a_sentence(env: Env, condition: str, tmp_path: Path) -> None:
    if condition != "empty home":
        env.write_config(BASE_CONFIG + '\n[[support.contact]]\nname = "Sam"\nreach = "555"\n')
        env.ok("journal", "--note", "a first entry")
    if condition == "hung daemon":
        daemon = env.start_daemon()
        daemon.proc.send_signal(signal.SIGSTOP)
    try:
        problems = _walk(env, condition, tmp_path)
    finally:
        if condition == "hung daemon":
            daemon.proc.send_signal(signal.SIGCONT)
    if condition == "hung daemon":
        daemon.stop()
        assert "Traceback" not in daemon.log, daemon.log
    assert not problems, "\n".join(problems)
