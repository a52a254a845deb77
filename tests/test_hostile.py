"""Hostile input and crashes: property-based tests of every parser, writes that survive
kill -9, another user refused at the socket, and logs that keep private things out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habitd import ipc
from habitd.builtin.practices import parse as parse_practices
from habitd.config import ConfigError, loads
from habitd.errors import HabitdError
from habitd.timeparse import parse_clock, parse_days, parse_duration, parse_range

from .conftest import BASE_CONFIG, Env, local_now, wait_for

# --- parsers never crash: they answer or reject with a clear error ----------------------------


@given(st.text(max_size=40))
def test_durations_times_and_ranges_reject_cleanly(text: str) -> None:
    for parse in (parse_duration, parse_clock, parse_range, parse_days):
        try:
            parse(text)
        except ValueError as exc:
            assert str(exc)


TOML_PIECES = st.sampled_from(
    [
        "[habitd]\n",
        "[[nudge]]\n",
        "[[habit]]\n",
        "[plugins]\n",
        "[support]\n",
        'id = "a"\n',
        'at = ["08:30"]\n',
        'at = "25:00"\n',
        "every = 3\n",
        'every = "2h"\n',
        'cron = "* *"\n',
        'kind = "reminder"\n',
        "days = []\n",
        'timezone = "Nowhere/City"\n',
        "x = [\n",
        '"\n',
        "= 1\n",
        "[nudge.options]\n",
        'reply = ""\n',
        "grace = true\n",
        "\x00",
        "é = 1\n",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(TOML_PIECES, max_size=12))
def test_the_config_parser_only_raises_config_errors(pieces: list[str]) -> None:
    try:
        loads("".join(pieces), Path("fuzz.toml"))
    except ConfigError as exc:
        assert exc.lines and all(line.startswith("fuzz.toml") for line in exc.lines)


@settings(max_examples=100, deadline=None)
@given(st.lists(TOML_PIECES, max_size=8), st.text(max_size=30))
def test_the_practice_loader_reports_problems(pieces: list[str], text: str) -> None:
    practices, problems = parse_practices("[[practice]]\n" + "".join(pieces) + text, Path("p.toml"))
    assert isinstance(practices, list) and isinstance(problems, list)


async def _answer(method: str, params: Any) -> Any:
    if method == "boom":
        raise HabitdError("a clean error")
    return {"method": method}


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.builds(
            lambda method, params, rid: json.dumps(
                {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}
            ).encode(),
            st.one_of(st.text(max_size=10), st.integers(), st.none()),
            st.one_of(
                st.dictionaries(st.text(max_size=5), st.integers()),
                st.lists(st.integers()),
                st.text(max_size=5),
                st.none(),
            ),
            st.one_of(st.integers(), st.text(max_size=5), st.none()),
        ),
    )
)
def test_the_rpc_framing_always_answers_with_json_rpc(line: bytes) -> None:
    answer = asyncio.run(ipc.handle_line(line, _answer))
    if answer is not None:
        assert answer["jsonrpc"] == "2.0"
        assert ("result" in answer) != ("error" in answer)
        if "error" in answer:
            assert isinstance(answer["error"]["code"], int) and answer["error"]["message"]
        json.dumps(answer)


# --- nothing acknowledged is lost -----------------------------------------------------------------


def test_acknowledged_writes_survive_kill_9(env: Env) -> None:
    env.write_config()
    acknowledged: dict[int, str] = {}
    for cycle in range(4):
        daemon = env.start_daemon()
        stop = threading.Event()

        def writer(cycle: int = cycle, stop: threading.Event = stop) -> None:
            n = 0
            while not stop.is_set():
                note = f"cycle {cycle} entry {n}"
                try:
                    reply = ipc.call(
                        env.socket,
                        "entry_add",
                        {"kind": "journal", "fields": {"note": note}},
                        timeout=5,
                    )
                except (ipc.NoDaemon, OSError, json.JSONDecodeError):
                    return  # the daemon died mid-call: this write was never acknowledged
                acknowledged[reply["id"]] = note
                n += 1

        thread = threading.Thread(target=writer)
        thread.start()
        written = len(acknowledged)
        wait_for(lambda written=written, cycle=cycle: len(acknowledged) >= written + 5 + 5 * cycle)
        daemon.proc.kill()
        daemon.proc.wait(10)
        stop.set()
        thread.join(10)
    env.start_daemon()
    stored = {e["id"]: e.get("note") for e in env.ok("entries", "--json").json()}
    assert len(acknowledged) > 20
    for entry_id, note in acknowledged.items():
        assert stored.get(entry_id) == note
    assert all(isinstance(note, str) and note.startswith("cycle ") for note in stored.values())


# --- nobody else in -------------------------------------------------------------------------


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("runuser"),
    reason="needs root to run a client as another user",
)
def test_another_user_is_refused_even_with_an_open_socket(env: Env) -> None:
    env.write_config()
    daemon = env.start_daemon()
    os.chmod(env.runtime, 0o755)
    os.chmod(env.runtime / "habitd", 0o755)
    os.chmod(env.socket, 0o666)  # loosened on purpose: the uid check must still hold
    # perl is in Debian's perl-base on every machine and readable by any user
    probe = (
        "use IO::Socket::UNIX; $SIG{PIPE} = 'IGNORE'; "
        "my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die $!; "
        'print $s qq({"jsonrpc": "2.0", "id": 1, "method": "status"}\\n); '
        "my $got = ''; $s->recv($got, 4096); print length($got), qq(\\n);"
    )
    done = subprocess.run(
        ["runuser", "-u", "nobody", "--", "perl", "-e", probe, env.socket],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"  # closed without an answer
    wait_for(lambda: "refused a connection from uid 65534" in daemon.log)
    assert env.ok("status", "--json").json()["running"] is True


# --- logs keep private things out ---------------------------------------------------------------


@pytest.mark.clock
def test_a_whole_day_leaves_none_of_the_persons_words_in_the_log(env: Env) -> None:
    """Every word the person typed or a message carried of theirs (a note, a trigger, what
    helped, an appointment's title, a contact's name and number, the weekly review's top
    trigger) stays out of the log at the default level, written with and without a daemon."""
    env.write_config(
        BASE_CONFIG
        + """
