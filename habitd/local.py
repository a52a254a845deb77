"""Working on the person's data in-process, for when no daemon answers on the socket.

The core's operations (marks, entries, snoozes, pauses, history...) run here exactly as in
the daemon, but alone: the config, the store and :class:`habitd.operations.Operations`, with
no asyncio, no plugins and no D-Bus, so a command with the daemon stopped costs little more
than with it running. Nothing reacts here (no celebration, no escalation): the writes land
in the change log, and the daemon reacts when it starts.

Methods the core does not have (a plugin's, ``next``, ``trigger``...) need the full App:
plugins loaded, the config checked with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from habitd.operations import OPERATIONS


def call_local(config_file: str | None, method: str, params: Mapping[str, Any]) -> Any:
    """Run ``method`` on the person's config and store, in this process."""
    if method.replace("-", "_") in OPERATIONS:
        return _call_core(config_file, method.replace("-", "_"), dict(params))
    return _call_app(config_file, method, params)


def _call_core(config_file: str | None, method: str, params: dict[str, Any]) -> Any:
    from habitd.config import read_config
    from habitd.operations import Operations
    from habitd.paths import ensure_private_dir, resolve
    from habitd.rpc import check_params
    from habitd.store import Store

    paths = resolve(config_file)
    for folder in (paths.data_dir, paths.state_dir):
        ensure_private_dir(folder)
    config = read_config(paths)
    store = Store(paths.db)
    try:
        operation = getattr(Operations(config, store), method)
        check_params(operation, params)
        return operation(**params)
    finally:
        store.close()


def _call_app(config_file: str | None, method: str, params: Mapping[str, Any]) -> Any:
    import asyncio
    import logging

    logging.basicConfig(level=logging.WARNING, format="habitd: %(message)s")
    from habitd.app import App
    from habitd.paths import resolve

    async def call() -> Any:
        app = await App.open(resolve(config_file))
        try:
            return await app.dispatch(method, params)
        finally:
            await app.close()

    return asyncio.run(call())
