"""Running an App method in-process, for when no daemon answers on the socket.

This is the client's heavy path (asyncio, sqlite3, pluggy...), imported only when needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from habitd.app import App
from habitd.paths import resolve


def call_local(config_file: str | None, method: str, params: Mapping[str, Any]) -> Any:
    """Open an App on the person's config and store, call ``method``, close it."""
    logging.basicConfig(level=logging.WARNING, format="habitd: %(message)s")

    async def call() -> Any:
        app = await App.open(resolve(config_file))
        try:
            return await app.dispatch(method, params)
        finally:
            await app.close()

    return asyncio.run(call())
