"""Desktop notifications end to end: the real daemon, a private D-Bus session bus and a
notification server that records every Notify and clicks like a person would."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from habitd.testing.dbus_services import (
    ALL_CAPABILITIES,
    NotificationServer,
    Shown,
    StatusNotifierWatcher,
)
from habitd.testing.desktop import Dunst, SessionBus, TrayHost

from .conftest import BASE_CONFIG, Env, wait_for

CONFIG = (
    BASE_CONFIG.replace('notifier = "log"', 'notifier = "auto"')
    + """
[[nudge]]
id = "journal"
date = "2100-01-01 05:00"
title = "How did today feel?"
body = "One feeling, and what set it off."
snooze = "2s"
[nudge.options]
reply = "Write"
"""
)


@pytest.fixture
def server(session_bus: SessionBus) -> Iterator[NotificationServer]:
    """A notification server with every capability, on the private bus."""
    running = NotificationServer(session_bus.address).start()
    yield running
    running.stop()


def _start(env: Env, config: str = CONFIG) -> None:
    env.write_config(config)
    env.start_daemon(notifier="auto")


def _shown(server: NotificationServer, count: int) -> Shown:
    wait_for(lambda: len(server.shown) >= count)
    return server.shown[count - 1]


def _events(env: Env) -> list[tuple[str | None, str]]:
    return [(e["nudge"], e["event"]) for e in env.history()]


def test_a_nudge_is_a_native_notification_with_buttons(
    env: Env, server: NotificationServer
) -> None:
    _start(env)
    status = env.ok("status", "--json").json()
    assert status["notifier"] == "desktop"
    assert status["notifier_reason"] == "notification server answered"
    sent = env.ok("trigger", "morning", "--json").json()
    assert sent["notifier"] == "desktop" and sent["delivered"] is True
    shown = _shown(server, 1)
    assert shown.app_name == "habitd"
    assert shown.app_icon.startswith("file://") and shown.app_icon.endswith("habitd.svg")
    assert (shown.summary, shown.body) == ("A quiet minute", "Breathe.")
    # keyed by words (a menu such as dunst's shows the keys); no hidden body-click action,
    # which a drop-down such as LXQt's would count as the first choice
    assert shown.actions == {"done": "Done", "snoozed": "Snooze", "skipped": "Skip"}
    assert shown.urgency == 1
    assert shown.timeout == 0  # it stays until answered


def test_done_snooze_skip_click_dismiss_from_the_notification(
    env: Env, server: NotificationServer
) -> None:
    _start(env)
    env.ok("trigger", "morning")
    server.press(_shown(server, 1), "Done")
    wait_for(lambda: ("morning", "done") in _events(env))
    done = next(e for e in env.history() if e["event"] == "done")
    assert done["habit"] == "meditate" and done["detail"]["source"] == "notification"
    marks = sqlite3.connect(env.db).execute("SELECT habit, state FROM checks").fetchall()
    assert marks == [("meditate", "done")]

    assert _shown(server, 2).summary == "Milestone: 1 day"  # day one, celebrated

    env.ok("trigger", "morning")
    server.press(_shown(server, 3), "Skip")
    wait_for(lambda: _events(env)[-1] == ("morning", "skipped"))

    env.ok("trigger", "evening")  # closed unanswered, or its time ran out: said as such
    server.dismiss(_shown(server, 4))
    wait_for(lambda: _events(env)[-1] == ("evening", "dismissed"))

    env.ok("trigger", "evening")
    server.expire(_shown(server, 5))
    wait_for(lambda: _events(env)[-1] == ("evening", "expired"))

    # Snooze: the nudge comes back after its snooze time (2s here) as a new notification.
    env.ok("trigger", "journal")
    server.press(_shown(server, 6), "Snooze")
    wait_for(lambda: _events(env)[-1] == ("journal", "snoozed"))
    again = _shown(server, 7)
    assert again.summary == "How did today feel?"
    assert env.history()[-1]["detail"]["cause"] == "snoozed"


def test_an_unanswered_nudge_is_replaced_not_stacked(env: Env, server: NotificationServer) -> None:
    _start(env)
    env.ok("trigger", "morning")
    first = _shown(server, 1)
    env.ok("trigger", "morning")
    _shown(server, 2)
    assert first.closed is True
    env.ok("trigger", "evening")
    assert [s.closed for s in server.shown] == [True, False, False]
    # snoozed from the terminal while still on screen: when it comes back, it replaces itself
    env.ok("snooze", "evening", "1s")
    wait_for(lambda: len(server.shown) == 4)
    assert server.shown[3].summary == "Evening check"
    assert [s.closed for s in server.shown] == [True, False, True, False]


def test_an_inline_reply_becomes_a_journal_entry(env: Env, server: NotificationServer) -> None:
    _start(env)
    env.ok("trigger", "journal")
    shown = _shown(server, 1)
    assert shown.actions["inline-reply"] == "Write"
    assert shown.hints["x-kde-reply-submit-button-text"] == "Save"
    server.reply(shown, "Tense at work, then a good walk.")
    wait_for(lambda: ("journal", "replied") in _events(env))
    entries = sqlite3.connect(env.db).execute("SELECT kind, note FROM entries").fetchall()
    assert entries == [("journal", "Tense at work, then a good walk.")]


@pytest.mark.parametrize(
    "capabilities", [("body",), tuple(c for c in ALL_CAPABILITIES if c != "inline-reply")]
)
def test_what_is_sent_follows_the_servers_capabilities(
    env: Env, session_bus: SessionBus, capabilities: tuple[str, ...]
) -> None:
    server = NotificationServer(session_bus.address, capabilities).start()
    try:
        _start(env)
        env.ok("trigger", "morning")
        env.ok("trigger", "journal")
        morning, journal = _shown(server, 1), _shown(server, 2)
        assert "inline-reply" not in journal.actions
        if "actions" in capabilities:
            # no reply field: Write (which opens the journal) instead of a Done that would
            # look like an answer to the question
            assert journal.actions == {"write": "Write", "snoozed": "Snooze"}
            assert morning.body == "Breathe."
        else:
            assert [label for label in morning.actions.values() if label] == []
            assert morning.body == "Breathe.\n\nAnswer with: habitd done meditate"
            assert journal.body.endswith("Answer with: habitd snooze journal")
    finally:
        server.stop()


URGENT = """
from habitd import hookimpl
from habitd.contract import Message

