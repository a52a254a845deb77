"""Show what a person sees: a habitd nudge in dunst on a virtual screen, saved as a PNG.

    python tools/screenshot.py [NUDGE] [--out docs/img/nudge.png]   (or: make screenshot)

Runs a private D-Bus session bus, Xvfb, dunst and a habitd daemon on the default config in
temporary folders, triggers NUDGE (default: evening-journal), and saves the top-right
corner of the screen, where dunst draws. Needs Debian's dbus-daemon, xvfb, dunst and
imagemagick.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from habitd.testing.desktop import Dunst, SessionBus, VirtualDisplay  # noqa: E402 (after the path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("nudge", nargs="?", default="evening-journal")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "nudge.png")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hds-") as folder:
        root = Path(folder)
        runtime = root / "run"
        runtime.mkdir(mode=0o700)
        bus = SessionBus(runtime / "bus").start()
        display = VirtualDisplay().start()
        dunst = Dunst(bus.address, display).start()
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_STATE_HOME": str(root / "state"),
            "XDG_RUNTIME_DIR": str(runtime),
            "DBUS_SESSION_BUS_ADDRESS": bus.address,
        }
        habitd = [sys.executable, "-m", "habitd"]
        daemon = subprocess.Popen(
            [*habitd, "run", "--notifier", "desktop"], env=env, stderr=subprocess.DEVNULL
        )
        try:
            for _ in range(100):
                if (
                    subprocess.run([*habitd, "status"], env=env, capture_output=True).returncode
                    == 0
                ):
                    break
                time.sleep(0.1)
            subprocess.run([*habitd, "trigger", args.nudge], env=env, check=True)
            for _ in range(50):
                if dunst.displayed():
                    break
                time.sleep(0.1)
            time.sleep(0.3)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            display.screenshot(args.out, crop="380x150+644+30")
            print(f"saved {args.out}")
        finally:
            daemon.terminate()
            daemon.wait(10)
            dunst.stop()
            display.stop()
            bus.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
