"""``habitd plugins``: every plugin and its state."""

from __future__ import annotations

import click

from habitd.cli import call, emit_json, table


@click.command("plugins")
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
                " ".join(hook.removeprefix("habitd_") for hook in p["hooks"]),
                p["last_error"] or "",
            )
            for p in rows
        ],
        ("plugin", "source", "version", "state", "faults", "hooks", "last error"),
    )
