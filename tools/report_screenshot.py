"""Show the HTML report as a browser does: a made-up quarter of entries, ``habitd report
--html``, and headless Chromium's picture of the top of the page.

    python tools/report_screenshot.py [--out docs/img/report.png]   (or: make screenshot)

Everything happens in temporary folders; the entries are invented (a seeded random
generator, so the picture is the same each time for the same day). Needs Debian's chromium
and imagemagick.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from habitd.store import Store  # noqa: E402 (after the path)
from habitd.testing.desktop import Browser  # noqa: E402

FEELINGS = ("anxious", "calm", "sad", "hopeful", "lonely", "grateful")
TRIGGERS = ("work stress", "payday", "boredom", "an argument", "can't sleep")
HELPED = ("a walk", "Called Sam", "box breathing", "a shower", "wrote it down")


def seed(db: Path, now: datetime) -> None:
    """About ninety days of feelings and urges, with a Friday-evening pattern."""
    chance = random.Random(7)
    store = Store(db)
    for day in range(90, 0, -1):
        moment = now - timedelta(days=day)
        if chance.random() < 0.7:
            store.add_entry(
                "journal",
                ts=moment.replace(hour=20),
                emotion=chance.choice(FEELINGS),
                intensity=chance.randint(2, 8),
                trigger=chance.choice(TRIGGERS),
                extra={"mood": max(1, min(5, round(2 + (90 - day) / 40 + chance.uniform(-1, 1))))},
            )
        friday = moment.weekday() == 4
        if friday or chance.random() < 0.25:
            acted = chance.random() < 0.15
            store.add_entry(
                "urge",
                ts=moment.replace(hour=21 if friday else chance.randint(9, 23)),
                craving=max(1, min(10, int(3 + day / 20 + chance.randint(-2, 2)))),
                trigger="payday" if friday else chance.choice(TRIGGERS),
                halt=chance.choice(("tired", "lonely,tired", "hungry", "angry")),
                extra={"coped": chance.choice(HELPED), "acted": acted},
            )
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "report.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hdr-") as folder:
        root = Path(folder)
        (root / "run").mkdir(mode=0o700)
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_STATE_HOME": str(root / "state"),
            "XDG_RUNTIME_DIR": str(root / "run"),
        }
        habitd = [sys.executable, "-m", "habitd"]
        subprocess.run([*habitd, "init"], env=env, check=True, capture_output=True)
        subprocess.run([*habitd, "status"], env=env, capture_output=True)  # makes the folders
        data = root / "data" / "habitd"
        data.mkdir(mode=0o700, parents=True, exist_ok=True)
        seed(data / "habitd.sqlite3", datetime.now(UTC).replace(minute=0, second=0))
        page = root / "report.html"
        subprocess.run(
            [*habitd, "report", "--days", "90", "--html", str(page)],
            env=env,
            check=True,
            capture_output=True,
        )
        full = Browser().screenshot(page, root / "full.png", width=860, height=1500)
        subprocess.run(
            ["convert", str(full), "-crop", "860x1500+0+0", "+repage", str(args.out)], check=True
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
