"""The plugin contract holds against a hostile neighbour: nothing a plugin does can freeze,
bypass or stop the daemon, and the built-ins use only the public API."""

from __future__ import annotations

import ast
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from habitd import ipc

from .conftest import BASE_CONFIG, Env, wait_for

ROOT = Path(__file__).resolve().parent.parent

BLOCKS_IN_ASYNC_COMPOSE = """
import time
from pathlib import Path
from habitd.plugin import Message, hookimpl

@hookimpl
def habitd_nudge_kinds():
    return ["slow"]

@hookimpl
async def habitd_compose(nudge, ctx):
    if nudge.kind == "slow":
        Path(__file__).with_suffix(".composing").touch()
        time.sleep(60)  # blocking code in an async hook: the mistake the contract must survive
        return Message(title="too late", body="")

@hookimpl
def habitd_rpc_methods(ctx):
    def nap():
        time.sleep(60)
        return "rested"

    def sneaky():
        return ctx.query("DELETE FROM entries")

    def peek(sql):
        return ctx.query(sql)

    def twice():  # a reaction replayed after a crash writes what it wrote before, once
        ids = [ctx.add_entry("journal", note="keyed", key="thanks:7") for _ in range(2)]
        for _ in range(2):
            ctx.add_event("thanked", detail={"for": 7}, key="thanked:7")
        return ids

    def boom():
        raise ValueError("a bug in the plugin")

    def endless():
        return ctx.query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
            "SELECT count(*) FROM n"
        )

    def seen():
        return {
            "entries": [e.fields.get("note") for e in ctx.entries()],
            "found": [e.fields.get("note") for e in ctx.entries(search="kep")],
            "history": [e.event for e in ctx.history()],
            "marked": {h: s for h, s in ctx.marked(ctx.today()).items()},
            "streak": ctx.summary("meditate").current,
        }

    return {
        "nap": nap, "sneaky": sneaky, "boom": boom, "seen": seen, "endless": endless,
        "peek": peek, "twice": twice,
    }
"""

CONFIG = BASE_CONFIG + '\n[[nudge]]\nid = "slow-one"\nkind = "slow"\ndate = "2100-01-01 04:00"\n'


def _plugin(env: Env, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in env.ok("plugins", "--json").json() if p["name"] == name)
    return found


def test_a_blocking_plugin_never_freezes_the_daemon(env: Env) -> None:
    env.write_config(CONFIG)
    env.add_plugin("blocker", BLOCKS_IN_ASYNC_COMPOSE)
    daemon = env.start_daemon()
    marker = env.config_dir / "plugins" / "blocker.composing"
    trigger = subprocess.Popen(
        [sys.executable, "-m", "habitd", "trigger", "slow-one", "--json"],
        env=env.environ,
        stdout=subprocess.PIPE,
        text=True,
    )
    wait_for(marker.exists)
    # the plugin's thread sleeps for a minute; the daemon answers meanwhile (the CLI gives
    # up after 10 s, so a frozen loop would fail here)
    assert env.ok("status", "--json").json()["running"] is True
    out, _ = trigger.communicate(timeout=30)  # its compose overran: the plain message went
    assert '"status": "fired"' in out
    env.ok("snooze", "evening", "1s")  # a nudge due while the plugin is still stuck fires
    wait_for(lambda: any(e["nudge"] == "evening" and e["event"] == "fired" for e in env.history()))
    blocker = _plugin(env, "blocker")
    assert blocker["faults"] == 1
    assert blocker["last_error"] == "habitd_compose: TimeoutError: took longer than 5s"

    # a plugin's RPC method that sleeps is bounded in time too, and charged
    answers: list[Any] = []

    def nap() -> None:
        try:
            answers.append(daemon.call("blocker.nap"))
        except ipc.RemoteError as exc:
            answers.append(exc.message)

    napping = threading.Thread(target=nap)
    napping.start()
    assert env.ok("status", "--json").json()["running"] is True
    napping.join(30)
    assert answers and "plugin blocker" in str(answers[0])