[[nudge]]
id = "reach"
kind = "support"
date = "2100-01-01 09:00"

[support]
[[support.contact]]
name = "Robin"
role = "friend"
reach = "call 555-0142"

[[support.appointment]]
name = "Secretappointment"
cron = "0 20 * * sun"
remind_before = "1h"
"""
    )
    # the weekly review (Sunday 19:00) and the appointment's reminder come some seconds
    # after the daemon starts: its clock is moved to just before next Sunday 19:00
    now = local_now()
    sunday = now.date() + timedelta(days=(6 - now.weekday()) % 7 or 7)
    review = datetime.combine(sunday, time(19), now.tzinfo)
    offset = math.ceil(review.timestamp() - now.timestamp())  # real seconds, across a DST change
    before = env.shifted(offset - 120)  # written while no daemon runs
    before.ok(
        "journal", "--note", "secretjournal", "--emotion", "sad", "--trigger", "secrettrigger"
    )
    before.ok("urge", "--intensity", "6", "--trigger", "secrettrigger", "--coped", "secretcoping")
    before.ok("done", "meditate", "--note", "secrethabitnote")
    before.ok("reached", "robin", "--note", "secretcontactnote")
    # 20 s of room: a daemon that starts slowly (a full test run, a fresh clone compiling
    # its bytecode) must still schedule the 19:00 jobs before 19:00 comes
    daemon = env.shifted(offset - 20).start_daemon()
    wait_for(lambda: {"review", "appointment"} <= {e["event"] for e in env.history()}, 60)
    assert any("Secrettrigger came up most" in (e["body"] or "") for e in env.history())
    env.ok("entry", "edit", "1", "--note", "secretedited")
    env.ok("urge", "--intensity", "10", "--coped", "secretcalled")  # help names Robin
    env.ok("reached", "robin", "--note", "secondsecret")
    env.ok("trigger", "morning")
    env.ok("trigger", "reach")  # "How about a word with Robin?"
    wait_for(lambda: "nudge morning" in daemon.log and "nudge reach" in daemon.log)
    daemon.proc.send_signal(signal.SIGTERM)
    daemon.proc.wait(10)
    log = daemon.log.lower()
    assert "nudge morning: shown" in log
    for word in ("secret", "555-0142", "robin", "a quiet minute", "breathe."):
        assert word not in log, word


def test_a_damaged_database_stops_the_daemon_and_is_left_untouched(env: Env) -> None:
    env.write_config()
    env.db.parent.mkdir(parents=True, mode=0o700)
    env.db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    before = env.db.read_bytes()
    daemon = env.start_daemon(wait=False)
    assert daemon.proc.wait(20) == 1
    assert "is not a habitd database or is damaged" in daemon.log
    assert "habitd restore FILE --yes" in daemon.log
    assert env.db.read_bytes() == before


@contextlib.contextmanager
def small_disk(folder: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (0700) mounted on ``folder`` for the duration."""
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(folder)], check=True
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def _kill_all(env: Env) -> None:
    for running in env.daemons:
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait(10)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a small tmpfs")
def test_a_full_disk_fails_the_write_clearly_and_recovers(env: Env) -> None:
    env.write_config()
    with small_disk(env.db.parent) as data:
        try:
            env.start_daemon()
            env.ok("journal", "--note", "before the disk filled")
            filler = data / "filler"
            with open(filler, "wb", buffering=0) as handle:  # fill the disk, leaving no room
                try:
                    while True:
                        handle.write(b"\0" * 4096)
                except OSError:
                    pass
            failed = None
            for n in range(50):
                result = env.cli("journal", "--note", f"entry {n} " + "x" * 2000)
                if result.rc != 0:
                    failed = result
                    break
            assert failed is not None and failed.rc == 1
            assert "could not save" in failed.err and "full" in failed.err
            assert env.ok("status", "--json").json()["running"] is True
            filler.unlink()
            env.ok("journal", "--note", "after space came back")
            notes = [e.get("note") for e in env.ok("entries", "--json").json()]
            assert notes[0] == "before the disk filled" and notes[-1] == "after space came back"
        finally:
            _kill_all(env)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def test_every_rpc_method_rejects_bad_params_cleanly(tmp_path: Path) -> None:
    """Random JSON for every App method's params: an answer or a HabitdError, never a crash."""
    import inspect

    from habitd.app import App

    from .conftest import private_paths

    paths = private_paths(tmp_path, BASE_CONFIG)
    loop = asyncio.new_event_loop()
    app = loop.run_until_complete(App.open(paths))
    methods = {
        name: list(inspect.signature(getattr(app, name)).parameters)
        for name in dir(app)
        if getattr(getattr(app, name), "__habitd_rpc__", False)
    }
    methods.pop("reload")  # reads the config file: covered by the config fuzzing above

    @settings(max_examples=400, deadline=None)
    @given(st.sampled_from(sorted(methods)), st.data())
    def call(method: str, data: st.DataObject) -> None:
        names = methods[method] + ["unexpected"]
        params = data.draw(st.dictionaries(st.sampled_from(names), JSON_VALUES, max_size=4))
        try:
            loop.run_until_complete(app.dispatch(method, params))
        except HabitdError as exc:
            assert exc.message

    try:
        call()
    finally:
        loop.run_until_complete(app.close())
        loop.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a small tmpfs")
