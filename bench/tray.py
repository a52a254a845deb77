"""The tray's cost: a daemon's idle CPU, context switches and RSS with the tray item shown,
beside the same daemon with ``tray = false``.

    python bench/tray.py [--idle-seconds 60] [--host test|xfce|lxqt] [--json]

Each daemon runs on a private D-Bus session bus with a recording notification server and a
StatusNotifierWatcher, so the tray item is really registered: habitd's test watcher, or
with ``--host xfce`` (or ``lxqt``) that panel on Xvfb, a real host that reads the item and
its menu. Needs Debian's dbus-daemon (and xvfb, xdotool and the panel for ``--host``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import _context_switches, _cpu_seconds, _rss_mb, private_env  # noqa: E402
from habitd.testing.dbus_services import (  # noqa: E402
    NotificationServer,
    StatusNotifierWatcher,
)
from habitd.testing.desktop import (  # noqa: E402
    TRAY_HOSTS,
    SessionBus,
    TrayHost,
    VirtualDisplay,
)

CONFIG = """
[habitd]
timezone = "UTC"
notifier = "desktop"
tray = {tray}

[[habit]]
id = "meditate"
name = "Meditate"

[[nudge]]
id = "sit"
date = "2100-01-01 08:00"
habit = "meditate"
"""


def measure(tray: bool, idle: float, host: str = "test") -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="hdt-"))
    env = private_env(root)
    bus = SessionBus(root / "run" / "bus").start()
    server = NotificationServer(bus.address).start()
    display = panel = None
    if host != "test":
        display = VirtualDisplay().start()
        panel = TrayHost(bus.address, display, root / "panel", host).start()
    watcher = StatusNotifierWatcher(bus.address) if panel is None else None
    if watcher is not None:
        watcher.start()
    env["DBUS_SESSION_BUS_ADDRESS"] = bus.address
    config = root / "config" / "habitd"
    config.mkdir(parents=True, mode=0o700)
    (config / "habitd.toml").write_text(CONFIG.format(tray="true" if tray else "false"))
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "habitd", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    registered = None
    try:
        deadline = started + 30
        while watcher is not None and tray and registered is None and time.monotonic() < deadline:
            if watcher.items:
                registered = time.monotonic() - started
            time.sleep(0.01)
        for _ in range(100):
            done = subprocess.run(
                [sys.executable, "-m", "habitd", "status", "--json"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                break
            time.sleep(0.1)
        shown = json.loads(done.stdout)["tray"]
        time.sleep(2)
        cpu, switches = _cpu_seconds(proc.pid), _context_switches(proc.pid)
        time.sleep(idle)
        return {
            "tray": shown,
            "host": host,
            "registered_after_ms": registered * 1000 if registered is not None else None,
            "idle_cpu_ms": (_cpu_seconds(proc.pid) - cpu) * 1000,
            "idle_context_switches": _context_switches(proc.pid) - switches,
            "rss_mb": _rss_mb(proc.pid),
        }
    finally:
        proc.terminate()
        proc.wait(10)
        if watcher is not None:
            watcher.stop()
        if panel is not None and display is not None:
            panel.stop()
            display.stop()
        server.stop()
        bus.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--host", choices=("test", *TRAY_HOSTS), default="test")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    results = {"with the tray": measure(True, args.idle_seconds, args.host)}
    results["without"] = measure(False, args.idle_seconds, args.host)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    after = results["with the tray"]["registered_after_ms"]
    if after is not None:
        print(f"the item registered {after:.0f} ms after the daemon was started\n")
    print("| daemon | idle CPU ms | context switches | RSS MB | tray |\n|---|---|---|---|---|")
    for name, figures in results.items():
        print(
            f"| {name} | {figures['idle_cpu_ms']:.0f} | {figures['idle_context_switches']} | "
            f"{figures['rss_mb']:.1f} | {figures['tray']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
