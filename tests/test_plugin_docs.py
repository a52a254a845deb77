"""The plugin guide documents every hook exactly as hookspecs.py declares it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from habitd import hookspecs, plugin

ROOT = Path(__file__).resolve().parent.parent


def test_every_hook_is_documented_and_the_reference_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "hookdoc.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    guide = (ROOT / "docs" / "plugins.md").read_text()
    for name in (n for n in dir(hookspecs) if n.startswith("habitd_")):
        assert f"### `{name}(" in guide, name
        assert getattr(hookspecs, name).__doc__, f"{name} has no docstring"


def test_the_public_api_exports_what_plugins_need() -> None:
    for name in plugin.__all__:
        assert hasattr(plugin, name), name
    assert plugin.logger("halt").name == "habitd.plugin.halt"
