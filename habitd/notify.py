"""What a nudge says (:class:`Message`) and how it reaches the person (notifier backends).

Two backends: ``desktop`` (native notifications over D-Bus, :mod:`habitd.freedesktop`)
and ``log`` (a line on stderr, which journald keeps). ``auto`` uses the desktop when a
session bus with a notification server answers, else the log, and tries the desktop again
at the next nudge.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from habitd.contract import Button, Message

if TYPE_CHECKING:
    from habitd.freedesktop import Connection

log = logging.getLogger("habitd.notify")

NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
ActionHandler = Callable[[str, str, "str | None"], None]
"""Called as ``handler(nudge_id, action, text)`` when the person answers a notification (a
button's id, ``clicked``, ``replied`` with the text, ``write`` with the question to answer)
or it ends unanswered (``expired``, ``dismissed``)."""


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


MAX_BODY = 300
"""Characters of a body shown at most (cut at a word; the whole text is in history)."""
RESHOW_WITHIN = timedelta(minutes=10)
"""An urgent message that a server expires within this long after it first showed is shown
again: it stays until the person answers or closes it."""


def click_opens(command: str | None) -> bool:
    """Whether a click on the body may open ``command`` in a terminal: one that lets the
    person do something (``habitd journal``, ``habitd breathe``, ``habitd help-now``), never
    one that answers for them (``habitd done meditate``)."""
    answers = ("habitd done ", "habitd skip ", "habitd snooze ", "habitd lapse ", "habitd reached ")
    return bool(command) and not str(command).startswith(answers)


def body_text(text: str, markup: bool, limit: int = MAX_BODY) -> str:
    """A message body as the server can show it: cut at a word under ``limit`` characters;
    `backticked` words bold where the server takes markup (and ``&<>`` escaped), plain
    without the backticks where it does not."""
    if len(text) > limit:
        cut = text[: limit - 1]
        space = max(cut.rfind(" "), cut.rfind("\n"))
        text = (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:.\n") + "…"
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unmatched backtick (or one cut off): the text as it is
        parts = [text]
    if not markup:
        return "".join(parts)
    from html import escape

    return "".join(
        f"<b>{escape(part, quote=False)}</b>" if odd else escape(part, quote=False)
        for odd, part in ((i % 2 == 1, p) for i, p in enumerate(parts))
    )


@dataclass
class _OnScreen:
    """A notification habitd showed and has not heard the end of."""

    nudge_id: str
    message: Message
    keys: frozenset[str]
    first_shown: float


class DesktopNotifier:
    """Native notifications over the desktop's notification protocol (:mod:`habitd.freedesktop`).

    What is sent follows what the server says it can show: with ``actions``, the message's
    buttons (keyed by their own words: ``done``, ``snoozed``) and, when a
    click can open something, the body-click action last (a drop-down such as LXQt's counts
    actions in order); without them the body ends with the CLI command that answers the
    nudge. A question gets a reply field where the server has ``inline-reply``, else a
    **Write** button that opens ``habitd journal`` with the question. Urgent messages never
    expire (``resident`` where the server keeps notifications) and are shown again if the
    server expires them anyway; other nudges stay until answered unless ``[habitd]
    nudge_timeout`` says otherwise, and one that expires or is closed unanswered is recorded
    (``expired``, ``dismissed``). A nudge replaces its own earlier notification if that one
    is still unanswered. Before each send the connection is checked and rebuilt when the bus
    or server went away.
    """

    name = "desktop"

    def __init__(
        self, on_action: ActionHandler, nudge_timeout: Callable[[], timedelta] = timedelta
    ) -> None:
        self.on_action = on_action
        self.nudge_timeout = nudge_timeout
        self.reason = "not connected yet"
        self._connection: Connection | None = None
        self._on_screen: dict[int, _OnScreen] = {}
        self._by_nudge: dict[str, int] = {}
        self._keys: set[str] = {"default"}

    @property
    def capabilities(self) -> frozenset[str]:
        """What the server said it can show (empty when none answers)."""
        return self._connection.capabilities if self._connection else frozenset()

    @property
    def connected(self) -> bool:
        """Whether the last check found a notification server."""
        return self._connection is not None

    async def connect(self, timeout: float = 3.0) -> bool:
        """Open a fresh connection and ask the server what it supports; False if none answers."""
        from habitd.dbus import BusError
        from habitd.freedesktop import Connection

        ensure_bus_address()
        await self.close()
        try:
            connection = await Connection.open(timeout=timeout)
        except BusError as exc:
            self.reason = f"no notification server: {exc}"
            return False
        connection.on_action = self._action
        connection.on_closed = self._closed
        connection.on_replied = self._replied
        self._connection = connection
        self.reason = "notification server answered"
        return True

    async def _check(self, timeout: float = 3.0) -> Connection | None:
        """The live connection (what the server can show now), reconnecting if it went away."""
        from habitd.dbus import BusError

        if self._connection is not None and self._connection.connected:
            try:
                await self._connection.refresh(timeout)
            except BusError as exc:
                log.warning("notification server connection lost (%s); reconnecting", exc)
            else:
                return self._connection
        await self.connect(timeout)
        return self._connection

    async def send(self, nudge_id: str, message: Message) -> None:
        from dbus_fast import Variant

        from habitd.dbus import BusError
        from habitd.freedesktop import URGENCY

        connection = await self._check()
        if connection is None:
            raise ConnectionError(self.reason)
        capabilities = connection.capabilities
        body = message.body
        actions: list[tuple[str, str]] = []
        hints: dict[str, Any] = {"urgency": Variant("y", URGENCY.get(message.urgency, 1))}
        buttons = list(message.buttons)
        if message.reply is not None and "inline-reply" not in capabilities:
            # no reply field here: Write opens the journal with the question; Done would
            # look like an answer to a question nobody answered
            buttons = [Button("write", message.reply)] + [b for b in buttons if b.id != "done"]
        if "actions" in capabilities:
            # every button a message has (habitd's own have at most three; LXQt turns four
            # or more into a drop-down, which counts the actions in the order sent)
            actions = [(button.id, button.title) for button in buttons]
            if message.reply is not None and "inline-reply" in capabilities:
                actions.append(("inline-reply", message.reply))
                hints["x-kde-reply-submit-button-text"] = Variant("s", "Save")
            if click_opens(message.command):
                actions.append(("default", ""))  # last: drop-downs count actions in order
        elif message.command:
            body = f"{body}\n\nAnswer with: {message.command}".lstrip()
        critical = message.urgency == "critical"
        if critical and "persistence" in capabilities:
            hints["resident"] = Variant("b", True)
        expire = 0 if critical else round(self.nudge_timeout().total_seconds() * 1000)
        await self.withdraw(nudge_id)
        try:
            nid = await connection.notify(
                message.title,
                body_text(body, "body-markup" in capabilities),
                actions,
                hints,
                expire,
                icon=icon_path().as_uri(),
            )
        except BusError as exc:
            self._connection = None
            self.reason = f"the notification server did not take the notification: {exc}"
            raise ConnectionError(self.reason) from None
        keys = frozenset(key for key, _ in actions)
        self._keys |= keys
        self._on_screen[nid] = _OnScreen(nudge_id, message, keys, time.monotonic())
        self._by_nudge[nudge_id] = nid
        self.reason = "notification server answered"

    async def inhibited(self) -> bool:
        """The server's ``Inhibited`` property (do-not-disturb); False where it has none."""
        if self._connection is None:
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
        nid = self._by_nudge.pop(nudge_id, None)
        if nid is not None:
            self._on_screen.pop(nid, None)
            if self._connection is not None:
                await self._connection.close_notification(nid)

    def _forget(self, nid: int) -> _OnScreen | None:
        shown = self._on_screen.pop(nid, None)
        if shown is not None and self._by_nudge.get(shown.nudge_id) == nid:
            del self._by_nudge[shown.nudge_id]
        return shown

    def _action(self, nid: int, key: str) -> None:
        shown = self._on_screen.get(nid)
        if shown is None or key not in shown.keys:
            if shown is None and key in self._keys:
                log.info(
                    "ignoring an answer (%s) to notification %d, which this run of habitd did "
                    "not show (an earlier run's?)",
                    key,
                    nid,
                )
            return
        self._forget(nid)
        self._close_later(nid)  # answered: off the screen (dunst and resident ones stay up)
        if key == "write":
            self._hand_over(shown.nudge_id, "write", shown.message.body)
        else:
            self._hand_over(shown.nudge_id, "clicked" if key == "default" else key, None)

    def _replied(self, nid: int, text: str) -> None:
        shown = self._forget(nid)
        if shown is not None:
            self._close_later(nid)
            self._hand_over(shown.nudge_id, "replied", text)

    def _closed(self, nid: int, reason: int) -> None:
        from habitd.freedesktop import DISMISSED, EXPIRED

        shown = self._forget(nid)
        if shown is None:
            return  # answered, replaced or withdrawn: nothing more to say
        recent = time.monotonic() - shown.first_shown < RESHOW_WITHIN.total_seconds()
        if reason == EXPIRED and shown.message.urgency == "critical" and recent:
            log.info("the server expired urgent message %s; showing it again", shown.nudge_id)
            task = asyncio.get_running_loop().create_task(self._show_again(shown))
            task.add_done_callback(lambda _: None)
            return
        if reason in (EXPIRED, DISMISSED):
            self._hand_over(shown.nudge_id, "expired" if reason == EXPIRED else "dismissed", None)

    async def _show_again(self, shown: _OnScreen) -> None:
        try:
            await self.send(shown.nudge_id, shown.message)
        except ConnectionError as exc:
            log.error("could not show urgent message %s again: %s", shown.nudge_id, exc)
            return
        again = self._by_nudge.get(shown.nudge_id)
        if again is not None:
            self._on_screen[again].first_shown = shown.first_shown

    def _close_later(self, nid: int) -> None:
        if self._connection is not None:
            task = asyncio.get_running_loop().create_task(self._connection.close_notification(nid))
            task.add_done_callback(lambda _: None)

    def _hand_over(self, nudge_id: str, action: str, text: str | None) -> None:
        try:
            self.on_action(nudge_id, action, text)
        except Exception:  # a callback must never break the notifier's connection
            log.exception("could not handle the answer %s to nudge %s", action, nudge_id)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.disconnect()
        self._connection = None


class AutoNotifier:
    """The desktop when a notification server answers, else the log; the desktop is tried
    again at every nudge, so notifications come back when the bus or server does."""

    def __init__(
        self, on_action: ActionHandler, nudge_timeout: Callable[[], timedelta] = timedelta
    ) -> None:
        self.desktop = DesktopNotifier(on_action, nudge_timeout)
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


async def make_notifier(
    mode: str, on_action: ActionHandler, nudge_timeout: Callable[[], timedelta] = timedelta
) -> Notifier:
    """The backend for ``mode`` (``auto``, ``desktop`` or ``log``), started; ``nudge_timeout``
    says how long an ordinary nudge stays on screen (zero: until answered)."""
    if mode == "log":
        return LogNotifier()
    if mode == "desktop":
        desktop = DesktopNotifier(on_action, nudge_timeout)
        if not await desktop.connect():
            log.warning(
                "desktop notifications unavailable (%s); will retry at each nudge", desktop.reason
            )
        return desktop
    auto = AutoNotifier(on_action, nudge_timeout)
    await auto.start()
    return auto
