"""Real D-Bus services for tests, each on a private bus, each in its own thread and loop
so that tests drive them from ordinary synchronous code:

- :class:`NotificationServer`, an ``org.freedesktop.Notifications`` server that records
  every ``Notify`` and emits ``ActionInvoked``, ``NotificationClosed`` and
  ``NotificationReplied`` as a desktop does when the person clicks, with an ``Inhibited``
  (do-not-disturb) property;
- :class:`Logind`, the part of ``org.freedesktop.login1`` habitd listens to: the
  ``PrepareForSleep`` signal and a session's ``LockedHint``.

(No ``from __future__ import annotations`` here: dbus-fast reads the D-Bus signatures
from the annotations at class creation, which is also why ruff's F722, F821 and N802 are off for
this file.)
"""

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from dbus_fast.aio import MessageBus
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method, signal

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
ALL_CAPABILITIES = ("actions", "body", "body-markup", "icon-static", "inline-reply", "persistence")


@dataclass
class Shown:
    """One ``Notify`` call as the server received it."""

    id: int
    app_name: str
    replaces_id: int
    app_icon: str
    summary: str
    body: str
    actions: dict[str, str]
    hints: dict[str, Any]
    timeout: int
    closed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    received: float = field(default_factory=time.time)
    """Wall-clock time the server got the Notify call (for firing-precision benchmarks)."""

    @property
    def urgency(self) -> int | None:
        """The urgency hint: 0 low, 1 normal, 2 critical."""
        value = self.hints.get("urgency")
        return int(value) if value is not None else None


class _Interface(ServiceInterface):
    def __init__(self, server: "NotificationServer") -> None:
        super().__init__(NAME)
        self.server = server

    @method()
    def Notify(
        self,
        app_name: "s",
        replaces_id: "u",
        app_icon: "s",
        summary: "s",
        body: "s",
        actions: "as",
        hints: "a{sv}",
        expire_timeout: "i",
    ) -> "u":
        return self.server._notify(
            app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout
        )

    @method()
    def CloseNotification(self, nid: "u") -> None:
        self.server.closed_by_client.append(nid)
        self.server._close(nid, 3)

    @method()
    def GetCapabilities(self) -> "as":
        return list(self.server.capabilities)

    @method()
    def GetServerInformation(self) -> "ssss":
        return ["habitd-test-server", "habitd", "1.0", "1.2"]

    @dbus_property(access=PropertyAccess.READ)
    def Inhibited(self) -> "b":
        return self.server.inhibited

    @signal()
    def NotificationClosed(self, nid: int, reason: int) -> "uu":
        return [nid, reason]

    @signal()
    def ActionInvoked(self, nid: int, key: str) -> "us":
        return [nid, key]

    @signal()
    def NotificationReplied(self, nid: int, text: str) -> "us":
        return [nid, text]


class BusService:
    """Own a name on the bus at ``address`` from a thread of its own, until :meth:`stop`."""

    name = ""

    def __init__(self, address: str) -> None:
        self.address = address
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._error: BaseException | None = None

    def exports(self) -> dict[str, ServiceInterface]:
        """Object path -> interface to export."""
        raise NotImplementedError

    def start(self) -> "BusService":
        """Start serving; returns once the name is owned."""
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"{self.name} did not start")
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        """Release the name and stop the loop (once; again does nothing)."""
        if not self._thread.is_alive():
            return
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the test through start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        bus = await MessageBus(bus_address=self.address).connect()
        for path, interface in self.exports().items():
            bus.export(path, interface)
        await bus.request_name(self.name)
        self._ready.set()
        await self._stopping.wait()
        bus.disconnect()

    def _emit(self, function: Any, *args: Any) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(function, *args)


class NotificationServer(BusService):
    """A notification server that records what it is asked to show."""

    name = NAME

    def __init__(
        self,
        address: str,
        capabilities: tuple[str, ...] = ALL_CAPABILITIES,
        closes_on_action: bool = True,
    ) -> None:
        super().__init__(address)
        self.capabilities = capabilities
        self.closes_on_action = closes_on_action
        """False: like dunst after a menu action, the notification stays up until the
        client closes it."""
        self.closed_by_client: list[int] = []
        self.shown: list[Shown] = []
        self.inhibited = False
        self.refusing = False
        """True: every Notify is answered with an error, as a full or failing server does."""
        self._next_id = 1000
        self._interface = _Interface(self)

    def exports(self) -> dict[str, ServiceInterface]:
        return {PATH: self._interface}

    def start(self) -> "NotificationServer":
        super().start()
        return self

    def set_inhibited(self, inhibited: bool) -> None:
        """Turn do-not-disturb on or off (and announce it, as servers do)."""
        self.inhibited = inhibited
        self._emit(self._interface.emit_properties_changed, {"Inhibited": inhibited})

    # --- what the server received ------------------------------------------------------------

    def _notify(
        self,
        app_name: str,
        replaces_id: int,
        app_icon: str,
        summary: str,
        body: str,
        actions: list[str],
        hints: dict[str, Any],
        timeout: int,
    ) -> int:
        if self.refusing:
            from dbus_fast.errors import DBusError

            raise DBusError("org.freedesktop.Notifications.Error", "too many notifications")
        if replaces_id:
            nid = replaces_id
        else:
            self._next_id += 1
            nid = self._next_id
        pairs = dict(zip(actions[::2], actions[1::2], strict=False))
        plain_hints = {key: getattr(value, "value", value) for key, value in hints.items()}
        self.shown.append(
            Shown(nid, app_name, replaces_id, app_icon, summary, body, pairs, plain_hints, timeout)
        )
        return nid

    def _close(self, nid: int, reason: int) -> None:
        for shown in self.shown:
            if shown.id == nid:
                shown.closed = True
        self._interface.NotificationClosed(nid, reason)

    # --- what the person does -----------------------------------------------------------------

    def press(self, shown: Shown, title: str) -> None:
        """Press the button with this title (``ActionInvoked`` then ``NotificationClosed``)."""
        key = next(key for key, label in shown.actions.items() if label == title)
        self.invoke(shown.id, key)

    def invoke(self, nid: int, key: str) -> None:
        """Emit ``ActionInvoked(nid, key)`` and close the notification, as servers do."""
        self._emit(self._interface.ActionInvoked, nid, key)
        if self.closes_on_action:
            self._emit(self._close, nid, 2)

    def click(self, shown: Shown) -> None:
        """Click the notification's body (the ``default`` action)."""
        self.invoke(shown.id, "default")

    def dismiss(self, shown: Shown) -> None:
        """The person closes the notification."""
        self._emit(self._close, shown.id, 2)

    def expire(self, shown: Shown) -> None:
        """The notification's time on screen ran out (``NotificationClosed`` reason 1)."""
        self._emit(self._close, shown.id, 1)

    def reply(self, shown: Shown, text: str) -> None:
        """Type ``text`` into the inline reply field and send it."""
        self._emit(self._interface.NotificationReplied, shown.id, text)
        self._emit(self._close, shown.id, 2)


