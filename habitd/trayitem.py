"""The tray's D-Bus interfaces: ``org.kde.StatusNotifierItem`` and ``com.canonical.dbusmenu``,
answering from a :class:`habitd.tray.Tray`.

(No ``from __future__ import annotations`` here: dbus-fast reads the D-Bus signatures from
the annotations, which is also why ruff's F722 and F821 and mypy are off for this file.)
"""

from typing import Any

from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method, signal

MENU_PATH = "/MenuBar"


class Item(ServiceInterface):
    """The item: what the tray host shows, and its clicks."""

    def __init__(self, tray: Any) -> None:
        super().__init__("org.kde.StatusNotifierItem")
        self.tray = tray

    @dbus_property(access=PropertyAccess.READ)
    def Category(self) -> "s":
        return "ApplicationStatus"

    @dbus_property(access=PropertyAccess.READ)
    def Id(self) -> "s":
        return "habitd"

    @dbus_property(access=PropertyAccess.READ)
    def Title(self) -> "s":
        return "habitd"

    @dbus_property(access=PropertyAccess.READ)
    def Status(self) -> "s":
        return "Active"

    @dbus_property(access=PropertyAccess.READ)
    def IconName(self) -> "s":
        return self.tray.icon()

    @dbus_property(access=PropertyAccess.READ)
    def IconThemePath(self) -> "s":
        from habitd.notify import icon_path

        return str(icon_path().parent)

    @dbus_property(access=PropertyAccess.READ)
    def WindowId(self) -> "i":
        return 0

    # The rest of the spec's properties, empty: hosts built on Qt (LXQt) read them all.
    @dbus_property(access=PropertyAccess.READ)
    def IconPixmap(self) -> "a(iiay)":
        return []

    @dbus_property(access=PropertyAccess.READ)
    def OverlayIconName(self) -> "s":
        return ""

    @dbus_property(access=PropertyAccess.READ)
    def OverlayIconPixmap(self) -> "a(iiay)":
        return []

    @dbus_property(access=PropertyAccess.READ)
    def AttentionIconName(self) -> "s":
        return ""

    @dbus_property(access=PropertyAccess.READ)
    def AttentionIconPixmap(self) -> "a(iiay)":
        return []

    @dbus_property(access=PropertyAccess.READ)
    def AttentionMovieName(self) -> "s":
        return ""

    @dbus_property(access=PropertyAccess.READ)
    def ToolTip(self) -> "(sa(iiay)ss)":
        # The first line is the title: hosts that show only the title (LXQt) show it.
        first, _, rest = self.tray.tooltip().partition("\n")
        return [self.tray.icon(), [], first, rest]

    @dbus_property(access=PropertyAccess.READ)
    def ItemIsMenu(self) -> "b":
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Menu(self) -> "o":
        return MENU_PATH

    @method()
    def Activate(self, x: "i", y: "i") -> None:
        self.tray.clicked(1)  # a click on the icon itself: help, at once

    @method()
    def SecondaryActivate(self, x: "i", y: "i") -> None:
        pass

    @method()
    def ContextMenu(self, x: "i", y: "i") -> None:
        pass

    @method()
    def Scroll(self, delta: "i", orientation: "s") -> None:
        pass

    @signal()
    def NewToolTip(self) -> None:
        pass

    @signal()
    def NewIcon(self) -> None:
        pass

    @signal()
    def NewStatus(self, status: "s") -> "s":
        return status


class Menu(ServiceInterface):
    """The menu, in dbusmenu's terms."""

    def __init__(self, tray: Any) -> None:
        super().__init__("com.canonical.dbusmenu")
        self.tray = tray

    @dbus_property(access=PropertyAccess.READ)
    def Version(self) -> "u":
        return 3

    @dbus_property(access=PropertyAccess.READ)
    def TextDirection(self) -> "s":
        return "ltr"

    @dbus_property(access=PropertyAccess.READ)
    def Status(self) -> "s":
        return "normal"

    @dbus_property(access=PropertyAccess.READ)
    def IconThemePath(self) -> "as":
        return []

    @method()
    def GetLayout(self, parent: "i", depth: "i", names: "as") -> "u(ia{sv}av)":
        return [self.tray.revision, self.tray.subtree(parent, depth, names).value]

    @method()
    def GetGroupProperties(self, ids: "ai", names: "as") -> "a(ia{sv})":
        return self.tray.properties(ids, names)

    @method()
    def Event(self, number: "i", event: "s", data: "v", timestamp: "u") -> None:
        if event == "clicked":
            self.tray.clicked(number, timestamp)

    @method()
    def EventGroup(self, events: "a(isvu)") -> "ai":
        # What libdbusmenu hosts (XFCE, Unity, GNOME's extension) send for a click; the
        # answer lists the ids not found.
        unknown = []
        for number, event, _data, timestamp in events:
            if not self.tray.has_item(number):
                unknown.append(number)
            elif event == "clicked":
                self.tray.clicked(number, timestamp)
        return unknown

    @method()
    def AboutToShow(self, number: "i") -> "b":
        return False

    @method()
    def AboutToShowGroup(self, ids: "ai") -> "aiai":
        return [[], []]

    @signal()
    def LayoutUpdated(self, revision: "u", parent: "i") -> "ui":
        return [revision, parent]
