"""The ``habitd`` command: parse, call an App method, render.

It must feel instant, so at import it loads only click, json, os and socket (through
:mod:`habitd.ipc`). Commands talk to the daemon over its socket; when none answers they
run the same App method in-process (:mod:`habitd.local`) and say so once on stderr.
Heavy modules load only inside the commands that need them, and plugins' own commands
are looked up only when the name typed is not a built-in one.

Exit codes: 0 ok, 1 error, 2 usage, 3 the daemon is needed and not running.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn

import click

from habitd import __version__, ipc
from habitd.paths import socket_path

EXIT_NO_DAEMON = 3


class Context:
    """What every command shares: the config override and whether we warned already."""

    def __init__(self, config: str | None) -> None:
        self.config = config
        self.warned = False


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` to stderr (one ``habitd:`` prefix per line) and exit with ``code``."""
    for line in message.splitlines() or [""]:
        click.echo(f"habitd: {line}", err=True)
    sys.exit(code)


def call(method: str, need_daemon: bool = False, **params: Any) -> Any:
    """Call an App method on the daemon, or in-process when none answers."""
    ctx = click.get_current_context().find_object(Context)
    assert ctx is not None
    params = {key: value for key, value in params.items() if value is not None}
    try:
        return ipc.call(socket_path(), method, params)
    except ipc.NoDaemon:
        if need_daemon:
            fail(
                "the daemon is not running (start it with `habitd run` or "
                "`systemctl --user start habitd`)",
                EXIT_NO_DAEMON,
            )
    except ipc.RemoteError as exc:
        lines = (exc.data or {}).get("lines") if isinstance(exc.data, dict) else None
        fail("\n".join(lines) if lines else exc.message, EXIT_NO_DAEMON if exc.code == 4 else 1)
    if not ctx.warned:
        click.echo("habitd: the daemon is not running; working on your data directly", err=True)
        ctx.warned = True
    from habitd.errors import HabitdError
    from habitd.local import call_local

    try:
        return call_local(ctx.config, method, params)
    except HabitdError as exc:
        fail(exc.message, exc.exit_code)


def emit_json(value: Any) -> None:
    """Machine output: JSON on stdout."""
    click.echo(json.dumps(value, indent=2, default=str))


def when(text: str | None) -> str:
    """An ISO timestamp as a short local time, e.g. ``Wed 25 Nov 08:30``."""
    if not text:
        return "-"
    return datetime.fromisoformat(text).astimezone().strftime("%a %d %b %H:%M")


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    """Print aligned columns."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for number, row in enumerate(cells):
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo(click.style(line.rstrip(), bold=True) if number == 0 else line.rstrip())


class HabitdGroup(click.Group):
    """Built-in commands first; plugins' commands only when a name is not built in."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        return _plugin_commands(ctx).get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_plugin_commands(ctx)})


def _plugin_commands(ctx: click.Context) -> dict[str, click.Command]:
    """Commands from plugins' ``habitd_commands`` hook (loads plugins, not the store)."""
    from habitd.app import read_config
    from habitd.config import ConfigError, default_config_path, load
    from habitd.paths import resolve
    from habitd.plugins import PluginHost

    context = ctx.find_object(Context)
    paths = resolve(context.config if context else None)
    try:
        config = read_config(paths)
    except ConfigError:
        config = load(default_config_path())
    host = PluginHost()
    host.load(config, paths.plugins_dir)
    commands: dict[str, click.Command] = {}
    for _name, found in host.call_direct("habitd_commands"):
        for command in found or ():
            if isinstance(command, click.Command) and command.name:
                commands.setdefault(command.name, command)
    return commands


@click.group(cls=HabitdGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    envvar="HABITD_CONFIG",
    help="Config file (default: the one in your config dir; env HABITD_CONFIG).",
)
@click.version_option(__version__, prog_name="habitd")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """habitd: kind nudges, a private journal and your streaks, all on your own machine.

    Start the daemon with `habitd run` (or as a user service), then answer its nudges from
    the notification or from here.
    """
    ctx.obj = Context(config)


# --- setting up --------------------------------------------------------------------------