# --- logind ---------------------------------------------------------------------------------

LOGIND = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"
SESSION_PATH = f"{LOGIND_PATH}/session/c1"


class _Manager(ServiceInterface):
    def __init__(self) -> None:
        super().__init__(f"{LOGIND}.Manager")

    @method()
    def GetSession(self, session_id: "s") -> "o":
        return SESSION_PATH

    @signal()
    def PrepareForSleep(self, start: bool) -> "b":
        return start


class _Session(ServiceInterface):
    def __init__(self, logind: "Logind") -> None:
        super().__init__(f"{LOGIND}.Session")
        self.logind = logind

    @dbus_property(access=PropertyAccess.READ)
    def Id(self) -> "s":
        return "c1"

    @dbus_property(access=PropertyAccess.READ)
    def LockedHint(self) -> "b":
        return self.logind.locked


class Logind(BusService):
    """logind as habitd sees it: sleep and resume, and the screen lock of session c1."""

    name = LOGIND

    def __init__(self, address: str) -> None:
        super().__init__(address)
        self.locked = False
        self._manager = _Manager()
        self._session = _Session(self)

    def exports(self) -> dict[str, ServiceInterface]:
        return {
            LOGIND_PATH: self._manager,
            f"{LOGIND_PATH}/session/auto": _Session(self),
            SESSION_PATH: self._session,
        }

    def start(self) -> "Logind":
        super().start()
        return self

    def sleep_and_resume(self) -> None:
        """``PrepareForSleep(true)``, then ``PrepareForSleep(false)`` as on resume."""
        self._emit(self._manager.PrepareForSleep, True)
        self._emit(self._manager.PrepareForSleep, False)

    def lock(self, locked: bool) -> None:
        """Lock or unlock the screen."""
        self.locked = locked
        self._emit(self._session.emit_properties_changed, {"LockedHint": locked})


WATCHER = "org.kde.StatusNotifierWatcher"


class _WatcherInterface(ServiceInterface):
    def __init__(self, watcher: "StatusNotifierWatcher") -> None:
        super().__init__(WATCHER)
        self.watcher = watcher

    @method()
    def RegisterStatusNotifierItem(self, service: "s") -> None:
        self.watcher.items.append(service)

    @method()
    def RegisterStatusNotifierHost(self, service: "s") -> None:
        pass

    @dbus_property(access=PropertyAccess.READ)
    def RegisteredStatusNotifierItems(self) -> "as":
        return list(self.watcher.items)

    @dbus_property(access=PropertyAccess.READ)
    def IsStatusNotifierHostRegistered(self) -> "b":
        return True

    @dbus_property(access=PropertyAccess.READ)
    def ProtocolVersion(self) -> "i":
        return 0


class StatusNotifierWatcher(BusService):
    """The tray hosts' registry (``org.kde.StatusNotifierWatcher``): records each item that
    registers, as a panel would before showing it."""

    name = WATCHER

    def __init__(self, address: str) -> None:
        super().__init__(address)
        self.items: list[str] = []
        self._interface = _WatcherInterface(self)

    def exports(self) -> dict[str, ServiceInterface]:
        return {"/StatusNotifierWatcher": self._interface}

    def start(self) -> "StatusNotifierWatcher":
        super().start()
        return self


# --- listening to a real notification server -------------------------------------------------


class NotificationSignals(BusService):
    """Records every signal a notification server sends (``NotificationClosed`` with its
    reason, ``ActionInvoked``), as a person's desktop would see them, from its own thread."""

    name = "notification-signals"

    def __init__(self, address: str) -> None:
        super().__init__(address)
        self.received: list[tuple[str, list[Any]]] = []

    def exports(self) -> dict[str, ServiceInterface]:
        return {}

    def closed(self) -> list[tuple[int, int]]:
        """Every ``NotificationClosed`` so far, as (id, reason)."""
        return [(int(b[0]), int(b[1])) for m, b in list(self.received) if m == "NotificationClosed"]

    async def _main(self) -> None:
        from dbus_fast import Message, MessageType

        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        bus = await MessageBus(bus_address=self.address).connect()

        def record(message: Any) -> None:
            if message.message_type == MessageType.SIGNAL and message.interface == NAME:
                self.received.append((message.member, list(message.body)))

        bus.add_message_handler(record)
        await bus.call(
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="AddMatch",
                signature="s",
                body=[f"type='signal',interface='{NAME}'"],
            )
        )
        self._ready.set()
        await self._stopping.wait()
        bus.disconnect()
