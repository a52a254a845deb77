"""Plugin isolation through the real daemon: broken plugins are reported, never fatal."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from habitd.errors import HabitdError
from habitd.plugins import PluginHost, PluginInfo

from .conftest import BASE_CONFIG, Env, eventually, local_now, wait_for

RAISES_ON_IMPORT = """
raise RuntimeError("this plugin is broken on purpose")
"""

RAISES_IN_COMPOSE = """
from habitd import hookimpl

@hookimpl
def habitd_compose(nudge, ctx):
    raise ValueError("compose exploded")
"""

SLOW_KIND = """
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from habitd import hookimpl
from habitd.contract import Message

@hookimpl
def habitd_nudge_kinds():
    return ["slow"]

@hookimpl
def habitd_compose(nudge, ctx):
    if nudge.kind == "slow":
        from pathlib import Path
        Path(__file__).with_suffix(".composing").touch()  # the test waits for this
        time.sleep(30)
        return Message(title="too late", body="")
"""

UNKNOWN_HOOK = """
from habitd import hookimpl

@hookimpl
def habitd_compse(nudge, ctx):
    return None
"""

LET_THROUGH = """
from habitd import hookimpl

@hookimpl(tryfirst=True)
def habitd_before_send(nudge, message, ctx):
    return False  # "not held": a wrong type, and it must not bypass quiet hours
"""

GOOD = """
from habitd import hookimpl
from habitd.contract import Message

__version__ = "1.2.3"

@hookimpl
def habitd_nudge_kinds():
    return ["halt"]

@hookimpl
async def habitd_compose(nudge, ctx):
    if nudge.kind == "halt":
        return Message(title="HALT check", body="Hungry, angry, lonely or tired?")

@hookimpl
def habitd_validate_config(config, settings):
    if "every" in settings and not isinstance(settings["every"], str):
        return ["every must be a duration like 2h"]
    return []

@hookimpl
def habitd_status(ctx):
    return {"answered": ctx.state.get("answered", 0)}

@hookimpl
def habitd_on_action(action, ctx):
    state = ctx.state
    state.set("answered", state.get("answered", 0) + 1)

@hookimpl
def habitd_rpc_methods(ctx):
    async def hello(name: str) -> str:
        return f"hello {name}"
    return {"hello": hello}
"""

CONFIG = (
    BASE_CONFIG
    + """
[[nudge]]
id = "slow-one"
kind = "slow"
date = "2100-01-01 04:00"