@hookimpl
def habitd_nudge_kinds():
    return ["urgent"]

@hookimpl
def habitd_compose(nudge, ctx):
    if nudge.kind == "urgent":
        return Message(title="Reach out now", body="Sam: call 555-0100", urgency="critical")
"""


def test_urgency_comes_from_the_message(env: Env, server: NotificationServer) -> None:
    env.add_plugin("urgent", URGENT)
    _start(
        env, CONFIG + '\n[[nudge]]\nid = "escalate"\nkind = "urgent"\ndate = "2100-01-01 06:00"\n'
    )
    env.ok("trigger", "escalate")
    urgent = _shown(server, 1)
    assert urgent.urgency == 2
    assert urgent.timeout == 0  # never expires: it stays until answered or closed
    assert urgent.hints["resident"] is True  # the server has persistence: kept after an action
    server.expire(urgent)  # a server that expires it anyway: it is shown again
    assert _shown(server, 2).summary == "Reach out now"
    assert "expired" not in [event for _nudge, event in _events(env)]
    env.ok("trigger", "morning")
    assert _shown(server, 3).timeout == 0  # an ordinary nudge stays until answered too...
    assert "resident" not in _shown(server, 3).hints


def test_nudge_timeout_lets_nudges_go_and_says_so(env: Env, server: NotificationServer) -> None:
    _start(env, CONFIG.replace("[habitd]", '[habitd]\nnudge_timeout = "45s"'))
    env.ok("trigger", "morning")
    shown = _shown(server, 1)
    assert shown.timeout == 45_000  # ...unless the person sets a time
    server.expire(shown)
    wait_for(lambda: ("morning", "expired") in _events(env))
    env.write_config(CONFIG.replace("[habitd]", '[habitd]\nnudge_timeout = "soon"'))
    refused = env.cli("reload")
    assert refused.rc != 0 and "nudge_timeout" in refused.err


def test_an_answer_to_a_notification_from_before_a_restart_is_ignored(
    env: Env, server: NotificationServer
) -> None:
    _start(env)
    env.ok("trigger", "morning")
    old = _shown(server, 1)
    assert env.daemons[0].stop() == 0
    daemon = env.start_daemon(notifier="auto")
    env.ok("trigger", "evening")  # the new run has a notification of its own
    _shown(server, 2)
    server.press(old, "Done")
    wait_for(lambda: "which this run of habitd did not show" in daemon.log)
    assert ("morning", "done") not in _events(env)
    assert sqlite3.connect(env.db).execute("SELECT count(*) FROM checks").fetchone() == (0,)


def test_no_bus_means_the_log_and_the_daemon_lives(env: Env) -> None:
    env.write_config(CONFIG)
    env.start_daemon(notifier="auto")
    status = env.ok("status", "--json").json()
    assert status["notifier"] == "log"
    assert status["notifier_reason"].startswith("falling back to the log: no notification server")
    assert env.ok("trigger", "morning", "--json").json()["notifier"] == "log"


def test_no_notification_server_on_the_bus(env: Env, session_bus: SessionBus) -> None:
    _start(env)
    status = env.ok("status", "--json").json()
    assert status["notifier"] == "log"
    assert (
        "ServiceUnknown" in status["notifier_reason"] or "not provided" in status["notifier_reason"]
    )


@pytest.mark.parametrize("mode", ["auto", "desktop"])
def test_a_refused_nudge_goes_to_the_log_and_the_next_is_tried_again(
    env: Env, server: NotificationServer, mode: str
) -> None:
    env.write_config(CONFIG)
    daemon = env.start_daemon(notifier=mode)
    server.refusing = True
    env.ok("trigger", "morning")
    if mode == "auto":  # the log shows it instead
        wait_for(lambda: "nudge morning: shown" in daemon.log)
    else:
        wait_for(lambda: "could not deliver nudge morning" in daemon.log)
        assert "too many notifications" in daemon.log  # the server's own words
    server.refusing = False
    again = env.ok("trigger", "evening", "--json").json()
    assert again["notifier"] == "desktop" and again["delivered"] is True
    assert _shown(server, 1).summary == "Evening check"


def test_bus_address_found_in_the_runtime_dir(env: Env, server: NotificationServer) -> None:
    del env.environ["DBUS_SESSION_BUS_ADDRESS"]  # as under systemd: only $XDG_RUNTIME_DIR/bus
    _start(env)
    assert env.ok("status", "--json").json()["notifier"] == "desktop"
    env.ok("trigger", "morning")
    assert _shown(server, 1).summary == "A quiet minute"


def test_the_bus_dies_and_comes_back(env: Env, session_bus: SessionBus) -> None:
    server = NotificationServer(session_bus.address).start()
    _start(env)
    env.ok("trigger", "morning")
    _shown(server, 1)
    server.stop()
    session_bus.stop()

    fallback = env.ok("trigger", "evening", "--json").json()
    assert fallback["notifier"] == "log" and fallback["delivered"] is True
    assert "nudge evening: shown" in env.daemons[0].log
    assert env.ok("status", "--json").json()["notifier"] == "log"

    session_bus.start()
    server = NotificationServer(session_bus.address).start()
    try:
        back = env.ok("trigger", "evening", "--json").json()
        assert back["notifier"] == "desktop"
        assert _shown(server, 1).summary == "Evening check"
        assert env.ok("status", "--json").json()["notifier"] == "desktop"
    finally:
        server.stop()


def test_dunst_shows_the_nudge(env: Env, dunst: Dunst, tmp_path: Path) -> None:
    """A real notification server on a (virtual) screen shows what habitd sends."""
    _start(env)
    assert env.ok("status", "--json").json()["notifier"] == "desktop"
    env.ok("trigger", "journal")
    wait_for(lambda: dunst.displayed() == 1)
    picture = dunst.display.screenshot(tmp_path / "nudge.png")
    assert picture.stat().st_size > 1000
    dunst.ctl("close-all")
    wait_for(lambda: dunst.history())
    [shown] = dunst.history()
    assert shown["appname"] == "habitd"
    assert shown["summary"] == "How did today feel?"
    assert shown["body"] == "One feeling, and what set it off."
    assert shown["icon_path"].endswith("habitd.svg")
    wait_for(lambda: ("journal", "dismissed") in _events(env))


def _doctor(env: Env) -> dict[str, dict[str, object]]:
    result = env.cli("doctor", "--json")
    assert result.rc in (0, 1), result.err
    return {finding["check"]: finding for finding in result.json()}


def test_doctor_with_a_working_desktop(env: Env, server: NotificationServer) -> None:
    _start(env)
    findings = _doctor(env)
    assert findings["session bus"]["ok"] is True
    server_info = findings["notification server"]
    assert server_info["ok"] is True
    assert str(server_info["detail"]).startswith("habitd-test-server 1.0 by habitd (spec 1.2)")
    assert "inline-reply" in str(server_info["detail"])
    assert findings["answer buttons"]["ok"] is True
    assert findings["daemon"]["ok"] is True and findings["config"]["ok"] is True
    unit = findings["systemd unit"]  # optional while the daemon runs by hand
    assert unit["ok"] is True and "optional: the daemon runs" in str(unit["detail"])
    assert "habitd service install" in str(unit["fix"])


def test_doctor_names_each_problem_and_its_fix(env: Env) -> None:
    env.write_config('[[nudge]]\nid = "x"\nat = ["8:61"]\n')
    env.db.parent.mkdir(parents=True)
    env.db.parent.chmod(0o755)
    findings = _doctor(env)
    assert env.cli("doctor").rc == 1
    assert findings["session bus"]["ok"] is False
    assert "DBUS_SESSION_BUS_ADDRESS" in str(findings["session bus"]["fix"])
    assert findings["daemon"] == {
        "check": "daemon",
        "ok": False,
        "detail": "not running",
        "fix": "habitd run (or: systemctl --user start habitd)",
    }
    config = findings["config"]
    assert config["ok"] is False
    assert str(config["detail"]).startswith(f"{env.config_file}:3:6: nudge[0].at: item 0:")
    folder = findings[f"folder {env.db.parent}"]
    assert (folder["ok"], folder["fix"]) == (False, f"chmod 700 {env.db.parent}")


def test_doctor_without_a_notification_server(env: Env, session_bus: SessionBus) -> None:
    findings = _doctor(env)
    assert findings["session bus"]["ok"] is True
    assert findings["notification server"]["ok"] is False
    assert "ServiceUnknown" in str(findings["notification server"]["detail"])
    assert 'notifier = "log"' in str(findings["notification server"]["fix"])


def test_an_answered_nudge_closes_and_a_click_opens_its_command(
    env: Env, session_bus: SessionBus, tmp_path: Path
) -> None:
    """A server that leaves a notification up after an action (dunst does, from its menu):
    habitd closes it once answered. Clicking the body opens the nudge's command in the
    configured terminal."""
    server = NotificationServer(session_bus.address, closes_on_action=False).start()
    try:
        opened = tmp_path / "opened"
        terminal = tmp_path / "terminal.sh"
        terminal.write_text(f'#!/bin/sh\necho "$@" > {opened}\n')
        terminal.chmod(0o755)
        config = CONFIG.replace('notifier = "auto"', f'notifier = "auto"\nterminal = "{terminal}"')
        _start(
            env, config + '[[nudge]]\nid = "write"\nkind = "journal"\ndate = "2100-01-02 05:00"\n'
        )
        env.ok("trigger", "evening")
        first = _shown(server, 1)
        server.press(first, "Done")
        wait_for(lambda: first.id in server.closed_by_client)  # off the screen once answered
        wait_for(lambda: ("evening", "done") in _events(env))
        env.ok("trigger", "write")  # a journal prompt: a click opens `habitd journal`
        second = _shown(server, 2)
        server.click(second)
        wait_for(opened.exists)
        assert opened.read_text().strip() == "habitd journal"
        wait_for(lambda: second.id in server.closed_by_client)
    finally:
        server.stop()


def test_dunst_takes_an_answered_nudge_off_the_screen(
    env: Env, dunst: Dunst, tmp_path: Path
) -> None:
    """Choosing Done in dunst's context menu answers the nudge on screen; habitd records it
    and the nudge goes. The menu shows the buttons by their words, not internal ids."""
    _start(env)
    env.ok("trigger", "evening")
    wait_for(lambda: dunst.displayed() == 1)
    dunst.display.screenshot(tmp_path / "before.png")
    offered = dunst.choose("Done")
    assert [line for line in offered if "habitd-" in line] == []
    assert len([line for line in offered if "Done" in line or "Snooze" in line]) >= 2, offered
    wait_for(lambda: ("evening", "done") in _events(env))
    wait_for(lambda: dunst.displayed() == 0)
    after = dunst.display.screenshot(tmp_path / "after.png")
    assert after.stat().st_size > 0
    buttons = _doctor(env)["answer buttons"]  # where dunst puts the buttons, said plainly
    assert buttons["ok"] is True and "context menu" in str(buttons["detail"])


def _tray_call(bus: str, service: str, member: str, signature: str = "", body: tuple = ()) -> Any:
    from habitd import dbus

    return asyncio.run(
        dbus.call(
            service, "/MenuBar", "com.canonical.dbusmenu", member, signature, body, address=bus
        )
    )


def _item(bus: str, service: str, name: str) -> Any:
    from habitd import dbus

    return asyncio.run(
        dbus.get_property(
            service, "/StatusNotifierItem", "org.kde.StatusNotifierItem", name, address=bus
        )
    )


def _menu(bus: str, service: str) -> dict[str, int]:
    """Every item's label -> id, submenus included, read as libdbusmenu hosts (XFCE,
    GNOME's extension) read it: the layout's ids, then their properties as a group."""
    _revision, layout = _tray_call(bus, service, "GetLayout", "iias", (0, -1, []))
    numbers: list[int] = []

    def walk(node: Any) -> None:
        numbers.append(node[0])
        for child in node[2]:
            walk(child.value)

    walk(layout)
    [group] = _tray_call(bus, service, "GetGroupProperties", "aias", (numbers, []))
    assert sorted(number for number, _props in group) == sorted(numbers)  # none left out
    return {props["label"].value: number for number, props in group if "label" in props}


def _checked(bus: str, service: str, number: int) -> bool:
    """Whether the host draws this item's check box ticked."""
    [[[_number, props]]] = _tray_call(
        bus, service, "GetGroupProperties", "aias", ([number], ["toggle-state"])
    )
    return bool(props["toggle-state"].value)


