"""Support: reach-out nudges and their timing, fair rotation, escalation and its limits,
appointment reminders across DST, private details kept out of logs, help-now offline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from habitd.contract import Action
from habitd.reactor import PROGRESS
from habitd.runtime import Runtime
from habitd.schedule import ShiftedTrigger, cron_trigger
from habitd.testing import TEST_ZONE, days_ago

from .conftest import Env, private_paths, wait_for

CONFIG = f"""
[habitd]
timezone = "{TEST_ZONE}"
notifier = "log"

[[habit]]
id = "kratom-free"
name = "Kratom-free"
type = "abstain"

[[nudge]]
id = "reach-out"
kind = "support"
date = "2100-01-01 03:00"

[support]
check_every = "4d"
escalate_at = 7
crisis_line = "Call 988 or your local emergency number."

[[support.contact]]
name = "Sam"
role = "sponsor"
reach = "call or text 555-0100"
prefer_for = ["craving"]

[[support.contact]]
name = "Ana"
role = "friend"
reach = "555-0199"
prefer_for = ["lonely"]

[[support.appointment]]
name = "Group meeting"
cron = "0 19 * * tue"
remind_before = "1h"
"""


def _in_process(
    tmp_path: Path, scenario: Callable[[Runtime, Any], Coroutine[Any, Any, Any]], start: datetime
) -> Any:
    """Run ``scenario(runtime, clock)`` on a daemon's runtime in this loop, the clock fixed
    at ``start``."""
    paths = private_paths(tmp_path, CONFIG)

    async def run() -> Any:
        with time_machine.travel(start, tick=False) as clock:
            runtime = await Runtime.start(paths, "log")
            try:
                return await scenario(runtime, clock)
            finally:
                await runtime.stop()

    return asyncio.run(run())


@pytest.mark.clock
def test_reach_out_waits_while_someone_was_reached_and_rotates_fairly(tmp_path: Path) -> None:
    async def scenario(runtime: Runtime, clock: Any) -> list[Any]:
        app = runtime.app
        seen = []
        first = await app.fire("reach-out", cause="test")
        seen.append((first["status"], first["message"]["title"]))
        await app.dispatch("support.reached", {"name": "sam"})  # case-insensitive
        clock.shift(timedelta(days=1))
        seen.append((await app.fire("reach-out", cause="test"))["status"])
        clock.shift(timedelta(days=4))
        later = await app.fire("reach-out", cause="test")
        seen.append((later["status"], later["message"]["title"]))  # Ana: reached least lately
        await app.dispatch("support.reached", {"name": "Ana", "how": "text"})
        clock.shift(timedelta(days=5))
        seen.append((await app.fire("reach-out", cause="test"))["message"]["title"])  # Sam again
        return seen

    seen = _in_process(tmp_path, scenario, datetime(2026, 6, 1, 12, tzinfo=UTC))
    assert seen == [
        ("fired", "How about a word with Sam?"),
        "dropped",
        ("fired", "How about a word with Ana?"),
        "How about a word with Sam?",
    ]


@pytest.mark.clock
def test_escalation_thresholds_rate_limit_and_pause(tmp_path: Path) -> None:
    async def scenario(runtime: Runtime, clock: Any) -> list[int]:
        app = runtime.app
        counts = []

        async def escalations() -> int:
            await runtime.settle()  # the daemon's reactions to what was just written
            return len([e for e in app.store.events() if e.event == "escalated"])

        await app.dispatch("entry_add", {"kind": "urge", "fields": {"craving": 6}})
        counts.append(await escalations())  # below escalate_at
        await app.dispatch("entry_add", {"kind": "urge", "fields": {"craving": 8}})
        counts.append(await escalations())
        await app.dispatch("entry_add", {"kind": "urge", "fields": {"craving": 8}})
        counts.append(await escalations())  # within the hour, no stronger: not again
        await app.dispatch("entry_add", {"kind": "urge", "fields": {"craving": 9}})
        counts.append(await escalations())  # stronger than the last that brought help
        await app.dispatch("lapse", {"habit": "kratom-free"})
        counts.append(await escalations())  # another kind of moment has its own hour
        clock.shift(timedelta(hours=2))
        await app.dispatch("pause", {"duration": "3h"})
        await app.dispatch("entry_add", {"kind": "urge", "fields": {"craving": 9}})
        counts.append(await escalations())  # paused by the person: not unless it is 10
        await app.dispatch("entry_add", {"kind": "urge", "fields": {"craving": 10}})
        counts.append(await escalations())
        await app.dispatch("entry_add", {"kind": "urge", "fields": {"craving": 10}})
        counts.append(await escalations())  # a 10 always brings help
        reasons = [
            (e.detail.get("reason"), e.detail.get("craving"))
            for e in app.store.events()
            if e.event == "escalated"
        ]
        assert reasons == [
            ("craving", 8),
            ("craving", 9),
            ("lapse", None),
            ("craving", 10),
            ("craving", 10),
        ]
        return counts

    found = _in_process(tmp_path, scenario, datetime(2026, 6, 1, 12, tzinfo=UTC))
    assert found == [0, 1, 1, 2, 3, 3, 4, 5]


@pytest.mark.clock
def test_a_lapse_and_a_heavy_day_escalate(tmp_path: Path) -> None:
    async def scenario(runtime: Runtime, clock: Any) -> list[Any]:
        app = runtime.app
        await app.dispatch("lapse", {"habit": "kratom-free"})
        await runtime.settle()
        [lapse] = [e for e in app.store.events() if e.event == "escalated"]
        clock.shift(timedelta(hours=2))
        for _ in range(2):
            await app.dispatch(
                "entry_add", {"kind": "journal", "fields": {"emotion": "lonely", "intensity": 8}}
            )
        await runtime.settle()
        before = len([e for e in app.store.events() if e.event == "escalated"])
        await app.dispatch(
            "entry_add", {"kind": "journal", "fields": {"emotion": "sad", "intensity": 9}}
        )
        await runtime.settle()
        after = len([e for e in app.store.events() if e.event == "escalated"])
        return [lapse.title, lapse.body, before, after]

    title, body, before, after = _in_process(
        tmp_path, scenario, datetime(2026, 6, 1, 12, tzinfo=UTC)
    )
    assert title == "You don't have to ride this alone"
    assert "A slip is a moment to reach out" in body and "Call 988" in body
    assert (before, after) == (1, 2)


@pytest.mark.clock
def test_appointment_reminders_keep_local_time_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    trigger = ShiftedTrigger(cron_trigger("0 19 * * tue", berlin), -timedelta(hours=1))
    previous = None
    now = datetime(2026, 10, 14, tzinfo=berlin)
    times = []
    for _ in range(3):
        found = trigger.get_next_fire_time(previous, now)
        assert found is not None
        times.append(found.astimezone(berlin))
        previous, now = found, found + timedelta(seconds=1)
    assert [(t.day, t.hour) for t in times] == [(20, 18), (27, 18), (3, 18)]  # DST ended 25th


@pytest.fixture
def world(env: Env) -> Env:
    env.write_config(CONFIG)
    env.start_daemon()
    return env


@pytest.mark.clock
def test_contacts_reached_and_errors(world: Env) -> None:
    rows = {r["name"]: r for r in world.ok("contacts", "--json").json()}
    assert rows["Sam"]["last_reached"] is None and rows["Ana"]["role"] == "friend"
    assert "Noted: you reached Sam." in world.ok("reached", "SAM", "--how", "call").out
    assert world.ok("contacts", "--json").json()[0]["days_since"] == 0
    ancient = world.cli("reached", "Sam", "--date", "0001-01-01")
    assert ancient.rc == 1 and "is before 2000" in ancient.err and "Traceback" not in ancient.err
    unknown = world.cli("reached", "bob")
    assert unknown.rc == 1 and "no contact 'bob'; contacts: Sam, Ana" in unknown.err
    future = world.cli("reached", "ana", "--date", "2999-01-01")
    assert future.rc == 1 and "is in the future" in future.err
    assert "never" in world.ok("contacts").out


def test_personal_details_stay_out_of_the_log_even_at_debug_level(world: Env) -> None:
    """A private message (names, numbers) is logged as shown, never its words, even with
    -v (where other messages' words are logged: the chimes test in test_plugins)."""
    world.daemons[0].stop()
    daemon = world.start_daemon("-v")
    world.ok("trigger", "reach-out")
    world.ok("urge", "--intensity", "9")
    wait_for(lambda: any(e["event"] == "escalated" for e in world.history()))
    assert "nudge reach-out: shown" in daemon.log and "DEBUG" in daemon.log
    for secret in ("555-0100", "555-0199", "call or text", "Sam", "sam"):
        assert secret not in daemon.log


NO_OWN_LINE = CONFIG.replace('crisis_line = "Call 988 or your local emergency number."\n', "")
"""The test config without its own crisis_line: the listed lines for the region show."""


def _lang(env: Env, lang: str) -> None:
    """The person's locale (the first of LC_ALL, LC_MESSAGES, LANG that is set decides)."""
    env.environ.pop("LC_ALL", None)
    env.environ.pop("LC_MESSAGES", None)
    env.environ["LANG"] = lang


@pytest.mark.parametrize("mode", ["daemon", "direct"])
def test_a_strong_urge_gets_a_person_and_the_line_in_the_terminal(env: Env, mode: str) -> None:
    """At escalate_at and above, the answer to `habitd urge` is help: the person preferred
    for cravings first, how to reach them, a next step, the crisis line last."""
    env.write_config(
        CONFIG.replace('crisis_line = "Call 988 or your local emergency number."\n', "")
    )
    _lang(env, "en_US.UTF-8")
    if mode == "daemon":
        env.start_daemon()
    calm = env.ok("urge", "--intensity", "4").out
    assert "Reach" not in calm and "988" not in calm
    out = env.ok("urge", "--intensity", "8", "--trigger", "payday", "--not-acted").out
    lines = out.splitlines()
    first = next(n for n, line in enumerate(lines) if "->" in line)
    assert "Sam (sponsor): call or text 555-0100" in lines[first]
    assert "Ana (friend): 555-0199" in lines[first + 1]
    assert "habitd surf" in out
    crisis = next(n for n, line in enumerate(lines) if line.startswith("988 Suicide"))
    assert first < crisis and "1-800-662-4357" in lines[crisis]  # the people, then the line
    assert lines[-1].startswith("Saved (entry 2).")  # the help came first, before the save
    for word in ("fail", "shame", "weak", "clean"):
        assert word not in out.lower()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en_US.UTF-8", "988 Suicide & Crisis Lifeline: call or text 988"),
        ("en_GB.UTF-8", "Samaritans (free, 24/7): call 116 123"),
        ("de_DE.UTF-8", "TelefonSeelsorge"),
        ("xx_ZZ.UTF-8", "call your local emergency number now. Helplines where you are: "),
    ],
)
def test_help_now_shows_the_line_for_where_you_are(env: Env, lang: str, expected: str) -> None:
    env.write_config(
        CONFIG.replace('crisis_line = "Call 988 or your local emergency number."\n', "")
    )
    _lang(env, lang)
    out = env.ok("help-now").out
    assert expected in out.splitlines()[-1]
    data = env.ok("help-now", "--json").json()
    assert [c["name"] for c in data["contacts"]] == ["Sam", "Ana"]
    assert data["crisis"]["found_by"] == f"LANG={lang}"
    assert all(line["source"].startswith("https://") for line in data["crisis"]["lines"])
    checked = env.cli("config", "check")
    assert checked.rc == 0 and "crisis line: " in checked.err