def test_a_read_only_data_folder_is_a_clear_error_and_recovers(env: Env) -> None:
    env.write_config()
    with small_disk(env.db.parent) as data:
        try:
            env.ok("journal", "--note", "written while writable")  # in-process: no daemon
            subprocess.run(["mount", "-o", "remount,ro", str(data)], check=True)
            refused = env.cli("journal", "--note", "on a read-only disk")
            assert refused.rc == 1 and f"cannot open {env.db} for writing" in refused.err
            assert "read-only" in refused.err and "Traceback" not in refused.err
            daemon = env.start_daemon(wait=False)
            assert daemon.proc.wait(20) == 1 and str(env.db) in daemon.log
            subprocess.run(["mount", "-o", "remount,rw", str(data)], check=True)
            env.start_daemon()
            env.ok("journal", "--note", "writable again")
            notes = [e.get("note") for e in env.ok("entries", "--json").json()]
            assert notes == ["written while writable", "writable again"]
        finally:
            _kill_all(env)


@pytest.mark.clock
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("history", "--since", "99999999999999d"), "longer than"),
        (("entries", "--since", "99999999d"), "longer than"),
        (("snooze", "morning", "99999999999w"), "longer than 366d"),
        (("pause", "99999999999d"), "longer than 366d"),
        (("journal", "--note", "x" * 20_001), "keep it under 20,000"),
    ],
)
def test_huge_and_odd_input_gets_a_clear_error(env: Env, args: tuple[str, ...], said: str) -> None:
    env.write_config()
    result = env.cli(*args)
    assert result.rc == 1 and said in result.err, result.err
    for raw in ("Traceback", "internal error", "OverflowError", "int too large"):
        assert raw not in result.err