def test_the_tray_item_shows_and_its_menu_acts(
    env: Env, session_bus: SessionBus, server: NotificationServer, tmp_path: Path
) -> None:
    from dbus_fast import Variant

    opened = tmp_path / "opened"
    programs = tmp_path / "bin"  # an xdg-open that notes what it was asked to open
    programs.mkdir()
    (programs / "xdg-open").write_text(f'#!/bin/sh\necho "$@" > {opened}\n')
    (programs / "xdg-open").chmod(0o755)
    env.environ["PATH"] = f"{programs}{os.pathsep}{env.environ['PATH']}"
    watcher = StatusNotifierWatcher(session_bus.address).start()
    env.add_plugin("water", TRAY_PLUGIN)
    nowhere = 'notifier = "auto"\nterminal = "/nonexistent/terminal -e"'  # none to open
    try:
        _start(env, CONFIG.replace('notifier = "auto"', nowhere) + KRATOM_FREE)
        service = wait_for(lambda: watcher.items)[0]  # registered as the daemon started
        bus = session_bus.address
        assert _item(bus, service, "IconName") == "habitd"
        _icon, _pixmaps, title, text = _item(bus, service, "ToolTip")
        assert title == "Kratom-free: a new start"  # the first line, for title-only hosts
        assert text.startswith("0 of 3 habits today\nnext: ")
        menu = _menu(bus, service)
        assert {"Help now", "Breathe", "Pause 1 hour", "Meditate", "Open the report"} <= set(menu)
        submenu = (menu["Today's habits"], -1, ["label"])  # Qt hosts ask for each submenu
        _revision, habits = _tray_call(bus, service, "GetLayout", "iias", submenu)
        assert habits[0] == menu["Today's habits"]
        assert [c.value[1] for c in habits[2]] == [
            {"label": Variant("s", "Meditate")},
            {"label": Variant("s", "Go for a walk")},
            {"label": Variant("s", "Kratom-free")},
        ]

        def click(label: str) -> None:  # as Qt hosts (KDE, LXQt) send it
            _tray_call(bus, service, "Event", "isvu", (menu[label], "clicked", Variant("i", 0), 0))

        def click_in_group(label: str) -> None:  # as libdbusmenu hosts send it
            event = [menu[label], "clicked", Variant("i", 0), 0]
            assert _tray_call(bus, service, "EventGroup", "a(isvu)", ([event],)) == [[]]

        click("Pause 1 hour")
        wait_for(lambda: env.ok("status", "--json").json()["paused_until"])
        assert _item(bus, service, "IconName") == "habitd-paused"
        assert "Resume" in _menu(bus, service)
        assert not _checked(bus, service, menu["Meditate"])
        click_in_group("Meditate")
        wait_for(lambda: ("meditate", "done") in [(e["habit"], e["event"]) for e in env.history()])
        assert _checked(bus, service, menu["Meditate"])
        click("Kratom-free")
        wait_for(lambda: _item(bus, service, "ToolTip")[2] == "Kratom-free: 1 day")
        gone = [9999, "clicked", Variant("i", 0), 0]  # an id the menu does not have: said
        assert _tray_call(bus, service, "EventGroup", "a(isvu)", ([gone],)) == [[9999]]
        # Any bus client may ask about ids that are not there: plain answers, nothing breaks
        _revision, nowhere = _tray_call(bus, service, "GetLayout", "iias", (9999, -1, []))
        assert list(nowhere) == [9999, {}, []]
        assert _tray_call(bus, service, "GetGroupProperties", "aias", ([9999], [])) == [[]]
        _tray_call(bus, service, "Event", "isvu", (9999, "clicked", Variant("i", 0), 0))
        assert _item(bus, service, "IconName") == "habitd-paused"  # still answering
        # one click sent twice (as Event and as EventGroup, the host's same timestamp) is
        # one write; the history says "done" once
        walk = [menu["Go for a walk"], "clicked", Variant("i", 0), 4242]
        _tray_call(bus, service, "Event", "isvu", walk)
        _tray_call(bus, service, "EventGroup", "a(isvu)", ([walk],))

        def walks() -> list[str]:
            return [e["event"] for e in env.history() if e["habit"] == "walk"]

        wait_for(lambda: "done" in walks())
        click("Help now")
        urgent = wait_for(lambda: [s for s in server.shown if s.urgency == 2])
        assert walks().count("done") == 1, walks()
        assert urgent[0].summary == "You don't have to ride this alone"
        assert env.ok("status", "--json").json()["tray"].startswith("shown by the tray host")
        click("A glass of water")  # a plugin's own item, run in its worker
        wait_for(lambda: _water(env) == 1)
        click("Open the report")  # written, then opened in the browser
        wait_for(opened.exists)
        report = Path(opened.read_text().strip())
        assert report.name == "report.html" and "<html" in report.read_text()
        assert oct(report.stat().st_mode & 0o777) == "0o600"
        click("Breathe")  # no terminal to open it in: a notification says what to run
        said = wait_for(lambda: [s for s in server.shown if s.body == "habitd breathe"])
        assert said[0].summary == "Open a terminal and run:"
    finally:
        watcher.stop()