def test_help_now_ranks_people_for_the_moment_and_the_config_decides(env: Env) -> None:
    env.write_config(CONFIG.replace("[support]", '[support]\nregion = "gb"'))
    lonely = env.ok("help-now", "--for", "lonely").out
    assert lonely.index("Ana (friend)") < lonely.index("Sam (sponsor)")
    assert "Call 988 or your local emergency number." in lonely  # crisis_line wins
    assert "Reach out now" in lonely
    env.write_config(
        CONFIG.replace('crisis_line = "Call 988 or your local emergency number."\n', "").replace(
            "[support]", '[support]\nregion = "GB"'
        )
    )
    _lang(env, "en_US.UTF-8")
    assert "116 123" in env.ok("help-now").out  # region beats the locale
    bad = env.cli("help-now", "--for", "bored")
    assert bad.rc == 2


@pytest.mark.clock
def test_a_lapse_today_answers_with_help_and_a_back_dated_one_does_not(env: Env) -> None:
    env.write_config(CONFIG)
    back = env.ok("lapse", "kratom-free", "--date", str(days_ago(3))).out
    assert "Reach" not in back and "988" not in back
    today = env.ok("lapse", "kratom-free").out
    assert "Thank you for being honest" in today
    assert "Call 988 or your local emergency number." in today.splitlines()[-1]


