"""Show habitd in a real tray: XFCE's panel on a virtual screen, habitd's icon, its tooltip
and its menu open on today's habits, saved as PNGs.

    python tools/tray_screenshot.py [--out docs/img/tray.png]   (or: make screenshot)

Runs a private D-Bus session bus, Xvfb, dunst, xfce4-panel and a habitd daemon on the
default config in temporary folders; marks two weeks kratom-free and today's meditation,
then hovers and clicks the icon with xdotool. Writes OUT (the menu) and OUT's name with
``-tooltip`` (the tooltip). Needs Debian's dbus-daemon, xvfb, dunst, xfce4-panel, xdotool
and imagemagick.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from habitd.testing.desktop import (  # noqa: E402 (after the path)
    Dunst,
    SessionBus,
    TrayHost,
    VirtualDisplay,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "tray.png")
    args = parser.parse_args()
    tooltip_out = args.out.with_name(f"{args.out.stem}-tooltip{args.out.suffix}")

    with tempfile.TemporaryDirectory(prefix="hdt-") as folder:
        root = Path(folder)
        runtime = root / "run"
        runtime.mkdir(mode=0o700)
        bus = SessionBus(runtime / "bus").start()
        display = VirtualDisplay().start()
        dunst = Dunst(bus.address, display).start()
        host = TrayHost(bus.address, display, root / "panel").start()
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_STATE_HOME": str(root / "state"),
            "XDG_RUNTIME_DIR": str(runtime),
            "DBUS_SESSION_BUS_ADDRESS": bus.address,
        }
        habitd = [sys.executable, "-m", "habitd"]

        def run(*words: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*habitd, *words], env=env, capture_output=True, text=True)

        run("init")
        daemon = subprocess.Popen(
            [*habitd, "run", "--notifier", "desktop"], env=env, stderr=subprocess.DEVNULL
        )
        try:
            for _ in range(100):
                if "shown by the tray host" in run("status").stdout:
                    break
                time.sleep(0.1)
            for days in range(14, 0, -1):
                run("done", "kratom-free", "--date", (date.today() - timedelta(days)).isoformat())
            run("done", "meditate")
            dunst.ctl("close-all")
            time.sleep(0.5)
            args.out.parent.mkdir(parents=True, exist_ok=True)

            host.point_at_icon()
            time.sleep(2.5)  # the tooltip shows after a moment's hover
            display.screenshot(tooltip_out, crop=f"330x130+{display.width - 330}+0")
            print(f"saved {tooltip_out}")

            host.click_icon()
            labels = ["Help now", "Breathe", "Surf an urge", "Write in the journal"]
            labels += ["Log an urge", "Pause 1 hour", "Pause until morning", "Today's habits"]
            host.keys(*["Down"] * len(labels), "Right")
            time.sleep(0.8)
            display.screenshot(args.out, crop=f"520x330+{display.width - 520}+0")
            print(f"saved {args.out}")
        finally:
            daemon.terminate()
            daemon.wait(10)
            host.stop()
            dunst.stop()
            display.stop()
            bus.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