KRATOM_FREE = """
[[habit]]
id = "kratom-free"
name = "Kratom-free"
type = "abstain"
"""

TRAY_PLUGIN = """
from habitd.plugin import TrayItem, hookimpl

@hookimpl
def habitd_tray_items(ctx):
    def drink():
        ctx.state.set("glasses", ctx.state.get("glasses", 0) + 1)
    return [TrayItem("A glass of water", drink)]
"""


def _water(env: Env) -> int:
    with sqlite3.connect(env.db) as db:
        row = db.execute(
            "SELECT value FROM plugin_state WHERE plugin = 'water' AND key = 'glasses'"
        ).fetchone()
    return int(row[0]) if row else 0


def _top_menu(bus: str, service: str) -> list[str]:
    """The top level's labels in order, as the keyboard walks them (separators skipped)."""
    _revision, layout = _tray_call(bus, service, "GetLayout", "iias", (0, 1, []))
    return [c.value[1]["label"].value for c in layout[2] if "label" in c.value[1]]


def test_a_real_tray_host_draws_the_menu_and_choosing_from_it_acts(
    env: Env, tray_host: TrayHost, dunst: Dunst, tmp_path: Path
) -> None:
    """XFCE's panel (GTK and libdbusmenu, as GNOME's extension) and LXQt's (Qt and
    libdbusmenu-qt, as KDE Plasma) show the item; a person opens its menu with a click and
    chooses with the keyboard: a pause, then Help now (which a pause never holds back),
    then a habit from the submenu."""
    opened = tmp_path / "opened"
    terminal = tmp_path / "terminal.sh"
    terminal.write_text(f'#!/bin/sh\necho "$@" >> {opened}\n')
    terminal.chmod(0o755)
    env.write_config(
        CONFIG.replace('notifier = "auto"', f'notifier = "auto"\nterminal = "{terminal}"') + SAM
    )
    (tmp_path / "bin").mkdir()
    env.environ["PATH"] = str(tmp_path / "bin")  # nothing here opens a web page
    env.start_daemon(notifier="auto")
    shown = wait_for(
        lambda: (tray := env.ok("status", "--json").json()["tray"]).startswith("shown by") and tray
    )
    service = shown.split("(")[1].rstrip(")")
    bus = dunst.address

    def choose(label: str, *then: str) -> None:
        tray_host.open_menu()
        assert tray_host.menu_open()
        steps = _top_menu(bus, service).index(label) + 1
        tray_host.keys(*["Down"] * steps, *then, "Return")
        wait_for(lambda: not tray_host.menu_open())

    choose("Pause 1 hour")
    wait_for(lambda: env.ok("status", "--json").json()["paused_until"])
    wait_for(lambda: _item(bus, service, "IconName") == "habitd-paused")

    choose("Help now")
    [help_now] = wait_for(lambda: _closed(dunst, "You don't have to ride this alone"))
    assert help_now["body"].startswith("Reach Sam: call or text 555-0100.")
    assert "emergency number" in help_now["body"]  # the crisis line, always
    assert help_now["timeout"] == 0  # critical: it stays until the person closes it
    wait_for(lambda: opened.exists() and "habitd help-now" in opened.read_text())

    choose("Today's habits", "Right")  # the submenu opens on its first habit: Meditate
    wait_for(lambda: ("meditate", "done") in [(e["habit"], e["event"]) for e in env.history()])
    assert env.ok("status", "--json").json()["paused_until"]  # and the pause stands

    choose("Open the report")  # written; with nothing to open it, where it is is said
    ready = wait_for(lambda: _closed(dunst, "Your report is ready"))
    assert Path(ready[0]["body"]).name == "report.html" and Path(ready[0]["body"]).exists()
    assert tray_host.alive()  # the host read every submenu and is still there