@main.command()
@click.option("--force", is_flag=True, help="Replace an existing config.")
@click.pass_obj
def init(obj: Context, force: bool) -> None:
    """Write a commented default config (if none exists)."""
    import os

    from habitd.config import default_config_text
    from habitd.paths import ensure_private_dir, resolve

    paths = resolve(obj.config)
    target = paths.config_file
    if target.exists() and not force:
        fail(f"{target} already exists; use --force to replace it")
    ensure_private_dir(target.parent)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(default_config_text())
    click.echo(f"wrote {target}")
    click.echo("check it with `habitd config check`, then `habitd reload` if the daemon runs")


@main.group("config")
def config_group() -> None:
    """Check your config, or see where habitd keeps its files."""


@config_group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.pass_obj
def config_check(obj: Context, path: str | None) -> None:
    """Validate a config: prints "ok" or every problem as file:line:col: key: message."""
    import asyncio
    from pathlib import Path

    from habitd.app import check_with_plugins, read_config
    from habitd.config import ConfigError, load
    from habitd.paths import resolve
    from habitd.plugins import PluginHost

    paths = resolve(path or obj.config)

    async def check() -> str:
        config = load(Path(path)) if path else read_config(paths)
        host = PluginHost()
        host.load(config, paths.plugins_dir)
        await host.collect_kinds()
        await check_with_plugins(config, host)
        return str(config.source)

    try:
        source = asyncio.run(check())
    except ConfigError as exc:
        for line in exc.lines:
            click.echo(line)
        sys.exit(1)
    click.echo(f"ok ({source})" if not path else "ok")


@config_group.command("path")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def config_path(obj: Context, as_json: bool) -> None:
    """Where the config, data, state and socket live."""
    from habitd.paths import resolve

    locations = resolve(obj.config).as_dict()
    if as_json:
        emit_json(locations)
        return
    for key, value in locations.items():
        click.echo(f"{key + ':':12} {value}")


# --- the daemon --------------------------------------------------------------------------