[[nudge]]
id = "halt"
kind = "halt"
date = "2100-01-01 04:30"
"""
)


def _states(env: Env) -> dict[str, tuple[str, str | None]]:
    return {p["name"]: (p["state"], p["last_error"]) for p in env.ok("plugins", "--json").json()}


def test_broken_plugins_are_isolated_and_reported(env: Env) -> None:
    env.write_config(CONFIG)
    env.add_plugin("broken", RAISES_ON_IMPORT)
    env.add_plugin("exploding", RAISES_IN_COMPOSE)
    env.add_plugin("slow", SLOW_KIND)
    env.add_plugin("typo", UNKNOWN_HOOK)
    env.add_plugin("good", GOOD)
    daemon = env.start_daemon()

    states = _states(env)
    assert states["broken"] == (
        "failed",
        "could not load: RuntimeError: this plugin is broken on purpose",
    )
    assert states["typo"] == ("failed", "unknown hook habitd_compse (did you mean habitd_compose?)")
    assert states["good"] == ("active", None)
    assert "plugin broken (" in daemon.log and "failed to load" in daemon.log

    # A compose that raises: the fault is recorded and the reminder still goes out.
    sent = env.ok("trigger", "morning", "--json").json()
    assert sent["message"]["title"] == "A quiet minute"
    assert _states(env)["exploding"] == ("active", "habitd_compose: ValueError: compose exploded")

    # A compose that blocks: the daemon keeps answering meanwhile, and a plain message is sent.
    background = subprocess.Popen(
        [sys.executable, "-m", "habitd", "trigger", "slow-one", "--json"],
        env=env.environ,
        stdout=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: (env.config_dir / "plugins" / "slow.composing").exists())
    assert env.ok("trigger", "halt", "--json").json()["message"]["title"] == "HALT check"
    assert background.wait(30) == 0
    assert background.stdout is not None
    assert '"status": "fired"' in background.stdout.read()
    assert _states(env)["slow"] == ("active", "habitd_compose: TimeoutError: took longer than 5s")

    # Three faults and a plugin is quarantined; the others carry on.
    env.ok("trigger", "evening")
    env.ok("trigger", "evening")
    assert _states(env)["exploding"][0] == "quarantined"
    assert env.ok("trigger", "evening", "--json").json()["message"]["title"] == "Evening check"
    status = env.ok("status").out
    assert "exploding: quarantined" in status
    assert "broken: failed" in status

    # The good plugin's own hooks: answers counted in its state, an RPC method, status lines.
    env.ok("done", "meditate")
    assert daemon.call("good.hello", name="Sam") == "hello Sam"
    assert env.ok("status", "--json").json()["details"]["good"] == {"answered": 1}
    listing = {p["name"]: p for p in env.ok("plugins", "--json").json()}
    assert listing["good"]["version"] == "1.2.3"
    assert listing["good"]["source"] == "file"
    assert listing["good"]["origin"].endswith("plugins/good.py")


def test_plugin_settings_are_validated_by_the_plugin(env: Env) -> None:
    env.add_plugin("good", GOOD)
    env.write_config(BASE_CONFIG + "\n[plugins.good]\nevery = 5\n")
    result = env.cli("config", "check")
    assert result.rc == 1
    assert result.out == f"{env.config_file}:27:2: plugins.good: every must be a duration like 2h\n"


@pytest.mark.clock
def test_disabled_plugins_are_not_loaded_and_safety_is_not_a_plugin(env: Env) -> None:
    env.add_plugin("broken", RAISES_ON_IMPORT)
    env.add_plugin("letthrough", LET_THROUGH)
    now = local_now()  # quiet from an hour ago to an hour from now (00:00-23:59 ends at 23:59)
    quiet = f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=1)):%H:%M}"
    env.write_config(
        BASE_CONFIG.replace('notifier = "log"', f'notifier = "log"\nquiet_hours = "{quiet}"')
        + '\n[plugins]\ndisabled = ["broken", "goals"]\n'
    )
    env.start_daemon()
    states = _states(env)
    assert states["broken"] == ("disabled", None) and states["goals"] == ("disabled", None)
    env.ok("pause", "1h")
    # a plugin answering False (not a Verdict) is a fault, and no plugin can let a nudge
    # through a pause or quiet hours: habitd applies them after every before_send
    env.ok("snooze", "evening", "1s")
    held = wait_for(lambda: [e for e in env.history() if e["event"] in ("held", "fired")])
    assert held[0]["event"] == "held" and held[0]["detail"]["reason"] == "paused"
    assert held[0]["detail"]["by"] == "habitd"
    assert _states(env)["letthrough"][1] == (
        "habitd_before_send: TypeError: returned bool False, not a Verdict or None"
    )
    env.ok("resume")  # the pause ends; quiet hours still hold it
    env.ok("snooze", "evening", "1s")
    wait_for(lambda: len([e for e in env.history() if e["event"] == "held"]) >= 3)
    quiet = [e for e in env.history() if e["event"] == "held"][-1]
    assert quiet["detail"]["reason"] == "quiet hours" and quiet["detail"]["by"] == "habitd"
    assert not [e for e in env.history() if e["event"] == "fired"]


def test_a_plugin_claiming_a_taken_kind_is_refused_and_the_daemon_runs(env: Env) -> None:
    env.add_plugin("good", GOOD)
    env.add_plugin("later", GOOD.replace('"1.2.3"', '"0.1"'))
    env.add_plugin(
        "thief",
        "from habitd import hookimpl\n\n@hookimpl\ndef habitd_nudge_kinds():\n"
        '    return ["reminder"]\n',
    )
    env.add_plugin(
        "letters",
        "from habitd import hookimpl\n\n@hookimpl\ndef habitd_nudge_kinds():\n"
        '    return "wrongk"\n',
    )
    env.write_config(
        BASE_CONFIG + '\n[[nudge]]\nid = "h"\nkind = "halt"\ndate = "2100-01-01 09:00"\n'
    )
    result = env.cli("config", "check")
    assert result.rc == 0, result.out
    assert "plugin later would be refused: claims the nudge kind 'halt'" in result.err
    assert "plugin thief would be refused: claims the nudge kind 'reminder'" in result.err
    env.start_daemon()
    states = _states(env)
    assert states["good"] == ("active", None)
    assert states["later"][0] == states["thief"][0] == "refused"
    assert "which plugin good renders already" in str(states["later"][1])
    assert states["letters"] == (
        "active",
        "habitd_nudge_kinds: TypeError: returned str 'wrongk', not a list of kind names",
    )
    assert env.ok("trigger", "morning", "--json").json()["status"] == "fired"


HOOKS = """
import click
from habitd import hookimpl
from habitd.plugin import Job, parse_schedule


