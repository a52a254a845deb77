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
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from habitd.testing.desktop import Desktop  # noqa: E402 (after the path)

MENU_TO_HABITS = ("Help now", "Breathe", "Surf an urge", "Write in the journal", "Log an urge")
MENU_TO_HABITS += ("Pause 1 hour", "Pause until morning", "Today's habits")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "tray.png")
    args = parser.parse_args()
    tooltip_out = args.out.with_name(f"{args.out.stem}-tooltip{args.out.suffix}")
    args.out.parent.mkdir(parents=True, exist_ok=True)

    with (
        tempfile.TemporaryDirectory(prefix="hdt-") as folder,
        Desktop(Path(folder), tray="xfce") as desktop,
    ):
        desktop.habitd("init")
        desktop.start_daemon(ready="shown by the tray host")
        for days in range(14, 0, -1):
            day = (date.today() - timedelta(days)).isoformat()
            desktop.habitd("done", "kratom-free", "--date", day)
        desktop.habitd("done", "meditate")
        desktop.dunst.ctl("close-all")  # the celebrations
        time.sleep(0.5)
        right = desktop.display.width

        desktop.host.point_at_icon()
        time.sleep(2.5)  # the tooltip shows after a moment's hover
        desktop.display.screenshot(tooltip_out, crop=f"330x130+{right - 330}+0")
        print(f"saved {tooltip_out}")

        desktop.host.open_menu()
        desktop.host.keys(*["Down"] * len(MENU_TO_HABITS), "Right")
        time.sleep(0.8)
        desktop.display.screenshot(args.out, crop=f"520x330+{right - 520}+0")
        print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
