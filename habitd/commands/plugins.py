"""``habitd plugins``: every plugin and its state; ``habitd plugins reset NAME``."""

from __future__ import annotations

import click

from habitd.cli import call, emit_json, table


@click.group("plugins", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def plugins_(ctx: click.Context, as_json: bool) -> None:
    """Every plugin: where it came from, its version, state and last error."""
    if ctx.invoked_subcommand is not None:
        return
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
                " ".join(hook.removeprefix("habitd_") for hook in p["hooks"]),
                p["last_error"] or "",
            )
            for p in rows
        ],
        ("plugin", "source", "version", "state", "faults", "hooks", "last error"),
    )


@plugins_.command("reset")
@click.argument("name")
def reset(name: str) -> None:
    """Lift a plugin's quarantine after fixing it (the daemon calls it again)."""
    info = call("plugins_reset", need_daemon=True, name=name)
    click.echo(f"{info['name']} is {info['state']} again ({info['faults']} faults so far)")
