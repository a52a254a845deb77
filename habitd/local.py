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


class Local:
    """The person's data in this process: opened at the first call of a command and kept
    for its others (an interactive ``habitd journal`` calls several times), then closed."""

    def __init__(self, config_file: str | None) -> None:
        self.config_file = config_file
        self._core: Any = None

    def call(self, method: str, params: Mapping[str, Any]) -> Any:
        """Run ``method`` in-process: the core's operations alone, anything else on an App."""
        name = method.replace("-", "_")
        if name not in OPERATIONS:
            return _call_app(self.config_file, method, params)
        from habitd.rpc import check_params, only_reads

        core = self._open()
        operation = getattr(core, name)
        check_params(operation, dict(params))
        if only_reads(operation):
            return operation(**params)
        return core.store.write(lambda: operation(**params))

    def _open(self) -> Any:
        if self._core is None:
            from habitd.config import read_config
            from habitd.operations import Operations
            from habitd.paths import ensure_private_dir, resolve
            from habitd.store import Store

            paths = resolve(self.config_file)
            for folder in (paths.data_dir, paths.state_dir):
                ensure_private_dir(folder)
            config = read_config(paths)
            self._core = Operations(config, Store(paths.db))
        return self._core

    def close(self) -> None:
        """Close the store, if it was opened."""
        if self._core is not None:
            self._core.store.close()
            self._core = None


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