@main.command()
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file (overrides the global option).",
)
@click.option(
    "--notifier",
    type=click.Choice(["auto", "desktop", "log"]),
    default=None,
    help="How to show nudges (default: the config's [habitd] notifier).",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_obj
def run(obj: Context, config: str | None, notifier: str | None, verbose: bool) -> None:
    """Run the daemon in the foreground; logs go to stderr."""
    from habitd import daemon
    from habitd.paths import resolve

    sys.exit(daemon.run(resolve(config or obj.config), notifier, verbose))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Is the daemon running, and how is it doing? Exit 3 if it is not running."""
    try:
        info = ipc.call(socket_path(), "status")
    except ipc.NoDaemon:
        if as_json:
            emit_json({"running": False})
        fail("the daemon is not running", EXIT_NO_DAEMON)
    except ipc.RemoteError as exc:
        fail(exc.message)
    if as_json:
        emit_json(info)
        return
    minutes = int(info["uptime"] // 60)
    click.echo(
        f"habitd {info['version']} is running (pid {info['pid']}, up "
        f"{minutes // 60}h{minutes % 60:02d}m)"
    )
    click.echo(f"notifier:  {info['notifier']} ({info['notifier_reason']})")
    click.echo(
        f"paused:    {'until ' + when(paused) if (paused := info['paused_until']) else 'no'}"
    )
    click.echo(f"nudges:    {info['nudges']}    habits: {info['habits']}")
    click.echo(f"config:    {info['config']}")
    plugins = info["plugins"]
    healthy = [p["name"] for p in plugins if p["state"] == "active" and not p["faults"]]
    click.echo(f"plugins:   {', '.join(healthy) or 'none'}")
    for plugin in plugins:
        if plugin["state"] != "active" or plugin["faults"]:
            click.echo(
                f"  {plugin['name']}: {plugin['state']}"
                f"{' — ' + plugin['last_error'] if plugin['last_error'] else ''}"
            )
    for name, facts in info["details"].items():
        for key, value in facts.items():
            click.echo(f"{name}.{key}: {value}")


@main.command()
def reload() -> None:
    """Re-read the config; if it has problems, print them all and keep the running one."""
    result = call("reload", need_daemon=True)
    click.echo(f"reloaded {result['config']}: {result['nudges']} nudges")


# --- nudges ------------------------------------------------------------------------------


@main.command("next")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def next_(limit: int, as_json: bool) -> None:
    """Upcoming nudges, soonest first."""
    rows = call("next", limit=limit)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no nudges scheduled")
        return
    table(
        [
            (
                when(r["at"]),
                r["nudge"],
                r["kind"],
                r["why"] if r["why"] != "scheduled" else r["schedule"],
            )
            for r in rows
        ],
        ("when", "nudge", "kind", "schedule"),
    )


@main.command()
@click.argument("nudge")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def trigger(nudge: str, as_json: bool) -> None:
    """Fire a nudge now, even in quiet hours or a pause."""
    result = call("trigger", nudge=nudge)
    if as_json:
        emit_json(result)
        return
    click.echo(f"sent {nudge} ({result['notifier']}): {result['message']['title']}")


@main.command()
@click.option("--since", default=None, help="How far back: 1d, 12h, or a date (YYYY-MM-DD).")
@click.option("--nudge", default=None, help="Only this nudge.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def history(since: str | None, nudge: str | None, as_json: bool) -> None:
    """What fired and what you answered."""
    rows = call("history", since=since, nudge=nudge)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("nothing yet")
        return
    table(
        [
            (
                when(r["ts"]),
                r["event"],
                r["nudge"] or r["habit"] or "",
                r["title"] or _detail(r["detail"]),
            )
            for r in rows
        ],
        ("when", "event", "what", "detail"),
    )


def _detail(detail: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in detail.items() if key != "source")


@main.command()
@click.argument("nudge")
@click.argument("duration", required=False)
def snooze(nudge: str, duration: str | None) -> None:
    """Fire NUDGE again later: after DURATION (15m, 1h) or the nudge's own snooze time."""
    result = call("snooze", nudge=nudge, duration=duration)
    click.echo(f"snoozed {nudge} until {when(result['until'])}")


@main.command()
@click.argument("duration", required=False)
def pause(duration: str | None) -> None:
    """Hold every nudge for DURATION (default 1h; 2h, 30m, until-morning). It ends by itself."""
    result = call("pause", duration=duration)
    click.echo(f"paused until {when(result['paused_until'])}; `habitd resume` ends it sooner")


@main.command()
def resume() -> None:
    """End a pause now."""
    result = call("resume")
    click.echo("resumed" if result["was_paused_until"] else "was not paused")


# --- answers -----------------------------------------------------------------------------


def _answer_options(command: Any) -> Any:
    command = click.option("--note", default=None, help="A few words about it.")(command)
    command = click.option("--date", "day", default=None, help="Backfill a past day (YYYY-MM-DD).")(
        command
    )
    return click.argument("habit")(command)


@main.command()
@_answer_options
@click.option("--value", type=float, default=None, help="How much, for a counted habit.")
def done(habit: str, day: str | None, note: str | None, value: float | None) -> None:
    """Mark HABIT done for today (or --date)."""
    result = call("done", habit=habit, date=day, note=note, value=value)
    click.echo(f"{habit}: done for {result['day']}. Well done.")


@main.command()
@_answer_options
def skip(habit: str, day: str | None, note: str | None) -> None:
    """Skip HABIT for today (or --date): it neither counts nor breaks a streak."""
    result = call("skip", habit=habit, date=day, note=note)
    click.echo(f"{habit}: skipped for {result['day']}.")


# --- plugins -----------------------------------------------------------------------------


@main.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_(as_json: bool) -> None:
    """Every plugin: where it came from, its version, state and last error."""
    rows = call("plugins_list")
    if as_json:
        emit_json(rows)
        return
    table(
        [
            (
                p["name"],
                p["source"],
                p["version"] or "-",
                p["state"],
                p["faults"],
                p["last_error"] or "",
            )
            for p in rows
        ],
        ("plugin", "source", "version", "state", "faults", "last error"),
    )