def test_a_plugin_reads_but_never_writes_through_its_context(env: Env) -> None:
    env.write_config(CONFIG)
    env.add_plugin("blocker", BLOCKS_IN_ASYNC_COMPOSE)
    daemon = env.start_daemon()
    env.ok("journal", "--note", "kept")
    env.ok("done", "meditate")
    seen = daemon.call("blocker.seen")
    assert seen["history"][0] == "done"  # (a celebration may follow it)
    assert {k: v for k, v in seen.items() if k != "history"} == {
        "entries": ["kept"],
        "found": ["kept"],
        "marked": {"meditate": "done"},
        "streak": 1,
    }
    with pytest.raises(ipc.RemoteError) as refused:
        daemon.call("blocker.sneaky")
    assert "query refused" in refused.value.message and "readonly" in refused.value.message
    # it reads the person's data, never habitd's own: other plugins' state, the change log,
    # the request keys, by any route (a column, count(*), a join, another name for the file)
    assert daemon.call("blocker.peek", sql="SELECT count(*) FROM entries") == [[1]]
    for sql in (
        "SELECT value FROM plugin_state",
        "SELECT count(*) FROM changes",
        "SELECT 1 FROM entries JOIN requests",
        "SELECT * FROM pending",
        f"ATTACH '{env.db}' AS again",
    ):
        with pytest.raises(ipc.RemoteError) as hidden:
            daemon.call("blocker.peek", sql=sql)
        assert hidden.value.message.startswith("query refused: it may read entries, "), sql
    first, again = daemon.call("blocker.twice")
    assert first == again
    with sqlite3.connect(env.db) as db:
        assert db.execute("SELECT count(*) FROM entries WHERE note = 'keyed'").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM events WHERE event = 'thanked'").fetchone() == (1,)
    with pytest.raises(ipc.RemoteError) as broke:
        daemon.call("blocker.boom")
    assert broke.value.message == "plugin blocker failed in blocker.boom: a bug in the plugin"
    assert _plugin(env, "blocker")["faults"] == 1  # a clean HabitdError is not a fault

    # a query that never ends holds nothing of habitd's: writes go on, and it is stopped
    answers: list[str] = []

    def endless() -> None:
        try:
            daemon.call("blocker.endless")
        except ipc.RemoteError as exc:
            answers.append(exc.message)

    running = threading.Thread(target=endless)
    running.start()
    env.ok("journal", "--note", "written meanwhile")
    running.join(30)
    assert answers == ["query refused: it ran longer than 4s"]
    with sqlite3.connect(env.db) as db:
        assert db.execute("SELECT note FROM entries").fetchall() == [
            ("kept",),
            ("keyed",),
            ("written meanwhile",),
        ]


ODD_ONES = {
    "wrapping": """
from habitd import hookimpl

@hookimpl(wrapper=True)
def habitd_status(ctx):
    result = yield
    return result
""",
    "goals": """
from habitd import hookimpl

@hookimpl
def habitd_status(ctx):
    return {"impostor": True}
""",
    "listy": """
from habitd import hookimpl

@hookimpl
def habitd_status(ctx):
    return ["not", "a", "mapping"]
""",
    "hangs": """
import time
time.sleep(60)
""",
}


def test_odd_plugins_are_refused_or_charged_and_everyone_else_goes_on(env: Env) -> None:
    env.write_config()
    for name, source in ODD_ONES.items():
        env.add_plugin(name, source)
    env.start_daemon()
    plugins = env.ok("plugins", "--json").json()
    states = {(p["name"], p["source"]): (p["state"], p["last_error"]) for p in plugins}
    assert states[("wrapping", "file")][0] == "refused"
    assert "habitd_status is a wrapper" in states[("wrapping", "file")][1]
    assert states[("goals", "builtin")] == ("active", None)
    assert states[("goals", "file")][0] == "refused"
    assert "is taken by the builtin plugin" in states[("goals", "file")][1]
    assert states[("hangs", "file")] == (
        "failed",
        "could not load: TimeoutError: its import took longer than 5s",
    )
    status = env.ok("status", "--json").json()  # a wrong result is listy's fault alone
    assert "answered_today" in status["details"]["goals"]
    assert "listy" not in status["details"]
    assert _plugin(env, "listy")["last_error"] == (
        "habitd_status: TypeError: returned list ['not', 'a', 'mapping'], not a mapping of str keys"
    )
    assert "goals" in env.ok("status").out


def test_a_quarantine_is_lifted_by_reset(env: Env) -> None:
    env.write_config()
    env.add_plugin("listy", ODD_ONES["listy"])
    env.start_daemon()
    for _ in range(3):
        env.ok("status")
    assert _plugin(env, "listy")["state"] == "quarantined"
    assert "listy is active again (3 faults so far)" in env.ok("plugins", "reset", "listy").out
    assert _plugin(env, "listy")["state"] == "active"
    assert "no plugin named 'nosuch'" in env.cli("plugins", "reset", "nosuch").err


WATER = """\
from habitd.plugin import Message, hookimpl

@hookimpl
def habitd_nudge_kinds(): return ["water"]

@hookimpl
def habitd_compose(nudge, ctx):
    if nudge.kind == "water":
        return Message(title="A glass of water?", body="Your body is working hard right now.")
"""


