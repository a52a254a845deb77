"""Always one click away: habitd in the system tray (a StatusNotifierItem with a dbusmenu).

The daemon exports ``org.kde.StatusNotifierItem`` and ``com.canonical.dbusmenu`` on the
session bus and registers with the ``org.kde.StatusNotifierWatcher`` that tray hosts run
(KDE Plasma, GNOME's AppIndicator extension, XFCE's status tray, LXQt, waybar).
Where no watcher answers, nothing is shown and :attr:`Tray.reason` says why (``habitd
doctor`` shows it). The tooltip says the day count of each abstain habit, today's answers
and the next nudge; the menu offers help now, a practice, the journal, an urge, a pause or
a resume, today's habits to mark done, and the report. Every item is an ordinary
operation, the same as its command. It updates when something changes (an answer, a
pause), never by polling.

The D-Bus interfaces themselves are in :mod:`habitd.trayitem`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from dbus_fast import Variant

from habitd.trayitem import MENU_PATH, Item, Menu
from habitd.words import plural

if TYPE_CHECKING:
    from habitd.app import App

log = logging.getLogger("habitd.tray")

CLICK: contextvars.ContextVar[str | None] = contextvars.ContextVar("CLICK", default=None)
"""The click being answered (its item and the host's timestamp), for the key of its write."""

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
WATCHER_APPEARS = (
    "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
    f"member='NameOwnerChanged',arg0='{WATCHER}'"
)
NO_HOST = (
    "no tray host: nothing serves org.kde.StatusNotifierWatcher (KDE Plasma, GNOME with the "
    "AppIndicator extension, XFCE's status tray, LXQt or waybar show habitd's item)"
)
ITEM_PATH = "/StatusNotifierItem"
LAYOUT = "(ia{sv}av)"

TERMINAL_ITEMS = {
    2: ("Breathe", "habitd breathe"),
    3: ("Surf an urge", "habitd surf"),
    4: ("Write in the journal", "habitd journal"),
    5: ("Log an urge", "habitd urge"),
}
HABITS_MENU = 10
FIRST_HABIT = 100
FIRST_PLUGIN_ITEM = 200


class Tray:
    """The tray item of one running App."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.reason = "not started"
        self.revision = 1
        self._bus: Any = None
        self._item = Item(self)
        self._menu = Menu(self)
        self._items: dict[int, Callable[[], Any]] = {}
        self._extra: list[tuple[str, Any]] = []
        """Plugins' items: (plugin, TrayItem), from ``habitd_tray_items``."""
        self._refreshing: asyncio.Task[None] | None = None
        self._again = False
        self._quiet_timer: asyncio.TimerHandle | None = None

    async def start(self, address: str | None = None) -> bool:
        """Export the item and register it with the watcher; False (and a reason) where no
        tray host listens yet. It stays on the bus: a tray host that starts later (a panel
        restarted) gets the item then."""
        from dbus_fast.aio import MessageBus

        try:
            self._bus = await asyncio.wait_for(MessageBus(bus_address=address).connect(), 3)
            self._bus.export(ITEM_PATH, self._item)
            self._bus.export(MENU_PATH, self._menu)
            await asyncio.wait_for(self._bus.request_name(self.name), 3)
            await asyncio.wait_for(self._call_bus("AddMatch", "s", [WATCHER_APPEARS]), 3)
        except Exception as exc:  # no bus, or one that does not answer: habitd goes on
            self.stop()
            self.reason = f"no session bus: {type(exc).__name__}: {exc}".rstrip(": ")
            return False
        self._bus.add_message_handler(self._on_message)
        await self.collect()
        self._follow_quiet_hours()
        return await self._register()

    @property
    def name(self) -> str:
        """The item's name on the bus (the StatusNotifierItem convention)."""
        return f"org.kde.StatusNotifierItem-{os.getpid()}-1"

    async def _register(self) -> bool:
        from dbus_fast import Message as BusMessage
        from dbus_fast import MessageType

        try:
            reply = await asyncio.wait_for(
                self._bus.call(
                    BusMessage(
                        destination=WATCHER,
                        path=WATCHER_PATH,
                        interface=WATCHER,
                        member="RegisterStatusNotifierItem",
                        signature="s",
                        body=[self.name],
                    )
                ),
                3,
            )
        except Exception as exc:
            reply = None
            log.info("tray: the watcher did not answer (%s)", exc)
        if reply is None or reply.message_type == MessageType.ERROR:
            self.reason = NO_HOST
            return False
        self.reason = f"shown by the tray host ({self.name})"
        log.info("tray item registered as %s", self.name)
        return True

    async def _call_bus(self, member: str, signature: str, body: list[Any]) -> Any:
        from dbus_fast import Message as BusMessage

        return await self._bus.call(
            BusMessage(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member=member,
                signature=signature,
                body=body,
            )
        )

    def _on_message(self, message: Any) -> None:
        """A tray host (re)started: give it the item. One went away: say so."""
        if message.member != "NameOwnerChanged" or not message.body or message.body[0] != WATCHER:
            return
        if message.body[2]:
            task = self.app.loop.create_task(self._register())
            task.add_done_callback(lambda _: None)
        else:
            self.reason = NO_HOST
            log.info("tray: the tray host went away")

    def _follow_quiet_hours(self) -> None:
        """Change the icon when quiet hours begin or end: one timer to the next change."""
        quiet = self.app.config.settings.quiet_hours
        if self._quiet_timer is not None:
            self._quiet_timer.cancel()
            self._quiet_timer = None
        if quiet is None or self._bus is None:
            return
        now = self.app.now()
        change = quiet.next_change(now)
        if change is not None:
            delay = max(1.0, (change - now).total_seconds() + 1)
            self._quiet_timer = self.app.loop.call_later(delay, self._quiet_changed)

    def _quiet_changed(self) -> None:
        self._quiet_timer = None
        self.refresh()
        self._follow_quiet_hours()

    async def collect(self) -> None:
        """Ask plugins for their menu items (``habitd_tray_items``)."""
        found = await self.app.plugins.call_all("habitd_tray_items")
        self._extra = [(plugin, item) for plugin, items in found for item in items or ()]

    def stop(self) -> None:
        """Leave the bus (the tray host drops the item)."""
        if self._quiet_timer is not None:
            self._quiet_timer.cancel()
            self._quiet_timer = None
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None

    def refresh(self) -> None:
        """Something changed: ask plugins for their items again, then say so to the host
        (tooltip, icon, menu), once."""
        if self._bus is None:
            return
        if self._refreshing and not self._refreshing.done():
            self._again = True  # one more round once this one ends: no change is missed
            return
        self._refreshing = self.app.loop.create_task(self._refresh())
        self._refreshing.add_done_callback(_log_failure)

    async def _refresh(self) -> None:
        self._again = True
        while self._again and self._bus is not None:
            self._again = False
            await self.collect()
            self._announce()

    def _announce(self) -> None:
        self.revision += 1
        self._item.NewToolTip()
        self._item.NewIcon()
        self._item.NewStatus("Active")
        self._menu.LayoutUpdated(self.revision, 0)

    # --- what it shows --------------------------------------------------------------------

    def icon(self) -> str:
        """The icon's name (its SVG beside habitd's own): paused, quiet hours, or habitd."""
        if self.app.paused_until() is not None:
            return "habitd-paused"
        quiet = self.app.config.settings.quiet_hours
        if quiet is not None and quiet.end_if_quiet(self.app.now()) is not None:
            return "habitd-quiet"
        return "habitd"

    def tooltip(self) -> str:
        """One line each: ``Kratom-free today: 14 days`` (or ``a new start``: never a
        zero), ``3 of 5 habits today``, a pause, ``next: evening-journal at 20:30``."""
        parts = []
        for summary in self.app.core.summaries():
            if summary.extra.get("type") == "abstain":
                kept = plural(summary.current, "days") if summary.current else "a new start"
                parts.append(f"{summary.extra.get('name')}: {kept}")
        habits = self.app.config.habits
        if habits:
            answered = len(self.app.store.checks_on(self.app.today()))
            parts.append(f"{answered} of {len(habits)} habits today")
        paused = self.app.paused_until()
        if paused is not None:
            parts.append(f"paused until {paused:%H:%M}")
        upcoming = [
            (when, nudge.id)
            for nudge in self.app.config.nudges
            if nudge.enabled and (when := self.app.scheduler.next_time(nudge, self.app.tz))
        ]
        if upcoming:
            when, nudge_id = min(upcoming)
            parts.append(f"next: {nudge_id} at {when.astimezone(self.app.tz):%H:%M}")
        return "\n".join(parts) or "habitd"

    def layout(self) -> Variant:
        """The whole menu as dbusmenu's nested layout; item ids map to their actions."""
        self._items = {}
        children = [
            self._entry(1, "Help now", self._help_now),
            *(
                self._entry(number, label, _opener(self, command))
                for number, (label, command) in TERMINAL_ITEMS.items()
            ),
            self._separator(6),
        ]
        if self.app.paused_until() is None:
            children.append(self._entry(7, "Pause 1 hour", lambda: self._pause("1h")))
            children.append(
                self._entry(8, "Pause until morning", lambda: self._pause("until-morning"))
            )
        else:
            children.append(self._entry(9, "Resume", self._resume))
        marked = {c.habit: c.state for c in self.app.store.checks_on(self.app.today())}
        habits = [
            self._entry(
                FIRST_HABIT + index,
                habit.name,
                _marker(self, habit.id),
                checked=marked.get(habit.id) == "done",
            )
            for index, habit in enumerate(self.app.config.habits)
        ]
        if habits:
            children.append(
                Variant(
                    LAYOUT,
                    [
                        HABITS_MENU,
                        {
                            "label": Variant("s", "Today's habits"),
                            "children-display": Variant("s", "submenu"),
                        },
                        habits,
                    ],
                )
            )
        for index, (plugin, item) in enumerate(self._extra):
            children.append(
                self._entry(FIRST_PLUGIN_ITEM + index, item.label, _plugin_item(self, plugin, item))
            )
        children.append(self._separator(11))
        children.append(self._entry(12, "Open the report", self._report))
        return Variant(LAYOUT, [0, {"children-display": Variant("s", "submenu")}, children])

    def subtree(self, parent: int, depth: int, names: list[str]) -> Variant:
        """dbusmenu's ``GetLayout``: the item ``parent`` with its children ``depth`` levels
        down (-1: all), each with the properties in ``names`` (none named: all). Qt hosts
        (LXQt, KDE) ask for each submenu by its id; the whole menu for it would have them
        asking forever. An unknown id gets an empty item."""
        for node in _nodes(self.layout()):
            if node.value[0] == parent:
                return _trimmed(node, depth, names)
        return Variant(LAYOUT, [parent, {}, []])

    def properties(self, numbers: list[int], names: list[str]) -> list[list[Any]]:
        """dbusmenu's ``GetGroupProperties``: each asked item (all when none are named) with
        its asked properties (all when none are named). Hosts built on libdbusmenu ask this
        before they draw and leave out any item it does not return."""
        found = {node.value[0]: node.value[1] for node in _nodes(self.layout())}
        return [
            [number, {k: v for k, v in found[number].items() if not names or k in names}]
            for number in (numbers or sorted(found))
            if number in found
        ]

    def _entry(
        self,
        number: int,
        label: str,
        action: Callable[[], Any],
        checked: bool | None = None,
    ) -> Variant:
        self._items[number] = action
        props = {"label": Variant("s", label)}
        if checked is not None:  # a check box the host draws (done today or not)
            props["toggle-type"] = Variant("s", "checkmark")
            props["toggle-state"] = Variant("i", int(checked))
        return Variant(LAYOUT, [number, props, []])

    def _separator(self, number: int) -> Variant:
        return Variant(LAYOUT, [number, {"type": Variant("s", "separator")}, []])

    # --- what it does -----------------------------------------------------------------------

    def has_item(self, number: int) -> bool:
        """Whether the menu has an item with this id (dbusmenu's ``EventGroup`` asks)."""
        return any(node.value[0] == number for node in _nodes(self.layout()))

    def clicked(self, number: int, timestamp: int = 0) -> None:
        """The person chose a menu item: run its action on the daemon's loop. The host's
        ``timestamp`` names the click: the same click sent twice (a host that sends both
        ``Event`` and ``EventGroup``, a retry) writes once."""
        if not self._items:
            self.layout()
        action = self._items.get(number)
        if action is None:
            log.info("tray: no item %d", number)
            return
        CLICK.set(f"tray:{number}:{timestamp}" if timestamp else None)
        task = self.app.loop.create_task(_run(action))  # the task keeps this click's key
        task.add_done_callback(_log_failure)

    async def _help_now(self) -> None:
        from habitd.contract import Message

        help_now = self.app.core.help_now("craving")
        people = [f"{c['name']}: {c['reach']}" for c in help_now["contacts"][:2]]
        crisis = help_now["crisis"]
        line = crisis.get("text") or crisis.get("line") or ""
        body = " ".join([*(f"Reach {p}." for p in people), str(line)]).strip()
        message = Message(
            title="You don't have to ride this alone",
            body=body or "Try `habitd surf`, and reach someone you trust.",
            urgency="critical",
            command="habitd help-now",
            private=True,
        )
        await self.app.delivery.show(message, "help-now", "help-now", None)
        # With no terminal to open, nothing more is said: the notification holds it all.
        from habitd.terminal import open_in_terminal

        open_in_terminal("habitd help-now", self.app.config.settings.terminal)

    async def _pause(self, duration: str) -> None:
        await self.app.write(lambda: self.app.core.pause(duration))
        self.refresh()

    async def _resume(self) -> None:
        await self.app.write(lambda: self.app.core.resume())
        self.refresh()

    async def _report(self) -> None:
        """Write the HTML report (as ``habitd report --html`` does, in a process of its
        own) and open it with ``xdg-open``; where it cannot be, a notification says so."""
        path = self.app.paths.state_dir / "report.html"
        writer = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "habitd",
            "report",
            "--html",
            str(path),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if await writer.wait() != 0:
            await self._say(
                "The report could not be written",
                "Run `habitd report --html report.html` in a terminal to see why.",
            )
        elif shutil.which("xdg-open") is None:
            await self._say("Your report is ready: open it in a browser", str(path))
        else:
            subprocess.Popen(
                ["xdg-open", str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

    async def _say(self, title: str, body: str) -> None:
        from habitd.contract import Message

        await self.app.delivery.show(
            Message(title=title, body=body, urgency="low"), "tray", "note", None
        )


def _nodes(node: Variant) -> Iterator[Variant]:
    """Every item of a layout, the root first."""
    yield node
    for child in node.value[2]:
        yield from _nodes(child)


def _trimmed(node: Variant, depth: int, names: list[str]) -> Variant:
    """A layout cut ``depth`` levels down (-1: whole), with only the properties named."""
    number, props, children = node.value
    kept = {k: v for k, v in props.items() if not names or k in names}
    below = [] if depth == 0 else [_trimmed(c, depth - 1, names) for c in children]
    return Variant(LAYOUT, [number, kept, below])


def _plugin_item(tray: Tray, plugin: str, item: Any) -> Callable[[], Any]:
    async def run() -> None:
        await tray.app.plugins.call_job(
            plugin, f"tray item {item.label!r}", item.run, answering=True
        )
        tray.refresh()

    return run


def _opener(tray: Tray, command: str) -> Callable[[], None]:
    def open_it() -> None:  # with no terminal to open, a notification says what to run
        tray.app.delivery.open_command(command)

    return open_it


def _marker(tray: Tray, habit: str) -> Callable[[], Any]:
    async def mark() -> None:
        click = CLICK.get()
        key = f"{click}:{habit}:{tray.app.core.today()}" if click else None
        await tray.app.write(lambda: tray.app.core.done(habit, key=key))
        tray.refresh()

    return mark


async def _run(action: Callable[[], Any]) -> None:
    result = action()
    if asyncio.iscoroutine(result):
        await result


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("a tray item failed: %s", task.exception())