@pytest.mark.parametrize(
    ("config", "said"),
    [
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        (BASE_CONFIG + '\n[[nudge]]\nid = "x"\nevery = "999999999999999999d"\n', "longer than"),
        (BASE_CONFIG + '\n[[nudge]]\nid = "x"\nevery = "1s"\n', "at least 1m"),
    ],
)
def test_a_config_with_huge_values_is_refused_clearly(env: Env, config: str, said: str) -> None:
    env.write_config(config)
    for command in (("config", "check"), ("run", "--notifier", "log")):
        result = env.cli(*command)
        assert result.rc != 0 and said in result.out + result.err
        assert "Traceback" not in result.out + result.err


def test_odd_json_on_the_socket_gets_an_error_and_the_daemon_lives(env: Env) -> None:
    env.write_config()
    daemon = env.start_daemon()
    deep = b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": ' + b"[" * 100000
    for line, said in (
        (deep + b"\n", "nested too deeply"),
        (
            b'{"jsonrpc": "2.0", "id": 2, "method": "entry_add", '
            b'"params": {"kind": "journal", "fields": {"note": ["not", "text"]}}}\n',
            "note must be text, got list",
        ),
    ):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(10)
            client.connect(env.socket)
            client.sendall(line)
            reply = json.loads(client.makefile("rb").readline())
        assert said in reply["error"]["message"], reply
    assert daemon.call("ping") == "pong"
    assert env.ok("entries", "--json").json() == []
    assert "Task exception was never retrieved" not in daemon.log


def test_a_flood_of_held_connections_neither_locks_out_nor_floods_the_log(env: Env) -> None:
    """1,100 connections opened and held: the daemon answers past its cap with "busy" and
    closes them, the person's journal entry is saved (through the daemon, or directly with
    its key), nothing prints a traceback, and the log stays small."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1300:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    env.write_config()
    daemon = env.start_daemon()
    held = []
    try:
        for _ in range(1100):
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.setblocking(False)
            with contextlib.suppress(BlockingIOError, InterruptedError):
                client.connect(env.socket)
            held.append(client)
        saved = env.cli("journal", "--note", "written during the flood")
        status = env.cli("status")
    finally:
        for client in held:
            client.close()
    assert saved.rc == 0 and "Traceback" not in saved.err, saved.err
    assert "Traceback" not in status.err
    assert status.rc == 0 or "busy" in status.err
    wait_for(lambda: env.cli("status").rc == 0)
    assert [e["note"] for e in env.ok("entries", "--json").json()] == ["written during the flood"]
    assert daemon.log_path.stat().st_size < 1_000_000
    assert "Traceback" not in daemon.log


def test_a_database_held_by_a_long_upgrade_gets_a_message_not_a_traceback(env: Env) -> None:
    """Another process holds the write lock (as a long migration does) past the busy
    timeout: the command says so and what to do."""
    env.write_config()
    env.ok("journal", "--note", "kept")
    holder = sqlite3.connect(env.db, isolation_level=None)
    holder.execute("PRAGMA user_version = 3")  # an older schema: the next open upgrades it
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = env.cli("journal", "--note", "while upgrading")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.rc == 1 and "habitd is upgrading your data" in result.err
    assert "Traceback" not in result.err and "database is locked" not in result.err


@pytest.mark.parametrize("daemon", [True, False], ids=["daemon up", "daemon down"])
def test_what_a_person_can_type_gets_a_sentence_never_a_traceback(env: Env, daemon: bool) -> None:
    """A byte that is not UTF-8 in a note is kept as U+FFFD with the rest of the words;
    an export into a file, and ``threshold = nan``, are refused in one sentence."""
    env.write_config()
    if daemon:
        env.start_daemon()
    saved = env.cli("journal", "--note", "caf\udcff, then more")  # the byte 0xff, as argv
    assert saved.rc == 0 and "Traceback" not in saved.err
    assert env.ok("entries", "--json").json()[0]["note"] == "caf\ufffd, then more"
    assert env.cli("done", "meditate", "--note", "\udcff").rc == 0
    refused = env.cli("export", "--out", "/dev/full")  # not a folder, and not a plain file
    assert refused.rc == 1 and "Traceback" not in refused.err
    assert "cannot write the export to /dev/full" in refused.err
    env.write_config(
        BASE_CONFIG + '\n[[habit]]\nid = "water"\ntype = "at-least"\nthreshold = nan\n'
    )
    check = env.cli("config", "check")
    assert check.rc == 1 and "habit[2].threshold: expected a number, got nan" in check.out