def _closed(dunst: Dunst, title: str) -> list[dict[str, Any]]:
    """Close what dunst shows, then find the notifications titled ``title`` among the
    closed ones (dunst's history holds only those)."""
    dunst.ctl("close-all")
    return [n for n in dunst.history() if n["summary"].startswith(title)]


SAM = """
[[support.contact]]
name = "Sam"
reach = "call or text 555-0100"
prefer_for = ["craving"]
"""


def test_without_a_tray_host_the_daemon_runs_and_a_later_host_gets_the_item(
    env: Env, session_bus: SessionBus, server: NotificationServer
) -> None:
    _start(env)
    assert env.ok("status", "--json").json()["tray"].startswith("no tray host")
    tray = _doctor(env)["tray"]  # optional, and doctor says what would show it
    assert tray["ok"] is True and "AppIndicator" in str(tray["fix"])
    watcher = StatusNotifierWatcher(session_bus.address).start()  # a panel starts later
    try:
        wait_for(lambda: watcher.items)
        wait_for(
            lambda: env.ok("status", "--json").json()["tray"].startswith("shown by the tray host")
        )
        watcher.stop()  # the panel goes away (crashed, or the session changed): said
        wait_for(lambda: env.ok("status", "--json").json()["tray"].startswith("no tray host"))
    finally:
        watcher.stop()