def test_support_settings_are_validated(env: Env) -> None:
    env.write_config(
        CONFIG.replace('role = "friend"', 'role = "buddy"').replace(
            "escalate_at = 7", "escalate_at = 12"
        )
    )
    result = env.cli("config", "check")
    assert result.rc == 1
    assert result.out.splitlines() == [
        f"{env.config_file}:18:15: support.escalate_at: expected 1 to 10, got 12",
        f"{env.config_file}:29:8: support.contact[1].role: expected one of friend, family, "
        "sponsor, therapist, group, other, got 'buddy'",
    ]


def _urge_written(env: Env, intensity: int, hours_ago: int = 0) -> None:
    """``habitd urge`` with no daemon running, its clock ``hours_ago`` behind (libfaketime)."""
    env.shifted(-hours_ago * 3600).ok("urge", "--intensity", str(intensity))


@pytest.mark.clock
def test_an_urge_written_while_the_daemon_was_down_is_answered_when_it_starts(env: Env) -> None:
    """Direct mode only writes; the daemon reacts at start, to what is still about now."""
    env.write_config(CONFIG)
    _urge_written(env, 8, hours_ago=3)  # history by the time anyone could answer it
    _urge_written(env, 9)
    assert [e["event"] for e in env.history()] == []  # no reaction without a daemon
    env.start_daemon()
    wait_for(lambda: [e["event"] for e in env.history()] == ["escalated"])
    [escalation] = env.history()
    assert "That is a strong urge (9/10)" in escalation["body"]
    assert "Reach Sam" in escalation["body"]
    env.daemons[-1].stop()
    env.start_daemon()  # a restart reacts to nothing twice
    assert env.ok("status", "--json").json()["running"]
    assert [e["event"] for e in env.history()] == ["escalated"]


