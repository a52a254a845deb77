"""The desktop notification protocol (``org.freedesktop.Notifications``), spoken directly.

One connection to the session bus: ``Notify`` with exactly the actions, hints and timeout
habitd chooses, ``CloseNotification``, and the server's signals (``ActionInvoked``,
``NotificationClosed`` with its reason, KDE's ``NotificationReplied``) handed to callbacks.
habitd speaks it itself rather than through desktop-notifier because the order of actions
(LXQt's drop-down counts a hidden ``default`` action first), the ``resident`` hint, a
notification closed by expiry (reason 1) and readable action keys (dunst's menu shows them)
all matter to the person and are not reachable through that library.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from habitd.dbus import BusError, BusUnreachable, call_on

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
DEFAULT_ACTION = "default"
"""The action a server invokes when the body is clicked."""
REPLY_ACTION = "inline-reply"
"""The action that asks a server for a reply field (KDE's extension, also in swaync)."""

EXPIRED, DISMISSED, CLOSED_BY_CALL, UNDEFINED = 1, 2, 3, 4
"""``NotificationClosed`` reasons."""

URGENCY = {"low": 0, "normal": 1, "critical": 2}


@dataclass(frozen=True)
class ServerInfo:
    """What ``GetServerInformation`` says."""

    name: str
    vendor: str
    version: str
    spec_version: str


class Connection:
    """A live connection to the notification server on the session bus.

    Signals from the server arrive on the event loop that connected, as calls of
    ``on_action(id, key)``, ``on_closed(id, reason)`` and ``on_replied(id, text)``.
    """

    def __init__(self, bus: Any, info: ServerInfo, capabilities: frozenset[str]) -> None:
        self._bus = bus
        self.info = info
        self.capabilities = capabilities
        self.on_action: Callable[[int, str], None] = lambda _id, _key: None
        self.on_closed: Callable[[int, int], None] = lambda _id, _reason: None
        self.on_replied: Callable[[int, str], None] = lambda _id, _text: None

    @classmethod
    async def open(cls, address: str | None = None, timeout: float = 3.0) -> Connection:
        """Connect, listen for the server's signals and ask what it is and can show."""
        from dbus_fast.aio import MessageBus

        try:
            bus = await asyncio.wait_for(MessageBus(bus_address=address).connect(), timeout)
        except Exception as exc:
            raise BusUnreachable(f"no session bus: {type(exc).__name__}: {exc}") from None
        try:
            connection = cls(bus, ServerInfo("", "", "", ""), frozenset())
            bus.add_message_handler(connection._signal)
            await call_on(
                bus,
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "AddMatch",
                "s",
                [f"type='signal',interface='{NAME}',path='{PATH}'"],
                timeout,
            )
            info = await connection._notifications("GetServerInformation", "", [], timeout)
            connection.info = ServerInfo(*(str(part) for part in info[:4]))
            await connection.refresh(timeout)
        except BaseException:
            bus.disconnect()
            raise
        return connection

    async def refresh(self, timeout: float = 3.0) -> frozenset[str]:
        """Ask the server's capabilities again (also a check that it still answers)."""
        (capabilities,) = await self._notifications("GetCapabilities", "", [], timeout)
        self.capabilities = frozenset(str(c) for c in capabilities)
        return self.capabilities

    async def notify(
        self,
        summary: str,
        body: str,
        actions: Sequence[tuple[str, str]],
        hints: dict[str, Any],
        expire_ms: int,
        icon: str = "",
        replaces: int = 0,
        timeout: float = 3.0,
    ) -> int:
        """Show a notification; its server id. ``actions`` are (key, label) in the order the
        server should show them; ``hints`` values are dbus-fast Variants."""
        flat = [part for pair in actions for part in pair]
        (nid,) = await self._notifications(
            "Notify",
            "susssasa{sv}i",
            ["habitd", replaces, icon, summary, body, flat, hints, expire_ms],
            timeout,
        )
        return int(nid)

    async def close_notification(self, nid: int, timeout: float = 3.0) -> None:
        """Take a notification off the screen (harmless when it is already gone)."""
        with contextlib.suppress(BusError):
            await self._notifications("CloseNotification", "u", [nid], timeout)

    def disconnect(self) -> None:
        """Close the connection; no more signals arrive."""
        self._bus.disconnect()

    @property
    def connected(self) -> bool:
        """Whether the bus connection is still up."""
        return bool(getattr(self._bus, "connected", False))

    async def _notifications(
        self, member: str, signature: str, body: list[Any], timeout: float
    ) -> list[Any]:
        return await call_on(self._bus, NAME, PATH, NAME, member, signature, body, timeout)

    def _signal(self, message: Any) -> None:
        from dbus_fast import MessageType

        if message.message_type != MessageType.SIGNAL or message.interface != NAME:
            return
        body = list(message.body)
        if message.member == "ActionInvoked" and len(body) >= 2:
            self.on_action(int(body[0]), str(body[1]))
        elif message.member == "NotificationClosed" and len(body) >= 2:
            self.on_closed(int(body[0]), int(body[1]))
        elif message.member == "NotificationReplied" and len(body) >= 2:
            self.on_replied(int(body[0]), str(body[1]))
