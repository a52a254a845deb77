"""What a nudge says (:class:`Message`) and how it reaches the person (notifier backends).

Two backends: ``desktop`` (native notifications through desktop-notifier, D-Bus on Linux)
and ``log`` (a line on stderr, which journald keeps). ``auto`` uses the desktop when a
session bus with a notification server answers, else the log, and tries the desktop again
at the next nudge: desktop-notifier keeps a dead connection forever, so a fresh one is
built each time.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("habitd.notify")

URGENCIES = ("low", "normal", "critical")
ActionHandler = Callable[[str, str, "str | None"], None]
"""Called as ``handler(nudge_id, action, text)`` when the person answers a notification."""


@dataclass(frozen=True)
class Button:
    """A button on a notification; ``id`` is the action recorded when pressed (``done``...)."""

    id: str
    title: str


@dataclass(frozen=True)
class Message:
    """A rendered nudge: the only thing a notifier backend needs."""

    title: str
    body: str
    buttons: tuple[Button, ...] = ()
    reply: str | None = None
    """Placeholder of an inline reply field, or None for no reply field."""
    urgency: str = "normal"
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """A JSON-friendly form, for RPC answers and history."""
        return {
            "title": self.title,
            "body": self.body,
            "urgency": self.urgency,
            "buttons": [{"id": b.id, "title": b.title} for b in self.buttons],
            "reply": self.reply,
        }


class Notifier(Protocol):
    """A way to show a message to the person."""

    @property
    def name(self) -> str:
        """The backend's name: ``desktop`` or ``log``."""

    @property
    def reason(self) -> str:
        """Why this backend is the one in use, or why it is degraded."""

    async def send(self, nudge_id: str, message: Message) -> None:
        """Show ``message``; never raises for a delivery problem (it logs instead)."""

    async def close(self) -> None:
        """Release any connection."""


class LogNotifier:
    """Writes each message to the log (stderr, so journald keeps it under systemd)."""

    name = "log"

    def __init__(self, reason: str = "chosen in config") -> None:
        self.reason = reason

    async def send(self, nudge_id: str, message: Message) -> None:
        log.info("nudge %s: %s — %s", nudge_id, message.title, message.body)

    async def close(self) -> None:
        return None


def icon_path() -> Path:
    """habitd's own notification icon."""
    return Path(str(resources.files("habitd.data").joinpath("habitd.svg")))


def ensure_bus_address() -> None:
    """Under systemd the bus address may be missing: use ``$XDG_RUNTIME_DIR/bus`` if it exists."""
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    bus = os.path.join(runtime, "bus")
    if os.path.exists(bus):
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={bus}"


class DesktopNotifier:
    """Native notifications through desktop-notifier, with buttons and inline replies."""

    name = "desktop"

    def __init__(self, on_action: ActionHandler) -> None:
        self.on_action = on_action
        self.reason = "not connected yet"
        self.capabilities: frozenset[str] = frozenset()
        self._notifier: Any = None

    async def connect(self, timeout: float = 3.0) -> bool:
        """Open a fresh connection and ask the server what it supports; False if none answers."""
        ensure_bus_address()
        try:
            from desktop_notifier import DesktopNotifier as Backend
            from desktop_notifier import Icon

            notifier = Backend(app_name="habitd", app_icon=Icon(path=icon_path()))
            capabilities = await asyncio.wait_for(notifier.get_capabilities(), timeout)
        except Exception as exc:  # every failure here means "no desktop notifications now"
            self.reason = f"no notification server: {type(exc).__name__}: {exc}".rstrip(": ")
            self._notifier = None
            return False
        self._notifier = notifier
        self.capabilities = frozenset(c.name.lower() for c in capabilities)
        self.reason = "notification server answered"
        return True

    @property
    def connected(self) -> bool:
        """Whether the last connection attempt worked."""
        return self._notifier is not None

    async def send(self, nudge_id: str, message: Message) -> None:
        from desktop_notifier import Button as DNButton
        from desktop_notifier import Notification, ReplyField, Urgency

        if self._notifier is None and not await self.connect():
            raise ConnectionError(self.reason)
        handler = self.on_action
        buttons = tuple(
            DNButton(title=button.title, on_pressed=_bind(handler, nudge_id, button.id))
            for button in message.buttons
        )
        reply = None
        if message.reply is not None:
            reply = ReplyField(
                title=message.reply,
                button_title="Save",
                on_replied=lambda text: handler(nudge_id, "replied", text),
            )
        notification = Notification(
            title=message.title,
            message=message.body,
            urgency={"low": Urgency.Low, "critical": Urgency.Critical}.get(
                message.urgency, Urgency.Normal
            ),
            buttons=buttons,
            reply_field=reply,
            on_clicked=_bind(handler, nudge_id, "clicked"),
            on_dismissed=_bind(handler, nudge_id, "dismissed"),
        )
        await self._notifier.send_notification(notification)

    async def close(self) -> None:
        self._notifier = None


def _bind(handler: ActionHandler, nudge_id: str, action: str) -> Callable[[], None]:
    return lambda: handler(nudge_id, action, None)


class AutoNotifier:
    """The desktop when it answers, else the log; the desktop is retried at every send."""

    def __init__(self, on_action: ActionHandler) -> None:
        self.desktop = DesktopNotifier(on_action)
        self.fallback = LogNotifier()
        self.reason = "not started"

    @property
    def name(self) -> str:
        """The backend in use now."""
        return "desktop" if self.desktop.connected else "log"

    async def start(self) -> None:
        """Probe the desktop once, so ``status`` can say which backend is live and why."""
        await self.desktop.connect()
        self.reason = (
            self.desktop.reason
            if self.desktop.connected
            else (f"falling back to the log: {self.desktop.reason}")
        )

    async def send(self, nudge_id: str, message: Message) -> None:
        if not self.desktop.connected:
            await self.desktop.connect()
        if self.desktop.connected:
            try:
                await self.desktop.send(nudge_id, message)
                self.reason = self.desktop.reason
                return
            except Exception as exc:
                await self.desktop.close()
                self.desktop.reason = f"desktop send failed: {exc}"
        self.reason = f"falling back to the log: {self.desktop.reason}"
        await self.fallback.send(nudge_id, message)

    async def close(self) -> None:
        await self.desktop.close()


async def make_notifier(mode: str, on_action: ActionHandler) -> Notifier:
    """The backend for ``mode`` (``auto``, ``desktop`` or ``log``), started."""
    if mode == "log":
        return LogNotifier()
    if mode == "desktop":
        desktop = DesktopNotifier(on_action)
        if not await desktop.connect():
            log.warning(
                "desktop notifications unavailable (%s); will retry at each nudge", desktop.reason
            )
        return desktop
    auto = AutoNotifier(on_action)
    await auto.start()
    return auto
