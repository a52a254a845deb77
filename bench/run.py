"""habitd's benchmarks, each measured beside its floor in the same run (the machine is shared).

    python bench/run.py [--runs 30] [--idle-seconds 60] [--json]

- client: wall time of ``habitd status`` against a running daemon, interleaved with
  ``python -c "import click"`` (the floor), median and quartiles, and their ratio;
- imports: heavy modules that ``python -X importtime -m habitd status`` loads (want none);
- idle: the daemon's CPU time and context switches over an idle period (no nudge due);
- memory: the daemon's RSS after start on the default config, beside a bare asyncio process;
- data scale: ``habitd streaks --json`` for 20 habits with 5 years of daily marks and
  ``habitd report --json`` over 100,000 entries, beside ``habitd status`` on the same daemon.

Everything runs on private temporary XDG folders; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("asyncio", "apscheduler", "pluggy", "dbus_fast", "sqlite3")


def private_env(root: Path) -> dict[str, str]:
    """An environment whose XDG folders are under ``root``, with no desktop session."""
    runtime = root / "run"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DBUS_", "HABITD_"))}
    env.update(
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_DATA_HOME=str(root / "data"),
        XDG_STATE_HOME=str(root / "state"),
        XDG_RUNTIME_DIR=str(runtime),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what an installed habitd does
    return env


def start_daemon(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``habitd run`` on the default config with the log notifier; returns once it answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "habitd", "run", "--notifier", "log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = subprocess.run(
            [sys.executable, "-m", "habitd", "status"], env=env, capture_output=True, check=False
        )
        if done.returncode == 0:
            return proc
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the daemon did not start")


def quartiles(samples: list[float]) -> dict[str, float]:
    """Median and interquartile range, in milliseconds."""
    if len(samples) < 2:
        only = samples[0] * 1000
        return {"median_ms": only, "q1_ms": only, "q3_ms": only}
    q1, median, q3 = statistics.quantiles(samples, n=4)
    return {"median_ms": median * 1000, "q1_ms": q1 * 1000, "q3_ms": q3 * 1000}


def bench_client(env: dict[str, str], runs: int) -> dict[str, Any]:
    """``habitd status`` (console script and ``-m``) interleaved with the ``import click`` floor."""
    script = str(Path(sys.executable).parent / "habitd")
    commands = {
        "floor: python -c 'import click'": [sys.executable, "-c", "import click"],
        "habitd status": [script, "status"],
        "python -m habitd status": [sys.executable, "-m", "habitd", "status"],
        "habitd done meditate": [script, "done", "meditate"],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs + 3):  # the first rounds warm the page cache and are dropped
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
            samples[name].append(time.perf_counter() - started)
    result = {name: quartiles(values[3:]) for name, values in samples.items()}
    floor = result["floor: python -c 'import click'"]["median_ms"]
    for name in commands:
        result[name]["ratio"] = result[name]["median_ms"] / floor
    return result


def bench_direct(env: dict[str, str], runs: int) -> dict[str, Any]:
    """``habitd done meditate`` with the daemon running and with none (the core in-process),
    interleaved, and the ratio of their medians (the goal: at most 1.5)."""
    script = str(Path(sys.executable).parent / "habitd")
    alone = Path(tempfile.mkdtemp(prefix="hdb-alone-"))
    try:
        alone_env = private_env(alone)
        commands = {
            "with the daemon": ([script, "done", "meditate"], env),
            "without a daemon": ([script, "done", "meditate"], alone_env),
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs + 3):
            for name, (command, environment) in commands.items():
                started = time.perf_counter()
                subprocess.run(
                    command,
                    env=environment,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=True,
                )
                samples[name].append(time.perf_counter() - started)
    finally:
        shutil.rmtree(alone, ignore_errors=True)
    result: dict[str, Any] = {name: quartiles(values[3:]) for name, values in samples.items()}
    result["ratio"] = (
        result["without a daemon"]["median_ms"] / result["with the daemon"]["median_ms"]
    )
    return result


def bench_imports(env: dict[str, str]) -> list[str]:
    """Heavy modules imported by ``habitd status`` (the goal is none)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "habitd", "status"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    loaded = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return sorted(name for name in HEAVY if name in loaded)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def _context_switches(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                total += int(line.split()[1])
    return total


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_daemon(env: dict[str, str], proc: subprocess.Popen[bytes], idle: float) -> dict[str, Any]:
    """CPU time and context switches over ``idle`` seconds; RSS beside a bare asyncio process."""
    time.sleep(2)  # let start-up settle
    cpu, switches = _cpu_seconds(proc.pid), _context_switches(proc.pid)
    time.sleep(idle)
    cpu_used = _cpu_seconds(proc.pid) - cpu
    switched = _context_switches(proc.pid) - switches
    bare = subprocess.Popen(
        [sys.executable, "-c", "import asyncio; asyncio.run(asyncio.sleep(30))"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(1)
    bare_rss = _rss_mb(bare.pid)
    bare.kill()
    bare.wait()
    return {
        "idle_seconds": idle,
        "idle_cpu_ms": cpu_used * 1000,
        "idle_context_switches": switched,
        "rss_mb": _rss_mb(proc.pid),
        "floor_rss_mb_bare_asyncio": bare_rss,
    }


def seed_habits(root: Path, habits: int, days: int, seed: int = 7) -> None:
    """A config with ``habits`` habits and ``days`` days of marks each (fixed seed)."""
    import random
    from datetime import date, timedelta

    sys.path.insert(0, str(ROOT))
    from habitd.store import Store

    config_dir = root / "config" / "habitd"
    config_dir.mkdir(parents=True, mode=0o700)
    kinds = ["yes-no", "at-least", "abstain", "yes-no"]
    targets = ["daily", "daily", "daily", "3/week", "5/7"]
    # a zone with DST changes, as most people's: a report over years crosses many of them
    lines = ['[habitd]\ntimezone = "Europe/Berlin"\nnotifier = "log"\n']
    for n in range(habits):
        kind = kinds[n % len(kinds)]
        target = "daily" if kind != "yes-no" else targets[n % len(targets)]
        extra = "threshold = 6\n" if kind == "at-least" else ""
        lines.append(
            f'[[habit]]\nid = "h{n}"\nname = "Habit {n}"\ntype = "{kind}"\n'
            f'target = "{target}"\n{extra}'
        )
    (config_dir / "habitd.toml").write_text("\n".join(lines))
    data = root / "data" / "habitd"
    data.mkdir(parents=True, mode=0o700)
    store = Store(data / "habitd.sqlite3")
    rng = random.Random(seed)
    today = date.today()
    rows = []
    for n in range(habits):
        for back in range(days):
            roll = rng.random()
            state = "done" if roll < 0.75 else "skipped" if roll < 0.8 else None
            if state:
                value = float(rng.randint(0, 9)) if n % 4 == 1 else None
                rows.append((f"h{n}", (today - timedelta(days=back)).isoformat(), state, value))

    def seed() -> None:
        with store._write() as db:  # bulk seeding for the benchmark only
            db.executemany(
                "INSERT INTO checks (habit, day, state, value, ts) VALUES (?, ?, ?, ?, '')", rows
            )

    store.write(seed)
    store.close()


def seed_entries(root: Path, count: int, seed: int = 11) -> None:
    """``count`` journal and urge entries over three years (fixed seed), in one transaction."""
    import json as json_module
    import random
    from datetime import UTC, datetime, timedelta

    sys.path.insert(0, str(ROOT))
    from habitd.store import Store, to_stored

    data = root / "data" / "habitd"
    data.mkdir(parents=True, mode=0o700, exist_ok=True)
    store = Store(data / "habitd.sqlite3")
    rng = random.Random(seed)
    now = datetime.now(UTC)
    triggers = ["work", "boredom", "payday", "evening", "argument", "alone", "party"]
    emotions = ["anxious", "sad", "angry", "lonely", "calm", "hopeful", "tired"]
    rows = []
    for _ in range(count):
        ts = to_stored(now - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60)))
        if rng.random() < 0.5:
            rows.append(
                (
                    ts,
                    "urge",
                    None,
                    None,
                    rng.choice(triggers),
                    rng.randint(0, 10),
                    rng.choice(["tired", "lonely,tired", "hungry", None]),
                    json_module.dumps({"coped": rng.choice(["walk", "called sam", "tea"])}),
                )
            )
        else:
            rows.append(
                (
                    ts,
                    "journal",
                    rng.choice(emotions),
                    rng.randint(0, 10),
                    rng.choice(triggers),
                    None,
                    None,
                    None,
                )
            )

    def seed() -> None:
        with store._write() as db:  # bulk seeding for the benchmark only
            db.executemany(
                "INSERT INTO entries (ts, kind, emotion, intensity, trigger, craving, halt, "
                "extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    store.write(seed)
    store.close()


def interleaved(
    commands: dict[str, list[str]], env: dict[str, str], runs: int, warm: int = 2
) -> dict[str, Any]:
    """Run each command ``runs`` times, interleaved (after ``warm`` rounds that are dropped),
    and give each one's quartiles."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs + warm):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
            )
            samples[name].append(time.perf_counter() - started)
    return {name: quartiles(values[warm:]) for name, values in samples.items()}


def bench_data_scale(runs: int) -> dict[str, Any]:
    """``habitd streaks --json`` on 20 habits x 5 years, beside ``habitd status``."""
    root = Path(tempfile.mkdtemp(prefix="hdd-"))
    env = private_env(root)
    seed_habits(root, habits=20, days=5 * 365)
    seed_entries(root, count=100_000)
    proc = start_daemon(env)
    try:
        script = str(Path(sys.executable).parent / "habitd")
        commands = {
            "floor: habitd status": [script, "status"],
            "habitd streaks --json (20 habits x 5 years)": [script, "streaks", "--json"],
            "habitd report --json --days 1100 (100,000 entries)": [
                script,
                "report",
                "--json",
                "--days",
                "1100",
            ],
            "habitd report --html --days 1100 (100,000 entries)": [
                script,
                "report",
                "--days",
                "1100",
                "--html",
                str(root / "report.html"),
            ],
        }
        return interleaved(commands, env, runs)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def bench_report(runs: int) -> dict[str, Any]:
    """``habitd report --html`` on 1,000 entries against ``habitd status`` on the same
    daemon, interleaved (the goal: at most 8x)."""
    root = Path(tempfile.mkdtemp(prefix="hdh-"))
    env = private_env(root)
    seed_entries(root, count=1_000)
    proc = start_daemon(env)
    try:
        script = str(Path(sys.executable).parent / "habitd")
        commands = {
            "habitd status": [script, "status"],
            "habitd report --html (1,000 entries)": [
                script,
                "report",
                "--days",
                "90",
                "--html",
                str(root / "report.html"),
            ],
        }
        result = interleaved(commands, env, runs)
        result["ratio"] = (
            result["habitd report --html (1,000 entries)"]["median_ms"]
            / result["habitd status"]["median_ms"]
        )
        return result
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def _config_with_nudges(root: Path, count: int, due_in: float = 0.0, notifier: str = "log") -> None:
    """A config with ``count`` nudges: daily at spread-out times, or (``due_in``) one-off
    ``date`` nudges 100 ms apart starting ``due_in`` seconds from now."""
    from datetime import UTC, datetime, timedelta

    folder = root / "config" / "habitd"
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    lines = [f'[habitd]\ntimezone = "UTC"\nnotifier = "{notifier}"\n']
    start = datetime.now(UTC) + timedelta(seconds=due_in)
    for n in range(count):
        if due_in:
            when = (start + timedelta(milliseconds=100 * n)).strftime("%Y-%m-%d %H:%M:%S.%f")
            lines.append(f'[[nudge]]\nid = "n{n}"\ndate = "{when}"\ntitle = "n{n}"\n')
        else:
            lines.append(f'[[nudge]]\nid = "n{n}"\nat = ["{n // 60 % 24:02d}:{n % 60:02d}"]\n')
    (folder / "habitd.toml").write_text("\n".join(lines))


def _ready_time(env: dict[str, str], socket_path: str) -> tuple[float, subprocess.Popen[bytes]]:
    sys.path.insert(0, str(ROOT))
    from habitd import ipc

    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "habitd", "run", "--notifier", "log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        try:
            ipc.call(socket_path, "ping", timeout=5)
            return time.perf_counter() - started, proc
        except (ipc.NoDaemon, OSError):
            if proc.poll() is not None or time.perf_counter() - started > 30:
                raise RuntimeError("the daemon did not start") from None
            time.sleep(0.005)


def bench_start(runs: int) -> dict[str, Any]:
    """Time to a socket that answers, and RSS after start: default config and 1,000 nudges."""
    results: dict[str, Any] = {}
    for name, nudges in (("default config", None), ("1,000 nudges", 1000)):
        times, rss = [], []
        for _ in range(runs):
            root = Path(tempfile.mkdtemp(prefix="hds-"))
            env = private_env(root)
            if nudges:
                _config_with_nudges(root, nudges)
            elapsed, proc = _ready_time(env, str(root / "run" / "habitd" / "habitd.sock"))
            time.sleep(0.5)
            rss.append(_rss_mb(proc.pid))
            proc.terminate()
            proc.wait(10)
            shutil.rmtree(root, ignore_errors=True)
            times.append(elapsed)
        results[name] = {**quartiles(times), "rss_mb": statistics.median(rss)}
    return results


def bench_firing(count: int) -> dict[str, Any]:
    """Delay from a nudge's due time to its delivery: log backend (event time) and a D-Bus
    notification server (Notify received)."""
    from datetime import datetime

    sys.path.insert(0, str(ROOT))
    from habitd import ipc
    from habitd.testing.dbus_services import NotificationServer
    from habitd.testing.desktop import SessionBus

    results: dict[str, Any] = {}
    backends = ("log", "desktop") if shutil.which("dbus-daemon") else ("log",)
    for backend in backends:
        root = Path(tempfile.mkdtemp(prefix="hdf-"))
        env = private_env(root)
        bus = server = None
        if backend == "desktop":
            bus = SessionBus(root / "run" / "bus").start()
            server = NotificationServer(bus.address).start()
            env["DBUS_SESSION_BUS_ADDRESS"] = bus.address
        _config_with_nudges(root, count, due_in=3.0, notifier=backend)
        proc = subprocess.Popen(
            [sys.executable, "-m", "habitd", "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        socket_path = str(root / "run" / "habitd" / "habitd.sock")
        try:
            time.sleep(3.0 + count * 0.1 + 1.5)
            events = [e for e in ipc.call(socket_path, "history") if e["event"] == "fired"]
            config = (root / "config" / "habitd" / "habitd.toml").read_text()
            due = {}
            for block in config.split("[[nudge]]")[1:]:
                nudge_id = block.split('id = "')[1].split('"')[0]
                when = block.split('date = "')[1].split('"')[0]
                due[nudge_id] = datetime.fromisoformat(when + "+00:00").timestamp()
            if backend == "log":
                delays = [
                    datetime.fromisoformat(e["ts"]).timestamp() - due[e["nudge"]] for e in events
                ]
            else:
                assert server is not None
                delays = [shown.received - due[shown.summary] for shown in server.shown]
            delays.sort()
            results[backend] = {
                "fired": len(delays),
                "p50_ms": 1000 * delays[len(delays) // 2],
                "p99_ms": 1000 * delays[min(len(delays) - 1, int(len(delays) * 0.99))],
            }
        finally:
            proc.terminate()
            proc.wait(10)
            if server is not None:
                server.stop()
            if bus is not None:
                bus.stop()
            shutil.rmtree(root, ignore_errors=True)
    return results


def bench_rpc(env: dict[str, str], calls: int, clients: int) -> dict[str, Any]:
    """Calls per second to a running daemon: one client in a row, then many at once."""
    import threading

    sys.path.insert(0, str(ROOT))
    from habitd import ipc

    socket_path = str(Path(env["XDG_RUNTIME_DIR"]) / "habitd" / "habitd.sock")
    started = time.perf_counter()
    for _ in range(calls):
        ipc.call(socket_path, "status")
    sequential = calls / (time.perf_counter() - started)
    errors: list[BaseException] = []

    def client() -> None:
        for _ in range(calls // clients):
            try:
                ipc.call(socket_path, "status")
            except BaseException as exc:  # counted and reported
                errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    concurrent = (calls // clients * clients) / (time.perf_counter() - started)
    return {
        "sequential_per_s": sequential,
        "concurrent_per_s": concurrent,
        "clients": clients,
        "errors": len(errors),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="client runs per command")
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    compileall.compile_dir(ROOT / "habitd", quiet=1)  # as an installed package would have
    root = Path(tempfile.mkdtemp(prefix="hdb-"))
    env = private_env(root)
    proc = start_daemon(env)
    try:
        results: dict[str, Any] = {
            "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "client": bench_client(env, args.runs),
            "direct": bench_direct(env, args.runs),
            "heavy_imports_in_status": bench_imports(env),
            "daemon": bench_daemon(env, proc, args.idle_seconds),
        }
        results["rpc"] = bench_rpc(env, calls=max(50, args.runs * 20), clients=50)
        results["data_scale"] = bench_data_scale(max(3, args.runs // 3))
        results["report"] = bench_report(max(3, args.runs // 3))
        results["start"] = bench_start(max(1, args.runs // 6))
        results["firing"] = bench_firing(max(10, args.runs * 2))
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{results['machine']}, {results['date']}\n")
    print("| command | median ms | q1-q3 ms | ratio to floor |\n|---|---|---|---|")
    for name, figures in results["client"].items():
        print(
            f"| {name} | {figures['median_ms']:.1f} | {figures['q1_ms']:.1f}-"
            f"{figures['q3_ms']:.1f} | {figures['ratio']:.2f} |"
        )
    direct = results["direct"]
    print(
        f"\n`habitd done meditate` without a daemon: "
        f"{direct['without a daemon']['median_ms']:.1f} ms, with one: "
        f"{direct['with the daemon']['median_ms']:.1f} ms (ratio {direct['ratio']:.2f})"
    )
    heavy = results["heavy_imports_in_status"]
    print(f"\nheavy modules imported by `habitd status`: {', '.join(heavy) or 'none'}")
    daemon = results["daemon"]
    print(
        f"\ndaemon idle {daemon['idle_seconds']:.0f} s: {daemon['idle_cpu_ms']:.0f} ms CPU, "
        f"{daemon['idle_context_switches']} context switches; RSS {daemon['rss_mb']:.1f} MB "
        f"(bare asyncio process: {daemon['floor_rss_mb_bare_asyncio']:.1f} MB)"
    )
    rpc = results["rpc"]
    print(
        f"\nRPC: {rpc['sequential_per_s']:.0f} calls/s one after another, "
        f"{rpc['concurrent_per_s']:.0f} calls/s from {rpc['clients']} clients at once, "
        f"{rpc['errors']} errors"
    )
    print(
        "\n| daemon start | to a socket that answers, median ms (q1-q3) | RSS MB |\n|---|---|---|"
    )
    for name, figures in results["start"].items():
        print(
            f"| {name} | {figures['median_ms']:.0f} ({figures['q1_ms']:.0f}-"
            f"{figures['q3_ms']:.0f}) | {figures['rss_mb']:.1f} |"
        )
    print("\n| firing precision | nudges | p50 ms | p99 ms |\n|---|---|---|---|")
    for name, figures in results["firing"].items():
        print(
            f"| {name} | {figures['fired']} | {figures['p50_ms']:.1f} | {figures['p99_ms']:.1f} |"
        )
    report = results["report"]
    print(
        f"\n`habitd report --html` on 1,000 entries: "
        f"{report['habitd report --html (1,000 entries)']['median_ms']:.1f} ms, `habitd status`: "
        f"{report['habitd status']['median_ms']:.1f} ms (ratio {report['ratio']:.2f})"
    )
    print("\n| data scale | median ms | q1-q3 ms |\n|---|---|---|")
    for name, figures in results["data_scale"].items():
        print(
            f"| {name} | {figures['median_ms']:.1f} | {figures['q1_ms']:.1f}-"
            f"{figures['q3_ms']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
