"""Show what a person sees: a habitd nudge in dunst on a virtual screen, saved as a PNG.

    python tools/screenshot.py [NUDGE] [--out docs/img/nudge.png]   (or: make screenshot)

Runs a private D-Bus session bus, Xvfb, dunst and a habitd daemon on the default config in
temporary folders, triggers NUDGE (default: evening-journal), and saves the top-right
corner of the screen, where dunst draws. Needs Debian's dbus-daemon, xvfb, dunst and
imagemagick.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from habitd.testing.desktop import Desktop  # noqa: E402 (after the path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("nudge", nargs="?", default="evening-journal")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "nudge.png")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hds-") as folder, Desktop(Path(folder)) as desktop:
        desktop.start_daemon()
        desktop.habitd("trigger", args.nudge).check_returncode()
        for _ in range(50):
            if desktop.dunst.displayed():
                break
            time.sleep(0.1)
        time.sleep(0.3)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        desktop.display.screenshot(args.out, crop="380x150+644+30")
        print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