@pytest.mark.clock
def test_a_back_dated_lapse_never_escalates(world: Env) -> None:
    """Filling in a lapse from days ago uses up nothing: the urge right after still gets the
    urgent message (reactions run in order, so the lapse's came first)."""
    world.ok("lapse", "kratom-free", "--date", str(days_ago(4)))
    world.ok("urge", "--intensity", "9")
    wait_for(lambda: "escalated" in [e["event"] for e in world.history()])
    [escalation] = [e for e in world.history() if e["event"] == "escalated"]
    assert "That is a strong urge (9/10)" in escalation["body"]
    assert "Reach Sam: call or text 555-0100" in escalation["body"]  # preferred for cravings
    assert escalation["detail"]["reason"] == "craving"


def test_i_reached_out_on_the_urgent_message_counts(
    env: Env, habitd_notification_server: Any
) -> None:
    """The urgent message's buttons are answers too: "I reached out" logs the person it
    named (it used to be dropped as an answer to an unknown nudge)."""
    server = habitd_notification_server
    env.write_config(CONFIG.replace('notifier = "log"', 'notifier = "auto"'))
    env.start_daemon(notifier="auto")
    env.ok("urge", "--intensity", "9")
    urgent = wait_for(
        lambda: next((s for s in server.shown if s.summary.startswith("You don't")), None)
    )
    assert "Reach Sam: call or text 555-0100" in urgent.body
    server.press(urgent, "I reached out")
    wait_for(lambda: env.ok("contacts", "--json").json()[0]["days_since"] == 0)


