"""What a nudge says (:class:`Message`) and how it reaches the person (notifier backends).

Two backends: ``desktop`` (native notifications through desktop-notifier, D-Bus on Linux)
and ``log`` (a line on stderr, which journald keeps). ``auto`` uses the desktop when a
session bus with a notification server answers, else the log, and tries the desktop again
at the next nudge: desktop-notifier keeps a dead connection forever, so a fresh one is
built each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from habitd.contract import Message

log = logging.getLogger("habitd.notify")

NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
ActionHandler = Callable[[str, str, "str | None"], None]
"""Called as ``handler(nudge_id, action, text)`` when the person answers a notification."""


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

    async def inhibited(self) -> bool:
        """Whether the notification server is in do-not-disturb mode."""

    async def close(self) -> None:
        """Release any connection."""


class LogNotifier:
    """Writes each message to the log (stderr, so journald keeps it under systemd).

    A message's words are often the person's own (an appointment's title, a trigger, a
    contact's name), and a system log is read by others and kept for long: at the default
    level only that a message went out is logged; its words are at debug level (``habitd run
    -v``; never for a private message) and in ``habitd history``."""

    name = "log"

    def __init__(self, reason: str = "chosen in config") -> None:
        self.reason = reason

    async def send(self, nudge_id: str, message: Message) -> None:
        log.info("nudge %s: shown (its words: `habitd history`, or here with -v)", nudge_id)
        if message.private:  # names and numbers: not even at debug level
            return
        answer = f" (answer: {message.command})" if message.command else ""
        log.debug("nudge %s: %s — %s%s", nudge_id, message.title, message.body, answer)

    async def inhibited(self) -> bool:
        return False

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
    """Native notifications through desktop-notifier: buttons, inline replies, urgency.

    What is sent follows what the server says it can show: without ``actions`` the body
    ends with the CLI command that answers the nudge; without ``inline-reply`` there is no
    reply field. A nudge replaces its own earlier notification if that one is still
    unanswered. Before each send the connection is checked (a capabilities call), and a
    fresh one is built when the bus went away, because desktop-notifier keeps a dead
    connection forever and its ``send`` only logs failures.
    """

    name = "desktop"

    def __init__(self, on_action: ActionHandler) -> None:
        self.on_action = on_action
        self.reason = "not connected yet"
        self.capabilities: frozenset[str] = frozenset()
        self._notifier: Any = None
        self._shown: dict[str, str] = {}
        self._server_ids: dict[str, int] = {}
        """The server's own id of each notification on screen, to close it once answered
        (desktop-notifier forgets it as soon as an action arrives)."""
        self._run = secrets.token_hex(4)

    @property
    def connected(self) -> bool:
        """Whether the last check found a notification server."""
        return self._notifier is not None

    async def connect(self, timeout: float = 3.0) -> bool:
        """Open a fresh connection and ask the server what it supports; False if none answers."""
        ensure_bus_address()
        self._notifier = None
        try:
            from desktop_notifier import DesktopNotifier as Backend
            from desktop_notifier import Icon

            notifier = Backend(app_name="habitd", app_icon=Icon(path=icon_path()))
            capabilities = await asyncio.wait_for(notifier.get_capabilities(), timeout)
        except Exception as exc:  # every failure here means "no desktop notifications now"
            self.reason = f"no notification server: {type(exc).__name__}: {exc}".rstrip(": ")
            return False
        self._notifier = notifier
        self.capabilities = frozenset(c.name.lower() for c in capabilities)
        self.reason = "notification server answered"
        self._watch_foreign_answers(notifier)
        return True

    async def _check(self, timeout: float = 3.0) -> bool:
        """Is the connection alive (and what can the server show now)? Reconnect if not."""
        if self._notifier is not None:
            try:
                capabilities = await asyncio.wait_for(self._notifier.get_capabilities(), timeout)
            except Exception as exc:
                log.warning("notification server connection lost (%s); reconnecting", exc)
            else:
                self.capabilities = frozenset(c.name.lower() for c in capabilities)
                return True
        return await self.connect(timeout)

    async def send(self, nudge_id: str, message: Message) -> None:
        if not await self._check():
            raise ConnectionError(self.reason)
        from desktop_notifier import Button as DNButton
        from desktop_notifier import Notification, ReplyField, Urgency

        body = message.body
        buttons: tuple[Any, ...] = ()
        if "buttons" in self.capabilities:
            buttons = tuple(
                DNButton(
                    title=button.title,
                    on_pressed=self._answer(nudge_id, button.id),
                    identifier=f"habitd-{self._run}-{nudge_id}-{button.id}",
                )
                for button in message.buttons
            )
        elif message.command:
            body = f"{body}\n\nAnswer with: {message.command}".lstrip()
        reply = None
        if message.reply is not None and "reply_field" in self.capabilities:
            reply = ReplyField(
                title=message.reply,
                button_title="Save",
                on_replied=lambda text: self._answer(nudge_id, "replied")(text),
            )
        dispatched: list[bool] = []
        notification = Notification(
            title=message.title,
            message=body,
            urgency={"low": Urgency.Low, "critical": Urgency.Critical}.get(
                message.urgency, Urgency.Normal
            ),
            buttons=buttons,
            reply_field=reply,
            # an urgent message stays until the person answers or closes it: the servers'
            # default for critical (-1) lets MATE's and GNOME's fallback daemon expire it
            timeout=0 if message.urgency == "critical" else -1,
            on_dispatched=lambda: dispatched.append(True),
            on_clicked=self._answer(nudge_id, "clicked"),
            on_dismissed=self._answer(nudge_id, "dismissed"),
        )
        await self.withdraw(nudge_id)
        await self._notifier.send_notification(notification)
        if not dispatched:  # desktop-notifier logged why; it never raises
            self._notifier = None
            self.reason = "the notification server did not take the notification"
            raise ConnectionError(self.reason)
        self._shown[nudge_id] = notification.identifier
        mapping = getattr(
            getattr(self._notifier, "_backend", None),
            "_platform_to_interface_notification_identifier",
            None,
        )
        platform_id = mapping.inverse.get(notification.identifier) if mapping else None
        if isinstance(platform_id, int):
            self._server_ids[nudge_id] = platform_id
        self.reason = "notification server answered"

    async def inhibited(self) -> bool:
        """The server's ``Inhibited`` property (do-not-disturb); False where it has none."""
        if self._notifier is None:
            return False
        from habitd import dbus

        try:
            value = await dbus.get_property(
                NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS, "Inhibited"
            )
        except dbus.BusError:
            return False
        return bool(value)

    async def withdraw(self, nudge_id: str) -> None:
        """Close the nudge's earlier notification if it is still on screen."""
        previous = self._shown.pop(nudge_id, None)
        self._server_ids.pop(nudge_id, None)
        if previous is not None and self._notifier is not None:
            with contextlib.suppress(Exception):
                await self._notifier.clear(previous)

    def _answer(self, nudge_id: str, action: str) -> Callable[..., None]:
        def answered(text: str | None = None) -> None:
            self._shown.pop(nudge_id, None)
            server_id = self._server_ids.pop(nudge_id, None)
            if server_id is not None and action != "dismissed":  # answered: off the screen
                task = asyncio.get_running_loop().create_task(self._close_shown(server_id))
                task.add_done_callback(lambda _: None)
            try:
                self.on_action(nudge_id, action, text)
            except Exception:  # a callback must never break the notifier's connection
                log.exception("could not handle the answer %s to nudge %s", action, nudge_id)

        return answered

    async def _close_shown(self, server_id: int) -> None:
        """Close an answered notification (some servers, dunst among them, leave it up;
        closing one already gone is harmless)."""
        from habitd import dbus

        with contextlib.suppress(dbus.BusError):
            await dbus.call(
                NOTIFICATIONS,
                NOTIFICATIONS_PATH,
                NOTIFICATIONS,
                "CloseNotification",
                "u",
                (server_id,),
            )

    def _watch_foreign_answers(self, notifier: Any) -> None:
        """Log answers to notifications from an earlier run (desktop-notifier drops them)."""
        interface = getattr(getattr(notifier, "_backend", None), "interface", None)
        if interface is not None and hasattr(interface, "on_action_invoked"):
            interface.on_action_invoked(self._log_foreign_answer)

    def _log_foreign_answer(self, notification_id: int, key: str) -> None:
        if key.startswith("habitd-") and not key.startswith(f"habitd-{self._run}-"):
            log.info(
                "ignoring an answer to notification %d from an earlier run of habitd (%s)",
                notification_id,
                key,
            )

    async def close(self) -> None:
        self._notifier = None


class AutoNotifier:
    """The desktop when a notification server answers, else the log; the desktop is tried
    again at every nudge, so notifications come back when the bus or server does."""

    def __init__(self, on_action: ActionHandler) -> None:
        self.desktop = DesktopNotifier(on_action)
        self.fallback = LogNotifier()
        self.name = "log"
        self.reason = "not started"

    async def start(self) -> None:
        """Probe the desktop once, so ``status`` can say which backend is live and why."""
        self._settle(await self.desktop.connect())

    def _settle(self, desktop: bool) -> None:
        was = self.name
        self.name = "desktop" if desktop else "log"
        self.reason = (
            self.desktop.reason if desktop else (f"falling back to the log: {self.desktop.reason}")
        )
        if was != self.name:
            log.info("notifications go to the %s (%s)", self.name, self.reason)

    async def send(self, nudge_id: str, message: Message) -> None:
        try:
            await self.desktop.send(nudge_id, message)
        except ConnectionError:
            self._settle(False)
            await self.fallback.send(nudge_id, message)
        else:
            self._settle(True)

    async def inhibited(self) -> bool:
        return self.name == "desktop" and await self.desktop.inhibited()

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