def test_without_a_reply_field_write_opens_the_journal_with_the_question(
    env: Env, session_bus: SessionBus, tmp_path: Path
) -> None:
    server = NotificationServer(
        session_bus.address, tuple(c for c in ALL_CAPABILITIES if c != "inline-reply")
    ).start()
    try:
        opened = tmp_path / "opened"
        terminal = tmp_path / "terminal.sh"
        terminal.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {opened}\n')
        terminal.chmod(0o755)
        _start(
            env, CONFIG.replace('notifier = "auto"', f'notifier = "auto"\nterminal = "{terminal}"')
        )
        env.ok("trigger", "journal")
        server.press(_shown(server, 1), "Write")
        wait_for(opened.exists)
        argv = opened.read_text().splitlines()
        assert argv == ["habitd", "journal", "--prompt", "One feeling, and what set it off."]
        assert ("journal", "done") not in _events(env)  # writing is what answers it
    finally:
        server.stop()
    # the command it opens asks that question first and keeps it with the entry
    env.ok("journal", "--prompt", "One feeling, and what set it off.", "--note", "tired, then ok")
    (entry,) = env.ok("entries", "--json").json()
    assert (entry["prompt"], entry["note"]) == (
        "One feeling, and what set it off.",
        "tired, then ok",
    )