def test_the_readme_plugin_works_with_reload(env: Env) -> None:
    readme = (ROOT / "README.md").read_text()
    assert WATER in readme  # the test runs what the README shows
    env.write_config()
    env.start_daemon()
    env.add_plugin("water", WATER)
    env.write_config(
        BASE_CONFIG + '\n[[nudge]]\nid = "water"\nkind = "water"\ndate = "2100-01-01 10:00"\n'
    )
    assert "water" in env.ok("reload").out
    assert env.ok("trigger", "water", "--json").json()["message"]["title"] == "A glass of water?"
    env.add_plugin("water", WATER.replace("A glass of water?", "Some water?"))
    env.ok("reload")  # a changed file is loaded again
    assert env.ok("trigger", "water", "--json").json()["message"]["title"] == "Some water?"
    (env.config_dir / "plugins" / "water.py").unlink()
    refused = env.cli("reload")  # its nudge is still configured: the running config stays
    assert refused.rc == 1 and "unknown kind 'water'" in refused.err
    assert _plugin(env, "water")["state"] == "active"
    env.write_config()
    env.ok("reload")
    assert "water" not in [p["name"] for p in env.ok("plugins", "--json").json()]


HELLO = """
import click
from habitd.plugin import hookimpl

@hookimpl
def habitd_commands():
    @click.command("hello")
    def hello():
        click.echo("hello from elsewhere")
    return [hello]
"""


def test_a_plugin_command_is_found_with_another_config(env: Env, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir(mode=0o700)
    (folder / "hello.py").write_text(HELLO)
    other = tmp_path / "other.toml"
    other.write_text(f'[habitd]\ntimezone = "UTC"\n\n[plugins]\npaths = ["{folder}"]\n')
    other.chmod(0o600)
    assert env.cli("hello").rc == 2
    assert env.ok("--config", str(other), "hello").out == "hello from elsewhere\n"


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_built_ins_use_only_the_public_plugin_api() -> None:
    """``habitd.builtin`` may import only ``habitd.plugin``, its own modules and the
    standard library (no database of its own, no daemon internals)."""
    for path in sorted((ROOT / "habitd" / "builtin").glob("*.py")):
        for name in _imports(path):
            allowed = (
                name == "habitd.plugin"
                or name.startswith("habitd.builtin")
                or (name.split(".")[0] in sys.stdlib_module_names and name != "sqlite3")
                or name == "__future__"
            )
            assert allowed, f"{path.name} imports {name}: built-ins may use only habitd.plugin"
        tree = ast.parse(path.read_text())
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Global)], (
            f"{path.name} keeps state in module globals: use ctx.cache or ctx.state"
        )


def _installed(site: Path, package: str, entry_points: str, module: str, source: str) -> None:
    """A package as pip installs it: a module and its dist-info with entry points."""
    info = site / f"{package}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)
    (site / f"{module}.py").write_text(source)


COMMAND = """
import click

@click.command("{name}")
def command():
    click.echo("{said}")
"""


def test_installed_plugins_load_only_when_named_and_commands_lazily(
    env: Env, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    _installed(
        site,
        "broken_pkg",
        "[habitd]\nbroken = broken_pkg\n",
        "broken_pkg",
        "raise RuntimeError('an installed plugin broken on purpose')\n",
    )
    _installed(
        site,
        "cheer_pkg",
        "[habitd.commands]\ncheer = cheer_pkg:command\n",
        "cheer_pkg",
        COMMAND.format(name="cheer", said="well done"),
    )
    env.environ["PYTHONPATH"] = str(site)
    env.write_config()
    names = [p["name"] for p in env.ok("plugins", "--json").json()]
    assert "broken" not in names  # the fixture loads no installed plugin a test did not name
    assert env.cli("cheer").rc == 2
    env.use_installed("broken", "cheer")
    [broken] = [p for p in env.ok("plugins", "--json").json() if p["name"] == "broken"]
    assert broken["state"] == "failed" and "broken on purpose" in broken["last_error"]
    assert env.ok("cheer").out == "well done\n"
    assert "cheer" in env.ok("--help").out
    _installed(
        site,
        "copy_pkg",
        "[habitd.commands]\ncheer = copy_pkg:command\n",
        "copy_pkg",
        COMMAND.format(name="cheer", said="me too"),
    )
    env.use_installed("cheer")
    clash = env.cli("cheer")
    assert clash.rc == 1
    assert "two plugins declare the command 'cheer': cheer-pkg" in clash.err
    assert "copy-pkg (copy_pkg:command)" in clash.err


def test_every_table_is_the_persons_or_habitds_own(tmp_path: Path) -> None:
    """A new table is a decision: ctx.query may read it (the person's data) or not."""
    from habitd.store import HABITD_TABLES, PERSON_TABLES, Store

    Store(tmp_path / "habitd.sqlite3").close()
    with sqlite3.connect(tmp_path / "habitd.sqlite3") as db:
        tables = {
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("entries_search_")  # the search index's own shadow tables
        }
    assert tables == set(PERSON_TABLES) | set(HABITD_TABLES)
