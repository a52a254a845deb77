"""The daemon: ``habitd run``, ``status`` and ``reload``."""

from __future__ import annotations

import sys

import click

from habitd import ipc
from habitd.cli import EXIT_NO_DAEMON, Context, call, emit_json, fact, fail, hung_message, when
from habitd.paths import socket_path


@click.command()
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


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Is the daemon running, and how is it doing? Exit 3 if it is not running."""
    try:
        info = ipc.call(socket_path(), "status")
    except ipc.NoDaemon:
        if as_json:
            emit_json({"running": False})
        fail("the daemon is not running", EXIT_NO_DAEMON)
    except ipc.Busy:
        fail("habitd is busy (too many connections); try again in a moment")
    except ipc.NoAnswer as exc:
        if as_json:
            emit_json({"running": True, "answering": False})
        fail(hung_message(exc.timeout))
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
    click.echo(f"tray:      {info['tray']}")
    paused = info["paused_until"]
    said = f"until {when(paused)}" if paused else "no"
    if info.get("vacation"):
        said += " (a vacation: streaks frozen)" if paused else " (on vacation: streaks frozen)"
    click.echo(f"paused:    {said}")
    quiet = info.get("quiet_hours")
    if quiet:
        until = info.get("quiet_until")
        click.echo(
            f"quiet:     {quiet}{' (quiet now, until ' + when(until) + ')' if until else ''}"
        )
    click.echo(f"nudges:    {info['nudges']}    habits: {info['habits']}")
    for nudge, why in (info.get("inactive") or {}).items():
        click.echo(f"  {nudge}: inactive, {why}")
    click.echo(f"config:    {info['config']}")
    database = info.get("database", "ok")
    if database != "ok":
        click.echo(f"database:  {database}; restart the daemon (systemctl --user restart habitd)")
    plugins = info["plugins"]
    healthy = [p["name"] for p in plugins if p["state"] == "active" and not p["faults"]]
    click.echo(f"plugins:   {', '.join(healthy) or 'none'}")
    for plugin in plugins:
        if plugin["state"] != "active" or plugin["faults"]:
            click.echo(
                f"  {plugin['name']}: {plugin['state']}"
                f"{' — ' + plugin['last_error'] if plugin['last_error'] else ''}"
            )
        if plugin.get("busy"):
            click.echo(f"  {plugin['name']}: busy in {plugin['busy']}")
    for name, facts in info["details"].items():
        said = ", ".join(f for f in (fact(key, value) for key, value in facts.items()) if f)
        if said:
            click.echo(f"{name + ':':<10} {said}")


@click.command()
def reload() -> None:
    """Re-read the config; if it has problems, print them all and keep the running one."""
    result = call("reload", need_daemon=True)
    click.echo(
        f"reloaded {result['config']}: {result['nudges']} nudges, "
        f"plugins: {', '.join(result.get('plugins', [])) or 'none'}"
    )
    for name, why in (result.get("failed") or {}).items():
        click.echo(f"habitd: plugin {name} is {why}", err=True)
    for nudge, why in (result.get("inactive") or {}).items():
        click.echo(f"habitd: nudge {nudge} is inactive: {why}", err=True)
    if result.get("restart_needed"):
        click.echo(
            "habitd: restart habitd to load the changed plugin packages: "
            + ", ".join(result["restart_needed"])
            + " (systemctl --user restart habitd)",
            err=True,
        )