@hookimpl
def habitd_startup(ctx):
    ctx.state.set("started", True)


@hookimpl
def habitd_shutdown(ctx):
    ctx.state.set("stopped", True)


@hookimpl
def habitd_jobs(config, ctx):
    async def tick():
        state = ctx.state
        state.set("ticks", state.get("ticks", 0) + 1)

    return [Job("tick", parse_schedule({"every": "1s"}), tick)]


@hookimpl
def habitd_on_entry(entry, ctx):
    ctx.state.set("last_entry", entry.fields.get("note"))


@hookimpl
def habitd_commands():
    @click.command("hello")
    @click.argument("name")
    def hello(name):
        click.echo(f"hello {name}, from a plugin")

    return [hello]
"""


def _plugin_state(env: Env) -> dict[str, object]:
    rows = sqlite3.connect(env.db).execute(
        "SELECT key, value FROM plugin_state WHERE plugin = 'hooks'"
    )
    return {key: json.loads(value) for key, value in rows}


def test_lifecycle_jobs_entries_and_commands(env: Env) -> None:
    env.write_config()
    env.add_plugin("hooks", HOOKS)
    daemon = env.start_daemon()
    assert _plugin_state(env)["started"] is True
    wait_for(lambda: int(_plugin_state(env).get("ticks", 0)) >= 2)  # type: ignore[call-overload]
    assert daemon.call("entry_add", kind="journal", fields={"note": "a calm evening"}) == {"id": 1}
    wait_for(lambda: _plugin_state(env).get("last_entry") == "a calm evening")
    assert env.ok("hello", "Sam").out == "hello Sam, from a plugin\n"
    assert "hello" in env.ok("--help").out
    assert daemon.stop() == 0
    assert _plugin_state(env)["stopped"] is True


FAULTY_EVERYWHERE = """
import asyncio
from habitd import hookimpl


@hookimpl
async def habitd_compose(nudge, ctx):
    await asyncio.sleep(3600)  # an async hook that never finishes


@hookimpl
def habitd_before_send(nudge, message, ctx):
    raise RuntimeError("before_send broke")


@hookimpl
def habitd_after_send(nudge, message, ctx):
    raise RuntimeError("after_send broke")


@hookimpl
def habitd_on_action(action, ctx):
    raise RuntimeError("on_action broke")


@hookimpl
def habitd_on_entry(entry, ctx):
    raise RuntimeError("on_entry broke")


@hookimpl
def habitd_status(ctx):
    raise RuntimeError("status broke")
"""


def test_a_fault_in_any_hook_is_contained(env: Env) -> None:
    env.write_config()
    env.add_plugin("faulty", FAULTY_EVERYWHERE)
    env.start_daemon()
    sent = env.ok("trigger", "morning", "--json").json()  # compose times out, then reminder
    assert sent["status"] == "fired" and sent["message"]["title"] == "A quiet minute"

    def faulty() -> dict[str, object]:
        return next(p for p in env.ok("plugins", "--json").json() if p["name"] == "faulty")

    assert (faulty()["state"], faulty()["faults"]) == ("active", 2)  # compose, after_send
    assert faulty()["last_error"] == "habitd_after_send: RuntimeError: after_send broke"
    env.ok("done", "meditate")  # on_action raises: the third fault
    assert faulty()["state"] == "quarantined"
    assert faulty()["last_error"] == "habitd_on_action: RuntimeError: on_action broke"
    env.ok("journal", "--note", "still saved")
    assert env.ok("status", "--json").json()["running"] is True
    assert [e["event"] for e in env.history() if e["event"] in ("fired", "done")] == [
        "fired",
        "done",
    ]


DECLARED = """
from habitd.plugin import Setting, hookimpl
from habitd.timeparse import parse_duration

SETTINGS = {
    "every": Setting("2h", "how often to ask", parse_duration),
    "loud": Setting(False, "use a critical urgency"),
    "names": Setting(["Sam"], "who to suggest"),
}


