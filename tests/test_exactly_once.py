"""Exactly once: a write whose answer is lost (the daemon killed or frozen after it took the
request) is stored once, never twice, and the person sees a plain message, never a traceback.

Every write the CLI sends carries a key; the store keeps it with the write in one
transaction, and a retry with the same key (in-process, when the daemon is gone or stuck)
returns the first result.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from habitd.app import App
from habitd.paths import Paths

from .conftest import BASE_CONFIG, Env, private_paths, wait_for

SLOW_REACTION = """
import time
from pathlib import Path
from habitd import hookimpl

@hookimpl
def habitd_on_entry(entry, ctx):
    Path(__file__).with_suffix(".reacting").touch()
    time.sleep(30)
"""


def _notes(env: Env) -> list[str]:
    with sqlite3.connect(env.db) as db:
        return [row[0] for row in db.execute("SELECT note FROM entries ORDER BY id")]


def _journal(env: Env, note: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "habitd", "journal", "--note", note, "--json"],
        env=env.environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


WITH_SAM = BASE_CONFIG + '\n[[support.contact]]\nname = "Sam"\nreach = "call 555-0100"\n'


@pytest.mark.parametrize(
    ("command", "table", "stored"),
    [
        (("journal", "--note", "alone at 2am", "--json"), "entries", 1),
        (("reached", "Sam", "--how", "call"), "contacts_log", 1),
    ],
    ids=["journal", "reached"],
)
def test_a_write_whose_answer_is_lost_is_stored_once(
    env: Env, command: tuple[str, ...], table: str, stored: int
) -> None:
    """A stand-in daemon takes the request, commits it through habitd's own code, and dies
    before answering: the CLI retries in-process with the same key and gets the first
    answer, and the write is stored once (a core write and a plugin's RPC method alike)."""
    env.write_config(WITH_SAM)
    socket_file = Path(env.socket)
    socket_file.parent.mkdir(mode=0o700)
    paths = Paths(
        config_file=env.config_file,
        config_dir=env.config_dir,
        data_dir=env.db.parent,
        state_dir=env.root / "state" / "habitd",
        runtime_dir=socket_file.parent,
    )
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(env.socket)
    listener.listen()
    taken: dict[str, Any] = {}

    async def commit(request: dict[str, Any]) -> None:
        app = await App.open(paths)
        try:
            taken["result"] = await app.dispatch(request["method"], request["params"])
        finally:
            await app.close()

    def stand_in() -> None:
        connection, _ = listener.accept()
        with connection, connection.makefile("rb") as lines:
            taken["request"] = json.loads(lines.readline())
            asyncio.run(commit(taken["request"]))
        # the connection closes here, with no answer

    thread = threading.Thread(target=stand_in)
    thread.start()
    try:
        result = env.cli(*command)
    finally:
        thread.join(30)
        listener.close()
    assert result.rc == 0, result.err
    assert "the daemon stopped before answering" in result.err
    assert "Traceback" not in result.err
    assert taken["request"]["params"]["key"]  # the write carried a key
    if "--json" in command:
        assert result.json() == taken["result"]  # the first answer, not a second
    with sqlite3.connect(env.db) as db:
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == (stored,)


def test_a_slow_reaction_never_delays_saved(env: Env) -> None:
    """Reactions run after the answer has gone back: a plugin that takes 30 s in
    ``habitd_on_entry`` is still running (and later charged a fault) when "Saved" shows."""
    env.write_config()
    env.add_plugin("slow_reaction", SLOW_REACTION)
    env.start_daemon()
    assert "Saved" in env.ok("journal", "--note", "hard evening").out
    assert _notes(env) == ["hard evening"]
    marker = env.config_dir / "plugins" / "slow_reaction.reacting"
    wait_for(marker.exists)

    def faulted() -> bool:
        plugins = {p["name"]: p for p in env.ok("status", "--json").json()["plugins"]}
        return "took longer than" in str(plugins["slow_reaction"]["last_error"])

    wait_for(faulted)


def _until_idle(env: Env) -> None:
    """Wait until the daemon has done its start's own writes (the reactor's first drain and
    pruning): a daemon stopped in the middle of a transaction would hold the database's
    write lock, which no in-process fallback can take, and that is not what these tests
    are about."""
    env.ok("status")  # by now the start's writes are handed to the daemon's writer
    db = sqlite3.connect(env.db, timeout=10)
    try:
        db.execute("BEGIN IMMEDIATE")  # waits for a write the daemon has in progress
        db.execute("ROLLBACK")
    finally:
        db.close()


def test_a_frozen_daemon_gets_a_plain_message_and_no_double_write(env: Env) -> None:
    env.write_config()
    daemon = env.start_daemon()
    env.environ["HABITD_TIMEOUT"] = "1"  # the client's patience (10 s unless told)
    _until_idle(env)
    daemon.proc.send_signal(signal.SIGSTOP)
    try:
        result = env.cli("journal", "--note", "can't sleep")
        reads = env.cli("entries")
        help_now = env.cli("help-now")
        strong = env.spawn("urge", "--intensity", "9")
        strong.expect("emergency number")  # the help first, from the CLI's own process...
        strong.expect("habitd did not answer in 1 s")  # ...then the save gives up on the daemon
        strong.expect("Saved")
        refused = env.cli("trigger", "morning")
    finally:
        daemon.proc.send_signal(signal.SIGCONT)
    assert result.rc == 0, result.err
    assert "habitd did not answer in 1 s" in result.err
    assert "working on your data directly" in result.err
    assert reads.rc == 0 and "can't sleep" in reads.out  # reads too: the core in-process
    assert help_now.rc == 0 and "emergency number" in help_now.out  # help never waits
    assert help_now.err == ""  # it never asked the stuck daemon
    assert refused.rc == 1 and "habitd did not answer in 1 s" in refused.err  # not re-run
    for output in (result.err, reads.err, help_now.err, refused.err):
        assert "Traceback" not in output
    for _ in range(3):  # the daemon wakes and finds requests whose clients have gone
        assert daemon.call("ping") == "pong"
    assert _notes(env) == ["can't sleep", None]
    # what the client gave up on is not done later behind the person's back: the trigger
    # it said failed never fires, the writes it did itself (with their keys) are not redone
    wait_for(lambda: daemon.log.count("dropped a request whose client had gone") >= 4)
    assert [e["nudge"] for e in env.history() if e["event"] == "fired"] == []


def test_a_kill_9_loop_loses_nothing_and_doubles_nothing(env: Env) -> None:
    """Journal writes through the CLI while the daemon is killed (-9) and restarted over and
    over: every write answered is stored, and stored once (``HABITD_KILL_LOOP_WRITES``
    sets how many; docs/benchmarks.md has a run of 200)."""
    writes = int(os.environ.get("HABITD_KILL_LOOP_WRITES", "30"))
    env.write_config()
    env.start_daemon()
    done = threading.Event()
    kills = 0

    def killer() -> None:  # sleeps, not Event.wait(timeout): that hangs under libfaketime
        nonlocal kills
        while not done.is_set():
            time.sleep(0.4)
            daemon = env.daemons[-1]
            daemon.proc.kill()
            daemon.proc.wait(10)
            kills += 1
            time.sleep(0.2)  # a moment with no daemon: writes go in-process
            if not done.is_set():
                env.start_daemon()

    thread = threading.Thread(target=killer)
    thread.start()
    answered = []
    try:
        while len(answered) < writes or kills < 5:
            note = f"write {len(answered)}"
            writing = _journal(env, note)
            _out, err = writing.communicate(timeout=60)
            assert writing.returncode == 0, err
            assert "Traceback" not in err
            answered.append(note)
    finally:
        done.set()
        thread.join(30)
    notes = _notes(env)
    print(f"kill loop: {len(answered)} writes answered, {kills} kills, {len(notes)} stored")
    assert sorted(notes) == sorted(answered)  # nothing lost, nothing twice
    assert len(set(notes)) == len(notes) >= writes


@pytest.mark.clock
def test_every_write_replays_its_first_answer(tmp_path: Path) -> None:
    """The same key twice: one entry, one edit, one mark, one snooze, one delete; the same
    answers."""
    paths = private_paths(tmp_path, BASE_CONFIG)

    async def twice(app: App, method: str, params: dict[str, Any]) -> Any:
        first = await app.dispatch(method, {**params, "key": f"key-{method}"})
        assert await app.dispatch(method, {**params, "key": f"key-{method}"}) == first
        return first

    async def scenario() -> None:
        app = await App.open(paths)
        try:
            added = await twice(app, "entry_add", {"kind": "journal", "fields": {"note": "x"}})
            await twice(app, "entry_edit", {"id": added["id"], "fields": {"note": "x, then y"}})
            await twice(app, "done", {"habit": "meditate"})
            await twice(app, "snooze", {"nudge": "evening", "duration": "1h"})
            await twice(app, "pause", {"duration": "2h"})
            await twice(app, "resume", {})
            assert await twice(app, "entry_delete", {"id": added["id"]}) == {
                "id": added["id"],
                "deleted": True,
            }
            events = [e.event for e in app.store.events() if e.event != "celebrated"]
            assert events == ["edited", "done", "snoozed", "paused", "resumed", "deleted"]
            assert app.store.entries() == []
            await app.dispatch(
                "entry_add", {"kind": "journal", "fields": {"note": "y"}, "key": "another"}
            )
            assert [e["note"] for e in app.store.entries()] == ["y"]  # a new key: a new write
        finally:
            await app.close()

    asyncio.run(scenario())


def test_what_the_cli_runs_in_process_is_the_cores() -> None:
    """Only the core's operations may run in-process when the daemon is stuck or busy
    (never a trigger or a plugin's method, which could act twice)."""
    from habitd.cli import READS, WRITES
    from habitd.operations import OPERATIONS

    assert WRITES | READS <= OPERATIONS


@pytest.mark.clock
def test_old_bookkeeping_is_pruned_after_it_is_reacted_to(env: Env) -> None:
    """Changes reacted to and request keys older than the retention window go, newer ones
    stay; an old change not reacted to yet stays until the daemon has reacted to it."""
    from datetime import timedelta

    from habitd import clock
    from habitd.reactor import KEPT, PROGRESS
    from habitd.store import Store

    env.write_config(BASE_CONFIG)
    env.db.parent.mkdir(parents=True, mode=0o700)
    store = Store(env.db)
    long_ago, lately = clock.utc_now() - KEPT - timedelta(days=1), clock.utc_now()
    old_reacted = store.add_change("resumed", {}, long_ago)
    recent = [store.add_change("resumed", {}, lately) for _ in range(2)]
    store.set_state(*PROGRESS, recent[-1])
    old_waiting = store.add_change("resumed", {}, long_ago)  # written while no daemon ran

    def remember(key: str) -> None:
        with store.once(key, "test") as once:
            once.result = {}

    for key in ("old-key", "new-key"):
        store.write(lambda key=key: remember(key))
    with sqlite3.connect(env.db) as db:
        db.execute("UPDATE requests SET ts = ? WHERE key = 'old-key'", (clock.to_stored(long_ago),))

    def kept() -> tuple[list[int], list[str]]:
        with sqlite3.connect(env.db) as db:
            return (
                [row[0] for row in db.execute("SELECT id FROM changes ORDER BY id")],
                [row[0] for row in db.execute("SELECT key FROM requests ORDER BY key")],
            )

    assert store.prune(clock.utc_now() - KEPT, recent[-1]) == (1, 1)
    assert kept() == ([*recent, old_waiting], ["new-key"])
    store.close()
    env.start_daemon()  # it reacts to what was written while it was down, then prunes
    wait_for(lambda: old_waiting not in kept()[0])
    assert kept() == (recent, ["new-key"])
    assert old_reacted < recent[0]


def test_a_strong_urge_with_a_frozen_daemon_shows_help_at_once_and_saves_once(env: Env) -> None:
    """The client's default patience: with the daemon SIGSTOPped, the help comes before the
    client has even asked the daemon anything, the save gives up on it after 2 s (not the
    10 s other requests wait) and saves in-process; after SIGCONT the daemon, which still
    holds the request, stores nothing twice."""
    env.write_config()
    daemon = env.start_daemon()
    env.environ.pop("HABITD_TIMEOUT", None)
    _until_idle(env)
    daemon.proc.send_signal(signal.SIGSTOP)
    try:
        strong = env.spawn("urge", "--intensity", "9", "--trigger", "payday", "--not-acted")
        strong.expect("emergency number")  # from the client's own process, first
        strong.expect("habitd did not answer in 2 s")
        strong.expect("Saved")
    finally:
        daemon.proc.send_signal(signal.SIGCONT)
    assert daemon.call("ping") == "pong"
    wait_for(lambda: "dropped a request whose client had gone" in daemon.log)
    urges = [e for e in env.ok("entries", "--json").json() if e.get("trigger") == "payday"]
    assert len(urges) == 1 and urges[0]["craving"] == 9
