"""One writer: every write runs on the store's writer thread, and nothing waits for it.

The store's docstring promises it; these tests would fail if a write ran anywhere else, if
a read had to wait for a write in progress, or if a backup held up the writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from habitd.store import Store
from habitd.writer import Writer

from .conftest import private_paths

WRITING = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "COMMIT")

PLUGIN = """
from habitd.plugin import hookimpl


@hookimpl
def habitd_rpc_methods(ctx):
    def write(note):
        ctx.state.set("last", note)
        ctx.add_event("wrote", detail={"note": note})
        return ctx.add_entry("journal", note=note)

    return {"write": write}
"""


def _watch_writes(store: Store) -> list[str]:
    """The names of the threads that ran each writing statement on the store's writer."""
    seen: list[str] = []

    def trace(statement: str) -> None:
        if statement.lstrip().upper().startswith(WRITING):
            seen.append(threading.current_thread().name)

    store._db.set_trace_callback(trace)
    return seen


@pytest.mark.clock
def test_writes_from_any_thread_run_on_the_writer_thread(tmp_path: Path) -> None:
    store = Store(tmp_path / "habitd.sqlite3")
    seen = _watch_writes(store)
    now = datetime.now(UTC)
    store.add_entry("journal", ts=now, note="from the main thread")
    threads = [
        threading.Thread(target=store.add_event, args=(f"from thread {n}",)) for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.events()) == 4 and len(store.entries()) == 1
    assert seen and set(seen) == {"habitd-writer"}
    with pytest.raises(RuntimeError, match="writer thread"), store._write():
        pass  # a transaction anywhere but on the writer thread is refused, not run
    store.close()


def test_a_readers_connection_cannot_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "habitd.sqlite3")
    store.events()  # this thread's reading connection
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store._reading().execute("INSERT INTO events (ts, event) VALUES ('x', 'y')")
    store.close()


@pytest.mark.clock
def test_no_read_and_no_backup_waits_for_a_write_in_progress(tmp_path: Path) -> None:
    """The writer sits inside an open transaction; meanwhile this thread reads the last
    committed data and takes a whole backup. With one shared connection and a lock, both
    would wait for the writer (the release below would never come: the test would fail on
    its timeout)."""
    store = Store(tmp_path / "habitd.sqlite3")
    store.add_entry("journal", ts=datetime.now(UTC), note="committed")
    inside, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with store._write() as db:
            db.execute("INSERT INTO events (ts, event) VALUES ('2026-01-01', 'uncommitted')")
            inside.set()
            assert release.wait(30)

    pending = store.submit(long_write)
    assert inside.wait(10)
    assert [e["note"] for e in store.entries()] == ["committed"]  # not blocked, not dirty
    assert store.events() == []
    copy = store.backup(tmp_path / "copy.sqlite3")
    release.set()
    pending.result(10)
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT note FROM entries").fetchall() == [("committed",)]
    assert [e.event for e in store.events()] == ["uncommitted"]
    store.close()


def test_a_closed_writer_refuses_new_work_instead_of_hanging() -> None:
    writer = Writer("test-writer")
    assert writer.submit(lambda: 2 + 2).result(5) == 4
    writer.stop()
    writer.stop()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        writer.submit(lambda: 1)


def test_the_daemon_writes_only_on_the_writer_thread(tmp_path: Path) -> None:
    """A daemon's writes of every origin: the core's operation, a plugin's through ctx (its
    state, a history line, an entry), delivery's history of a fired nudge, the reactor's
    progress. Every writing statement ran on the writer thread, none on the loop or a
    plugin's worker, and a blocking write on the loop is refused."""
    from habitd.runtime import Runtime

    paths = private_paths(
        tmp_path,
        '[[habit]]\nid = "walk"\n\n[[nudge]]\nid = "n"\nkind = "reminder"\n'
        'every = "6h"\ntitle = "Hi"\n',
    )
    paths.plugins_dir.mkdir(parents=True, exist_ok=True)
    (paths.plugins_dir / "writes.py").write_text(PLUGIN)

    async def scenario() -> tuple[list[str], list[str]]:
        runtime = await Runtime.start(paths, "log")
        seen = _watch_writes(runtime.app.store)
        await runtime.app.dispatch("done", {"habit": "walk"})
        await runtime.app.dispatch("writes.write", {"note": "through ctx"})
        await runtime.app.trigger("n")
        await runtime.settle()
        with pytest.raises(RuntimeError, match="event loop"):
            runtime.app.store.add_event("on the loop")
        events = [e.event for e in runtime.app.store.events()]
        await runtime.stop()
        return seen, events

    seen, events = asyncio.run(scenario())
    assert {"done", "wrote", "fired"} <= set(events)
    assert len(seen) > 10 and set(seen) == {"habitd-writer"}