@hookimpl
def habitd_status(ctx):
    values = ctx.settings
    return {"every_s": int(values["every"].total_seconds()), "loud": values["loud"]}
"""


def test_declared_settings_are_validated_and_defaulted(env: Env) -> None:
    env.add_plugin("declared", DECLARED)
    env.write_config(BASE_CONFIG + '\n[plugins.declared]\nevery = "soon"\nloud = 1\nnmes = []\n')
    result = env.cli("config", "check")
    assert result.rc == 1
    assert result.out.splitlines() == [
        f"{env.config_file}:28:9: plugins.declared.every: expected a duration like 90s, 15m, "
        "2h or 1d, got 'soon'",
        f"{env.config_file}:29:8: plugins.declared.loud: expected true or false, got an "
        "integer (1)",
        f"{env.config_file}:30:1: plugins.declared.nmes: unknown key (did you mean 'names'?)",
    ]
    env.write_config(BASE_CONFIG + "\n[plugins.declared]\nloud = true\n")
    env.start_daemon()
    assert env.ok("status", "--json").json()["details"]["declared"] == {
        "every_s": 7200,
        "loud": True,
    }


def test_a_plugin_with_a_missing_dependency_is_reported(env: Env) -> None:
    env.add_plugin("needy", "import habitd_no_such_dependency\n")
    env.write_config()
    env.start_daemon()
    needy = next(p for p in env.ok("plugins", "--json").json() if p["name"] == "needy")
    assert needy["state"] == "failed"
    assert needy["last_error"] == (
        "could not load: ModuleNotFoundError: No module named 'habitd_no_such_dependency'"
    )
    assert env.ok("trigger", "morning", "--json").json()["status"] == "fired"


MARKER = """
from pathlib import Path
Path(__file__).with_suffix(".ran").touch()  # proof that this code ran
"""


def _plugin_states(env: Env) -> dict[str, tuple[str, str | None]]:
    return {p["name"]: (p["state"], p["last_error"]) for p in env.ok("plugins", "--json").json()}


def test_code_others_could_change_is_never_imported(env: Env, tmp_path: Path) -> None:
    """OpenSSH's rule: a plugin file or folder writable by others, or owned by another user,
    is refused before any of it runs, and `habitd plugins` says why and how to fix it."""
    env.write_config()
    writable = env.add_plugin("writable", MARKER)
    writable.chmod(0o666)
    open_folder = tmp_path / "shared-plugins"
    open_folder.mkdir(mode=0o700)
    open_folder.chmod(0o777)
    (open_folder / "in_open_folder.py").write_text(MARKER)
    theirs = tmp_path / "their-plugins"
    theirs.mkdir(mode=0o700)
    (theirs / "theirs.py").write_text(MARKER)
    if os.getuid() == 0:  # as root (CI), a real second owner
        os.chown(theirs, 65534, 65534)
    env.write_config(BASE_CONFIG + f'\n[plugins]\npaths = ["{open_folder}", "{theirs}"]\n')
    states = _plugin_states(env)
    assert states["writable"][0] == "refused"
    assert "can be changed by everyone (mode 0666)" in str(states["writable"][1])
    assert f"chmod go-w {writable}" in str(states["writable"][1])
    assert states["in_open_folder"][0] == "refused"
    assert f"chmod go-w {open_folder}" in str(states["in_open_folder"][1])
    if os.getuid() == 0:
        assert states["theirs"][0] == "refused"
        assert "belongs to another user (uid 65534)" in str(states["theirs"][1])
    env.start_daemon()
    assert not list(tmp_path.rglob("*.ran")) and not list(env.config_dir.rglob("*.ran"))
    writable.chmod(0o600)  # fixed as the message says: it loads at the next start
    env.daemons[-1].stop()
    env.start_daemon()
    assert _plugin_states(env)["writable"] == ("active", None)
    assert (env.config_dir / "plugins" / "writable.ran").exists()


def test_a_config_others_could_change_is_refused(env: Env) -> None:
    config = env.write_config()
    config.chmod(0o666)
    result = env.cli("config", "check")
    assert result.rc == 1
    assert f"{config}: not read: {config} can be changed by everyone (mode 0666)" in result.out
    started = env.start_daemon(wait=False)
    assert started.proc.wait(20) != 0 and "chmod go-w" in started.log
    config.chmod(0o600)
    assert env.ok("config", "check").out.startswith("ok")


CHIMES = """
from habitd.plugin import Job, Message, hookimpl, parse_schedule


