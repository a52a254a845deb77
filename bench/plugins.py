"""The plugin contract's figures: how the daemon answers while a plugin blocks, and how fast
a plugin's command starts next to a built-in one.

    python bench/plugins.py [--runs N] [--json]

1. A single-file plugin whose ``async def`` compose blocks its thread for 8 s, and whose RPC
   method sleeps 8 s: ``habitd status`` is timed while each is blocked (the goal: under
   1.5 s; before the contract it took as long as the plugin blocked).
2. ``habitd halt`` (the example package's command, declared in the entry-point group
   ``habitd.commands``) against ``habitd config path`` (a built-in that needs no daemon
   either), interleaved: the ratio of their medians (the goal: at most 1.2). For scale,
   the same command from a single-file plugin's ``habitd_commands`` hook.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import private_env, quartiles, start_daemon  # noqa: E402

BLOCKER = """
import time
from pathlib import Path
from habitd.plugin import Message, hookimpl

@hookimpl
def habitd_nudge_kinds():
    return ["slow"]

@hookimpl
async def habitd_compose(nudge, ctx):
    if nudge.kind == "slow":
        time.sleep(8)
        return Message(title="late", body="")

@hookimpl
def habitd_rpc_methods(ctx):
    def nap():
        time.sleep(8)
        return "rested"
    return {"nap": nap}
"""

HOOKED_COMMAND = """
import click
from habitd.plugin import hookimpl

@hookimpl
def habitd_commands():
    @click.command("hello")
    def hello():
        click.echo("hello")
    return [hello]
"""

CONFIG = """
[habitd]
timezone = "UTC"
notifier = "log"

[[nudge]]
id = "slow-one"
kind = "slow"
date = "2100-01-01 04:00"
"""


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def bench_blocked(root: Path, runs: int) -> dict[str, Any]:
    """``habitd status`` while a plugin's compose, then its RPC method, blocks for 8 s."""
    env = private_env(root)
    plugins = root / "config" / "habitd" / "plugins"
    plugins.mkdir(parents=True, mode=0o700)
    (root / "config" / "habitd" / "habitd.toml").write_text(CONFIG)
    (plugins / "blocker.py").write_text(BLOCKER)
    script = str(Path(sys.executable).parent / "habitd")
    proc = start_daemon(env)
    result: dict[str, Any] = {}
    try:
        for name, blocking in (
            ("async compose blocking 8 s", [script, "trigger", "slow-one"]),
            ("RPC method sleeping 8 s", [sys.executable, "-c", _rpc_call(root)]),
        ):
            samples = []
            for _ in range(max(1, runs // 10)):
                blocker = subprocess.Popen(
                    blocking, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                time.sleep(0.5)  # the plugin is inside its 8 s now
                for _ in range(5):
                    samples.append(_timed([script, "status"], env))
                blocker.wait(30)
                time.sleep(8)  # let the plugin's thread finish before the next round
            result[name] = {
                "median_ms": statistics.median(samples) * 1000,
                "max_ms": max(samples) * 1000,
                "samples": len(samples),
            }
        done = subprocess.run(
            [script, "plugins", "--json"], env=env, capture_output=True, text=True, check=True
        )
        blocker_info = next(p for p in json.loads(done.stdout) if p["name"] == "blocker")
        result["faults charged"] = blocker_info["faults"]
    finally:
        proc.terminate()
        proc.wait(10)
    return result


def _rpc_call(root: Path) -> str:
    socket = root / "run" / "habitd" / "habitd.sock"
    return (
        "from habitd import ipc\n"
        "try:\n"
        f"    ipc.call({str(socket)!r}, 'blocker.nap', {{}}, timeout=30)\n"
        "except ipc.RemoteError:\n"
        "    pass\n"
    )


def bench_commands(root: Path, runs: int) -> dict[str, Any]:
    """A plugin package's lazy command against a built-in, interleaved."""
    env = private_env(root)
    site = root / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(ROOT / "plugins" / "habitd-halt"),
        ],
        check=True,
        capture_output=True,
    )
    compileall.compile_dir(site, quiet=1)
    env["PYTHONPATH"] = str(site)
    plugins = root / "config" / "habitd" / "plugins"
    plugins.mkdir(parents=True, mode=0o700)
    (plugins / "hooked.py").write_text(HOOKED_COMMAND)
    script = str(Path(sys.executable).parent / "habitd")
    commands = {
        "built-in: habitd config path": [script, "config", "path"],
        "plugin package: habitd halt": [script, "halt"],
        "single-file hook: habitd hello": [script, "hello"],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs + 3):
        for name, command in commands.items():
            samples[name].append(_timed(command, env))
    result: dict[str, Any] = {name: quartiles(values[3:]) for name, values in samples.items()}
    floor = result["built-in: habitd config path"]["median_ms"]
    for name in commands:
        result[name]["ratio"] = result[name]["median_ms"] / floor
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per command")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "habitd", quiet=1)
    roots = [Path(tempfile.mkdtemp(prefix="hdp-")) for _ in range(2)]
    try:
        results = {
            "blocked": bench_blocked(roots[0], args.runs),
            "commands": bench_commands(roots[1], args.runs),
        }
    finally:
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print("| while a plugin blocks | `habitd status` median ms | max ms |\n|---|---|---|")
    for name, figures in results["blocked"].items():
        if isinstance(figures, dict):
            print(f"| {name} | {figures['median_ms']:.0f} | {figures['max_ms']:.0f} |")
    print(f"\nfaults charged to the plugin: {results['blocked']['faults charged']}")
    print("\n| command | median ms | q1-q3 ms | ratio to the built-in |\n|---|---|---|---|")
    for name, figures in results["commands"].items():
        print(
            f"| {name} | {figures['median_ms']:.1f} | {figures['q1_ms']:.1f}-"
            f"{figures['q3_ms']:.1f} | {figures['ratio']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.exit(main())
