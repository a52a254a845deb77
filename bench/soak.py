"""Load and soak: habitd under many clients and many nudges, against the real daemon.

    python bench/soak.py [--load-seconds 60] [--clients 50] [--nudges 500] [--soak-seconds 600]

- load: ``--clients`` clients issue mixed reads (status, history, streaks) and writes
  (done, journal entries) for ``--load-seconds``; one slow client sends a byte a second and
  one stays connected and silent. Reports errors, lost writes and latency percentiles.
- soak: ``--nudges`` nudges firing every 1 to 5 minutes (habitd's shortest ``every`` is a
  minute) to the log backend for
  ``--soak-seconds``; RSS and open file descriptors are sampled at the start and the end.

Everything runs on private temporary folders and this machine's Unix sockets only.
``make soak`` runs the long version; the test suite runs a tiny one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import _rss_mb, private_env, start_daemon  # noqa: E402 (after the path)
from habitd import ipc  # noqa: E402

LOAD_CONFIG = """
[habitd]
timezone = "UTC"
notifier = "log"

[[habit]]
id = "walk"
name = "Walk"
"""


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def load(seconds: float, clients: int) -> dict[str, Any]:
    """Mixed reads and writes from many clients at once, plus a slow and a silent one."""
    root = Path(tempfile.mkdtemp(prefix="hdl-"))
    env = private_env(root)
    (root / "config" / "habitd").mkdir(parents=True, mode=0o700)
    (root / "config" / "habitd" / "habitd.toml").write_text(LOAD_CONFIG)
    proc = start_daemon(env)
    path = str(root / "run" / "habitd" / "habitd.sock")
    latencies: list[float] = []
    errors: list[str] = []
    written: list[tuple[int, str]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            kind = n % 4
            started = time.perf_counter()
            try:
                if kind == 0:
                    note = f"client {number} note {n}"
                    reply = ipc.call(
                        path, "entry_add", {"kind": "journal", "fields": {"note": note}}
                    )
                    with lock:
                        written.append((reply["id"], note))
                elif kind == 1:
                    ipc.call(path, "done", {"habit": "walk"})
                elif kind == 2:
                    ipc.call(path, "history", {"limit": 20})
                else:
                    ipc.call(path, "status")
            except Exception as exc:  # counted: a load test reports, it does not stop
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
            with lock:
                latencies.append(time.perf_counter() - started)
            n += 1

    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.connect(path)
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.connect(path)
    request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode() + b"\n"

    def dribble() -> None:  # cut off after the daemon's idle timeout: that is the point
        for byte in request:
            if time.monotonic() > deadline:
                return
            try:
                slow.send(bytes([byte]))
            except OSError:
                return
            time.sleep(1)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=dribble, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads[:-1]:
        thread.join()
    stored = {e["id"]: e.get("note") for e in ipc.call(path, "entries", {})}
    lost = [entry_id for entry_id, note in written if stored.get(entry_id) != note]
    slow.close()
    silent.close()
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(root, ignore_errors=True)
    ordered = sorted(latencies)
    return {
        "seconds": seconds,
        "clients": clients,
        "requests": len(ordered),
        "errors": len(errors),
        "first_errors": errors[:3],
        "writes": len(written),
        "lost_writes": len(lost),
        "p50_ms": 1000 * statistics.median(ordered) if ordered else 0.0,
        "p99_ms": 1000 * ordered[int(len(ordered) * 0.99)] if ordered else 0.0,
    }


def soak(nudges: int, seconds: float) -> dict[str, Any]:
    """Many nudges firing every few minutes; RSS and file descriptors at start and end."""
    root = Path(tempfile.mkdtemp(prefix="hds-"))
    env = private_env(root)
    folder = root / "config" / "habitd"
    folder.mkdir(parents=True, mode=0o700)
    lines = ['[habitd]\ntimezone = "UTC"\nnotifier = "log"\n']
    for n in range(nudges):
        lines.append(f'[[nudge]]\nid = "n{n}"\nevery = "{1 + n % 5}m"\ngrace = "1h"\n')
    (folder / "habitd.toml").write_text("\n".join(lines))
    proc = subprocess.Popen(
        [sys.executable, "-m", "habitd", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    path = str(root / "run" / "habitd" / "habitd.sock")
    for _ in range(300):
        try:
            ipc.call(path, "ping")
            break
        except (ipc.NoDaemon, OSError):
            time.sleep(0.1)
    time.sleep(min(10.0, seconds / 4))
    start = {"rss_mb": _rss_mb(proc.pid), "fds": _fds(proc.pid)}
    time.sleep(seconds)
    end = {"rss_mb": _rss_mb(proc.pid), "fds": _fds(proc.pid)}
    fired = sum(1 for e in ipc.call(path, "history", {}) if e["event"] == "fired")
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(root, ignore_errors=True)
    return {"nudges": nudges, "seconds": seconds, "fired": fired, "start": start, "end": end}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--nudges", type=int, default=500)
    parser.add_argument("--soak-seconds", type=float, default=600)
    args = parser.parse_args()
    results = {
        "load": load(args.load_seconds, args.clients),
        "soak": soak(args.nudges, args.soak_seconds),
    }
    print(json.dumps(results, indent=2))
    return 0 if results["load"]["errors"] == 0 and results["load"]["lost_writes"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