@pytest.mark.parametrize("markup", [True, False])
def test_the_urgent_message_reads_as_words_with_or_without_markup(
    env: Env, session_bus: SessionBus, markup: bool
) -> None:
    capabilities = tuple(c for c in ALL_CAPABILITIES if markup or c != "body-markup")
    server = NotificationServer(session_bus.address, capabilities).start()
    try:
        _start(
            env,
            CONFIG
            + '\n[support]\n[[support.contact]]\nname = "Sam <3 & co"\nreach = "call 555-0100"\n',
        )
        env.ok("urge", "--intensity", "10")
        urgent = wait_for(lambda: next((s for s in server.shown if s.urgency == 2), None))
        assert "`" not in urgent.body  # no literal backticks on any server
        if markup:
            assert "<b>habitd surf</b>" in urgent.body and "Sam &lt;3 &amp; co" in urgent.body
        else:
            assert "try habitd surf" in urgent.body.lower() and "Sam <3 & co" in urgent.body
    finally:
        server.stop()


def test_a_long_body_is_cut_at_a_word() -> None:
    from habitd.notify import MAX_BODY, body_text

    long = "word " * 200 + "`habitd surf`"
    cut = body_text(long, markup=False)
    assert len(cut) <= MAX_BODY and cut.endswith("word…")
    assert body_text("Try `habitd surf` now", markup=False) == "Try habitd surf now"
    assert body_text("an odd ` stays", markup=True) == "an odd ` stays"


@pytest.mark.parametrize(
    ("name", "vendor", "says"),
    [
        ("dunst", "knopwob", "context menu"),
        ("Xfce Notify Daemon", "Xfce", "Xfce's notifyd"),
        ("lxqt-notificationd", "lxqt.org", "drop-down"),
        ("Notification Daemon", "MATE", "MATE's notification daemon"),
        ("Notification Daemon", "GNOME", "GNOME's fallback notification daemon"),
        ("gnome-shell", "GNOME", "GNOME Shell"),
        ("Plasma", "KDE", "KDE Plasma"),
        ("mako", "emersion", "makoctl menu"),
        ("SwayNotificationCenter", "ErikReider", "SwayNotificationCenter"),
    ],
)
def test_doctor_knows_the_servers_people_run(name: str, vendor: str, says: str) -> None:
    from habitd.doctor import how_actions_show

    assert says in how_actions_show(name, vendor)
    assert "Write button" in how_actions_show(name, vendor)
    assert "reply field takes your answer" in how_actions_show(name, vendor, ["inline-reply"])
