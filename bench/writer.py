"""How long the daemon's event loop waits on the store while it is busiest.

    python bench/writer.py [--megabytes 250] [--clients 50] [--seconds 20]

A real App (the daemon's runtime, its plugins, its store) on a database of about
``--megabytes`` MB of journal entries. While a probe on the event loop measures how late
each 5 ms sleep wakes (any stall of the loop, whatever its cause, shows there) and every
read the loop makes itself is timed, it runs: ``--clients`` clients each saving entries
one after another (the same dispatch a socket request gets), and a whole backup of the
database (what the daily backup job and a plugin's ``ctx.back_up`` do) as often as it
finishes. It prints the longest and the 99th percentile lateness, the longest read on the
loop, how many entries were saved and how many backups were made.
Everything runs on a private temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONFIG = '[[habit]]\nid = "walk"\n'


def seed(db_path: Path, megabytes: int) -> None:
    """Fill a fresh habitd database with ~``megabytes`` MB of 1 KB journal entries."""
    from habitd.store import Store

    Store(db_path).close()  # the schema
    db = sqlite3.connect(db_path)
    note = "a day like the others, written down " * 28  # ~1 KB
    rows = (
        (f"2025-01-01T00:00:{n % 60:02d}+00:00", "journal", note) for n in range(megabytes * 350)
    )
    with db:
        db.executemany("INSERT INTO entries (ts, kind, note) VALUES (?, ?, ?)", rows)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


async def measure(root: Path, clients: int, seconds: float) -> dict[str, Any]:
    from habitd.runtime import Runtime
    from habitd.store import Store
    from habitd.testing import private_paths

    loop_thread = threading.get_ident()
    on_loop: list[float] = []
    read = Store._read

    def timed_read(store: Store, sql: str, params: tuple[Any, ...] = ()) -> Any:
        if threading.get_ident() != loop_thread:
            return read(store, sql, params)
        started = time.perf_counter()
        try:
            return read(store, sql, params)
        finally:
            on_loop.append(time.perf_counter() - started)

    Store._read = timed_read  # type: ignore[method-assign]  # measuring only
    paths = private_paths(root, CONFIG)
    runtime = await Runtime.start(paths, "log")
    app = runtime.app
    stop = asyncio.Event()
    lateness: list[float] = []
    saved = 0
    backups = 0

    async def probe() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            lateness.append(time.perf_counter() - started - 0.005)

    async def client(number: int) -> None:
        nonlocal saved
        while not stop.is_set():
            await app.dispatch(
                "entry_add", {"kind": "journal", "fields": {"note": f"client {number}"}}
            )
            saved += 1

    def back_up() -> None:
        nonlocal backups
        while not stop.is_set():
            app.store.backup(root / "copy.sqlite3")
            backups += 1

    backup_thread = threading.Thread(target=back_up)
    tasks = [asyncio.create_task(probe())]
    backup_thread.start()
    tasks += [asyncio.create_task(client(n)) for n in range(clients)]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks)
    await asyncio.to_thread(backup_thread.join)
    await runtime.stop()
    ordered = sorted(lateness)
    return {
        "longest_ms": round(ordered[-1] * 1000, 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 1),
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "probes": len(ordered),
        "store_on_loop_longest_ms": round(max(on_loop, default=0) * 1000, 2),
        "store_calls_on_loop": len(on_loop),
        "saved": saved,
        "backups": backups,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=250)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "data").mkdir(mode=0o700)
        db_path = root / "data" / "habitd.sqlite3"
        seed(db_path, args.megabytes)
        size = db_path.stat().st_size / 1e6
        result = asyncio.run(measure(root, args.clients, args.seconds))
        result["database_mb"] = round(size)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
