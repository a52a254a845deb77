"""The benchmarks run (on tiny inputs): a smoke test, never a timing assert."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def _bench(script: str, *args: str, timeout: float) -> dict[str, Any]:
    """Run ``bench/SCRIPT ARGS``; it must succeed and print its figures as JSON."""
    done = subprocess.run(
        [sys.executable, str(BENCH.parent / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.clock
def test_benchmarks_run_and_the_client_imports_nothing_heavy() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--runs", "4", "--idle-seconds", "0.5", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    results = json.loads(done.stdout)
    assert results["heavy_imports_in_status"] == []
    assert set(results["client"]) == {
        "floor: python -c 'import click'",
        "habitd status",
        "python -m habitd status",
        "habitd done meditate",
    }
    assert results["daemon"]["rss_mb"] > 0
    assert results["rpc"]["errors"] == 0
    assert set(results["start"]) == {"default config", "1,000 nudges"}
    expected = {"log": 10, "desktop": 10} if shutil.which("dbus-daemon") else {"log": 10}
    assert {name: figures["fired"] for name, figures in results["firing"].items()} == expected
    assert len(results["data_scale"]) == 4
    assert results["report"]["ratio"] > 0


def test_load_and_soak_run_briefly_without_errors_or_lost_writes() -> None:
    results = _bench(
        "soak.py",
        "--load-seconds",
        "4",
        "--clients",
        "20",
        "--nudges",
        "20",
        "--soak-seconds",
        "6",
        timeout=300,
    )
    assert results["load"]["errors"] == 0 and results["load"]["lost_writes"] == 0
    assert results["load"]["writes"] > 0
    soak = results["soak"]
    assert soak["end"]["fds"] == soak["start"]["fds"]  # nothing leaks while nudges are due


def test_the_plugin_contract_benchmark_runs() -> None:
    results = _bench("plugins.py", "--runs", "2", "--json", timeout=300)
    assert results["blocked"]["faults charged"] >= 1  # the blocking plugin paid for it
    assert set(results["commands"]) == {
        "built-in: habitd config path",
        "plugin package: habitd halt",
        "single-file hook: habitd hello",
    }


def test_the_tray_benchmark_runs() -> None:
    results = _bench("tray.py", "--idle-seconds", "0.5", "--json", timeout=120)
    assert results["with the tray"]["tray"].startswith("shown by the tray host")
    assert results["without"]["tray"] == "off in the config"


def test_the_writer_benchmark_runs() -> None:
    args = ("--megabytes", "2", "--clients", "3", "--seconds", "1")
    results = _bench("writer.py", *args, timeout=120)
    assert results["saved"] > 0 and results["backups"] > 0 and results["store_calls_on_loop"] > 0