@hookimpl
def habitd_jobs(config, ctx):
    def chime():
        ctx.notify(Message(title="A chime", body="on its own"), about="chime", event="chime")

    return [Job("chime", parse_schedule({"every": "1s"}), chime)]


@hookimpl
def habitd_on_entry(entry, ctx):
    ctx.notify(Message(title="Thank you", body="for writing"), about="entry", event="thanks")
"""


@pytest.mark.clock
def test_a_message_a_plugin_sends_on_its_own_is_held_by_a_pause_a_reply_is_not(
    env: Env,
) -> None:
    """A plugin cannot talk past a pause: its job's messages are held (said in history)
    as nudges are, while its answer to what the person just wrote still shows."""
    env.write_config()
    env.add_plugin("chimes", CHIMES)
    daemon = env.start_daemon("-v")  # a message's words are logged at debug level
    wait_for(lambda: "nudge chime-chime: A chime" in daemon.log)
    env.ok("pause", "1h")
    held = wait_for(
        lambda: [e for e in env.history() if e["event"] == "chime" and e["detail"].get("held")]
    )
    assert held[0]["detail"]["held"] == "paused"
    shown_before = daemon.log.count("A chime")
    env.ok("journal", "--emotion", "tired", "--intensity", "4", "--note", "a long day")
    wait_for(lambda: "nudge thanks-entry: Thank you" in daemon.log)  # the person is there
    thanks = [e for e in env.history() if e["event"] == "thanks"]
    assert thanks and "held" not in thanks[0]["detail"]
    wait_for(lambda: len([e for e in env.history() if e["event"] == "chime"]) >= 4)
    assert daemon.log.count("A chime") == shown_before  # none shown while paused
    env.ok("resume")
    wait_for(lambda: daemon.log.count("A chime") > shown_before)


SLOW_THANKS = """
import asyncio

from habitd.plugin import hookimpl


@hookimpl
async def habitd_on_entry(entry, ctx):
    ctx.state.set("started", entry.id)
    while not (ctx.config_dir / "go").exists():  # the test says go once it has reloaded
        await asyncio.sleep(0.05)
    ctx.state.set("finished", entry.id)
"""


def test_a_reload_lets_a_reaction_in_flight_finish(env: Env) -> None:
    """A reload swaps the plugins while one is still reacting to what the person wrote:
    the old host finishes that reaction before it closes, and nothing is a fault."""
    env.write_config()
    env.add_plugin("slow", SLOW_THANKS)
    env.start_daemon()

    def state() -> dict[str, object]:
        rows = sqlite3.connect(env.db).execute(
            "SELECT key, value FROM plugin_state WHERE plugin = 'slow'"
        )
        return {key: json.loads(value) for key, value in rows}

    entry = env.ok("journal", "--emotion", "restless", "--json").json()["id"]
    wait_for(lambda: state().get("started") == entry)
    env.ok("reload")
    (env.config_dir / "go").touch()
    wait_for(lambda: state().get("finished") == entry)
    [slow] = [p for p in env.ok("plugins", "--json").json() if p["name"] == "slow"]
    assert slow["state"] == "active" and slow["faults"] == 0


def test_a_call_given_up_on_leaves_the_worker_free_once_it_has_really_ended() -> None:
    """After a timed-out call, the plugin's next call runs if the late one has ended (an
    ``async`` call cancelled at its ``await``) and is skipped while it still blocks the
    worker; which of the two is decided by the worker, never by comparing clocks."""
    host = PluginHost(timeout=1.0)  # room for a loaded CI machine
    host.infos["p"] = PluginInfo("p", "file", "test")
    gate = threading.Event()

    async def hang() -> None:
        await asyncio.sleep(3600)

    def block() -> str:
        gate.wait(30)
        return "late"

    def quick() -> str:
        return "quick"

    async def scenario() -> list[str]:
        said = []
        for function in (hang, quick, block, quick):
            try:
                said.append(await host.call_method("p", function.__name__, function, {}))
            except HabitdError as exc:
                said.append(str(exc))
        gate.set()
        worker = host._workers["p"]
        await eventually(lambda: not worker.stuck)  # the blocked call returns; the worker says so
        said.append(await host.call_method("p", "quick", quick, {}))
        host.close()
        return said

    said = asyncio.run(scenario())
    assert said == [
        "plugin p failed in hang: took longer than 1s",
        "quick",  # the cancelled async call had ended: not skipped
        "plugin p failed in block: took longer than 1s",
        "plugin p is stuck in an earlier call; try again later",
        "quick",
    ]
    assert host.infos["p"].faults == 2  # a skip is not the plugin's fault


SLOW_IMPORT = """
import time

