"""``habitd plugin new NAME``: a new, installable plugin package that passes its own test.

The package has a pyproject with the ``habitd`` entry point, a module with one nudge kind
and one CLI command, and a test that runs a real daemon with the fixtures habitd ships.
"""

from __future__ import annotations

import re
from pathlib import Path

from habitd.errors import InvalidInput

NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")

PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "habitd-{name}"
version = "0.1.0"
description = "A habitd plugin: {name}"
requires-python = ">=3.11"
dependencies = ["habitd"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points.habitd]
{name} = "{module}.hooks"

# commands load lazily: typing `habitd {name}` imports {module}.command alone
[project.entry-points."habitd.commands"]
{name} = "{module}.command:command"

[tool.hatch.build.targets.wheel]
packages = ["{module}"]
"""

PACKAGE = '''\
"""habitd-{name}: a nudge kind (hooks.py) and a command (command.py). Keep this file tiny:
Python runs it before either, and `habitd {name}` should start fast."""

__version__ = "0.1.0"
'''

MODULE = '''\
"""habitd-{name}'s hooks. Start here; docs/plugins.md in habitd explains every hook and
the ``ctx`` each one gets."""

from __future__ import annotations

from collections.abc import Sequence

from habitd.plugin import Message, Nudge, PluginContext, answer_buttons, hookimpl


@hookimpl
def habitd_nudge_kinds() -> Sequence[str]:
    """The nudge kind this plugin renders: kind = "{name}" in a [[nudge]]."""
    return ["{name}"]


@hookimpl
def habitd_compose(nudge: Nudge, ctx: PluginContext) -> Message | None:
    """What a {name} nudge says."""
    if nudge.kind != "{name}":
        return None
    return Message(
        title=nudge.title or "A small step",
        body=nudge.body or "Whatever you are doing, take one slow breath.",
        buttons=answer_buttons(nudge),
    )
'''

COMMAND = '''\
"""habitd {name}: declared in the entry-point group habitd.commands, so typing it imports
this module alone (keep heavy imports inside the function)."""

from __future__ import annotations

import click


@click.command("{name}")
def command() -> None:
    """What this plugin offers in the terminal."""
    click.echo("Hello from the {name} plugin.")
'''

TEST = '''\
"""habitd-{name} against a real habitd daemon (the habitd_env fixture comes with habitd)."""

from habitd.testing import Env

CONFIG = """
[habitd]
timezone = "UTC"
notifier = "log"

[[nudge]]
id = "try-it"
kind = "{name}"
at = ["03:00"]
"""


def test_the_nudge_and_the_command(habitd_env: Env) -> None:
    habitd_env.use_installed("{name}")  # habitd_env loads no other installed plugin
    habitd_env.write_config(CONFIG)
    habitd_env.start_daemon()
    sent = habitd_env.ok("trigger", "try-it", "--json").json()
    assert sent["message"]["title"] == "A small step"
    assert habitd_env.ok("{name}").out == "Hello from the {name} plugin.\\n"
'''

README = """\
# habitd-{name}

A [habitd](https://pypi.org/project/habitd/) plugin. Install it next to habitd
(`pip install -e .`), restart habitd (`systemctl --user restart habitd`: Python loads an
installed package once), and add a nudge with `kind = "{name}"`.
Test it with `pip install -e '.[test]' && pytest`.
"""


def create(name: str, folder: Path) -> list[Path]:
    """Write the package ``habitd-NAME`` into ``folder``; returns the files written."""
    if not NAME.match(name):
        raise InvalidInput(f"a plugin name uses lowercase letters, digits and '-', got {name!r}")
    root = folder / f"habitd-{name}"
    if root.exists():
        raise InvalidInput(f"{root} already exists")
    module = f"habitd_{name.replace('-', '_')}"
    files = {
        root / "pyproject.toml": PYPROJECT,
        root / "README.md": README,
        root / module / "__init__.py": PACKAGE,
        root / module / "hooks.py": MODULE,
        root / module / "command.py": COMMAND,
        root / "tests" / f"test_{module}.py": TEST,
    }
    for path, template in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(name=name, module=module))
    return list(files)