COUNTED = CONFIG + '\n[[habit]]\nid = "connect"\nname = "Connect"\n'


def test_a_reaction_repeated_after_a_crash_writes_nothing_twice(tmp_path: Path) -> None:
    """ "I reached out" logs the person and marks the nudge's habit in a reaction. A crash
    after the reaction wrote, before its progress was saved, repeats it at the next start:
    its writes carry keys made of the change it reacts to, so still one row of each."""
    paths = private_paths(tmp_path, COUNTED)

    async def scenario() -> tuple[int, int]:
        runtime = await Runtime.start(paths, "log")
        app = runtime.app
        await app.write(partial(app.store.set_state, "support", "suggested", "Sam"))
        press = Action("reached", nudge="reach-out", habit="connect", source="notification")
        await app.write(partial(app.core.record_action, press, "the-press"))
        await runtime.settle()
        # the crash: as if no reaction had finished, then a new start
        await app.write(partial(app.store.set_state, *PROGRESS, 0), react=False)
        await runtime.stop()
        runtime = await Runtime.start(paths, "log")
        app = runtime.app
        await runtime.settle()
        logged = app.store.reader().execute("SELECT count(*) FROM contacts_log").fetchone()[0]
        marks = len(app.store.check_rows("connect"))
        await runtime.stop()
        return int(logged), marks

    assert asyncio.run(scenario()) == (1, 1)


STUCK_PLUGIN = '''
import time

from habitd import hookimpl


@hookimpl
def habitd_on_entry(entry, ctx):
    """Blocks (a plain sleep: no cancellation reaches it) until the test lets it go."""
    folder = ctx.config_dir / "plugins"
    (folder / "stuck.blocking").write_text(str(entry.id))
    deadline = time.monotonic() + 20
    while not (folder / "stuck.release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@hookimpl
def habitd_status(ctx):
    return {"fine": True}
'''


def test_help_after_a_craving_never_waits_for_a_plugin_blocked_in_on_entry(env: Env) -> None:
    """A plugin blocks in habitd_on_entry. The urgent help after a craving of 10 is in
    history while that plugin is still inside its call (before habitd even gives up on it),
    `status` answers meanwhile and names the plugin busy without calling it, and the fault is
    charged to habitd_on_entry, the hook that overran, never to habitd_status."""
    env.write_config(CONFIG)
    plugins = env.config_dir / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "stuck.py").write_text(STUCK_PLUGIN)
    env.start_daemon()
    env.ok("urge", "--intensity", "2")  # calm: the plugin blocks on it
    wait_for(lambda: (plugins / "stuck.blocking").exists())

    def escalated() -> list[dict[str, Any]]:
        events = env.ok("history", "--json").json()
        return [e for e in events if e["event"] == "escalated"]

    env.ok("urge", "--intensity", "10")
    [help_came] = wait_for(escalated)
    assert help_came["detail"]["craving"] == 10

    def stuck() -> dict[str, Any]:
        status = env.ok("status", "--json").json()
        [found] = [p for p in status["plugins"] if p["name"] == "stuck"]
        if found["busy"]:
            assert "stuck" not in status["details"]  # not asked while busy
        return dict(found)

    while_blocked = stuck()
    assert while_blocked["faults"] == 0  # the help came before habitd gave up on the plugin
    assert while_blocked["busy"].startswith("habitd_on_entry")
    overran = wait_for(lambda: (found := stuck())["faults"] and found, timeout=30)
    assert overran["busy"].startswith("habitd_on_entry")  # still blocked: it is stuck
    assert overran["faults"] == 1
    assert overran["last_error"].startswith("habitd_on_entry: TimeoutError")
    (plugins / "stuck.release").write_text("")
    wait_for(lambda: not stuck()["busy"])
    assert stuck()["faults"] == 1  # the queued call was skipped, status never charged