time.sleep(12)  # a slow import: a heavy library, a network drive

from habitd import hookimpl


@hookimpl
def habitd_nudge_kinds():
    return ["slowkind"]
"""


@pytest.mark.clock
def test_a_plugin_slow_to_import_leaves_only_its_own_nudges_inactive(env: Env) -> None:
    """A single-file plugin sleeps 12 s at import and renders a kind the config uses. The
    daemon starts anyway (it gives the import its bound, off the loop), says the plugin
    failed and its nudge is inactive, fires the other nudges, and `config check` and
    `reload` say the same instead of refusing."""
    env.write_config(
        BASE_CONFIG + '\n[[nudge]]\nid = "slow-one"\nkind = "slowkind"\ndate = "2100-01-01 09:00"\n'
    )
    plugins = env.config_dir / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "slowimport.py").write_text(SLOW_IMPORT)
    env.start_daemon()
    status = env.ok("status", "--json").json()
    [slow] = [p for p in status["plugins"] if p["name"] == "slowimport"]
    assert slow["state"] == "failed" and "longer than" in slow["last_error"]
    assert "slow-one" in status["inactive"] and "slowkind" in status["inactive"]["slow-one"]
    assert "slow-one: inactive" in env.ok("status").out
    fired = env.ok("trigger", "morning", "--json").json()
    assert fired["status"] == "fired"
    assert "slow-one" not in [row["nudge"] for row in env.ok("next", "--json").json()]
    check = env.cli("config", "check")
    assert check.rc == 0 and "nudge slow-one would be inactive" in check.out + check.err
    reloaded = env.cli("reload")
    assert reloaded.rc == 0, reloaded.err
    assert "plugin slowimport is failed" in reloaded.err
    assert "nudge slow-one is inactive" in reloaded.err


MARKS_IMPORT = """
from pathlib import Path

import click

from habitd import hookimpl

(Path(__file__).parent / "imported.mark").write_text("imported")


@click.command()
def greet():
    \"\"\"Say hello from a plugin.\"\"\"
    click.echo("hello from a plugin")


@hookimpl
def habitd_commands():
    return [greet]
"""


def test_help_and_a_typo_need_no_plugin_import_once_the_commands_are_known(env: Env) -> None:
    """The first `--help` asks the plugins (each import bounded) and keeps their commands;
    later ones, and a mistyped command, use that index and import no plugin; a changed
    plugin file makes the index stale. A plugin too slow to import is named in the index
    and never holds `--help` past its bound."""
    env.write_config()
    plugins = env.config_dir / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "greeter.py").write_text(MARKS_IMPORT)
    (plugins / "slowimport.py").write_text(SLOW_IMPORT)
    mark = plugins / "imported.mark"
    first = env.ok("--help").out
    assert "greet" in first and "Say hello from a plugin." in first
    index = json.loads((env.state_dir / "commands.json").read_text())
    assert index["incomplete"] == ["slowimport"] and "greet" in index["commands"]
    assert mark.exists()
    mark.unlink()
    assert "Say hello from a plugin." in env.ok("--help").out
    typo = env.cli("gret")
    assert typo.rc == 2 and "No such command" in typo.err
    assert env.ok("greet").out.strip() == "hello from a plugin"  # typed: it is imported
    assert mark.exists()
    (plugins / "slowimport.py").unlink()
    mark.unlink()
    env.cli("--help")  # the plugins changed: asked again
    assert (
        mark.exists()
        and json.loads((env.state_dir / "commands.json").read_text())["incomplete"] == []
    )
    mark.unlink()
    assert env.cli("gret").rc == 2 and not mark.exists()  # a typo, from the index alone
    (env.state_dir / "commands.json").write_text('{"version": 1, "signature": [')  # damaged
    assert "Say hello from a plugin." in env.ok("--help").out  # asked again, and kept again
    assert json.loads((env.state_dir / "commands.json").read_text())["commands"]["greet"]
    assert (env.state_dir / "commands.json").stat().st_mode & 0o777 == 0o600
