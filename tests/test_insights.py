"""Insights on a generated dataset with known answers: counts, means, HALT, what helped,
the risk window, HTML with every section and nothing fetched, and an empty database."""

from __future__ import annotations

import asyncio
import re
import stat
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from habitd.builtin import insights as insights_plugin
from habitd.report_html import _mood_colour
from habitd.runtime import Runtime
from habitd.store import Store
from habitd.testing import TEST_ZONE, days_ago, habit_today
from habitd.testing.desktop import Browser

from .conftest import Env, eventually, local_now, private_paths

CONFIG = f"""
[habitd]
timezone = "{TEST_ZONE}"
notifier = "log"

[[habit]]
id = "kratom-free"
name = "Kratom-free"
type = "abstain"
cost_per_day = 12.5
currency = "EUR"
"""


def _last_friday_21(now: datetime) -> datetime:
    moment = now.replace(hour=21)
    while moment.weekday() != 4 or moment > now:
        moment -= timedelta(days=1)
    return moment


def seed(db: Path) -> None:
    """Known answers: 9 Friday-evening urges over 9 weeks, 3 elsewhere; 6 feelings; all at
    the person's local times (in the test configs' zone)."""
    store = Store(db)
    now = local_now().replace(minute=0, second=0, microsecond=0)
    friday = _last_friday_21(now)
    for week in range(9):
        ts = friday - timedelta(weeks=week) + timedelta(minutes=10)
        store.add_entry(
            "urge",
            ts=ts,
            craving=8,
            trigger="payday" if week == 0 else "work",
            halt="lonely,tired" if week % 2 else "tired",
            extra={"coped": "Called Sam" if week < 3 else "walk", "acted": False},
        )
    for day, hour in ((1, 9), (2, 14), (3, 8)):
        store.add_entry(
            "urge", ts=friday - timedelta(days=day, hours=21 - hour), craving=2, trigger="boredom"
        )
    for n, intensity in enumerate((2, 4, 6, 8)):
        store.add_entry(
            "journal",
            ts=now - timedelta(days=n + 1),
            emotion="anxious",
            intensity=intensity,
            trigger="work",
        )
    for n, intensity in enumerate((7, 9)):
        store.add_entry(
            "journal", ts=now - timedelta(days=n + 1, hours=2), emotion="sad", intensity=intensity
        )
    store.add_entry("journal", ts=now - timedelta(days=400), emotion="sad", intensity=1)
    store.close()


@pytest.fixture
def seeded(env: Env) -> Env:
    env.write_config(CONFIG)
    env.db.parent.mkdir(parents=True, mode=0o700)
    seed(env.db)
    env.start_daemon()
    return env


@pytest.mark.clock
def test_report_json_has_the_known_answers(seeded: Env) -> None:
    data = seeded.ok("report", "--days", "90", "--json").json()
    assert data["entries"] == 18
    assert data["triggers"][:3] == [
        {"name": "work", "count": 12},
        {"name": "boredom", "count": 3},
        {"name": "payday", "count": 1},
    ]
    assert data["emotions"] == [
        {"name": "anxious", "count": 4, "mean_intensity": 5.0},
        {"name": "sad", "count": 2, "mean_intensity": 8.0},
    ]
    assert data["craving"] == {"count": 12, "mean": 6.5, "max": 8}
    assert data["risk_windows"] == [
        {"weekday": "Fri", "hour": 21, "count": 9, "label": "Fri 21:00-22:00"}
    ]
    assert {h["state"]: h["count"] for h in data["halt"]} == {
        "tired": 9,
        "lonely": 4,
        "hungry": 0,
        "angry": 0,
    }
    assert data["helped"]["coped"] == [
        {"what": "walk", "count": 6},
        {"what": "Called Sam", "count": 3},
    ]
    assert data["acted"] == {"acted": 0, "not_acted": 9}
    assert sum(day["count"] for day in data["craving_by_day"]) == 12
    fridays = [h for h in data["craving_by_hour"] if (h["weekday"], h["hour"]) == ("Fri", 21)]
    assert fridays == [{"weekday": "Fri", "hour": 21, "count": 9}]


@pytest.mark.clock
def test_report_in_the_terminal(seeded: Env) -> None:
    out = seeded.ok("report", "--days", "90").out
    assert re.search(r"^work +▇+ 12$", out, re.M) and ".00" not in out  # whole counts
    for part in (
        "Your last 90 days: 18 entries",
        "What set things off",
        "anxious",
        "Cravings: 12 logged, mean 6.5/10, strongest 8/10",
        "When cravings happen",
        "HALT",
        "Called Sam (3x)",
        "Fri 21:00-22:00  (9 urges)",
        "pre_emptive = true",
    ):
        assert part in out, part
    assert "\x1b[" not in out  # no colour codes in a pipe


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.svgs = 0
        self.fetches: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section":
            self.sections.append(values.get("id") or "")
        if tag == "svg":
            self.svgs += 1
        for key in ("src", "href"):
            if tag in ("script", "img", "link", "iframe") and values.get(key):
                self.fetches.append(f"{tag} {values[key]}")


@pytest.mark.clock
def test_report_html_is_complete_and_self_contained(seeded: Env, tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    seeded.ok("report", "--days", "90", "--html", str(page_file))
    page = _Page()
    page.feed(page_file.read_text())
    assert page.sections == [
        "triggers",
        "mood",
        "emotions",
        "craving",
        "hours",
        "halt",
        "helped",
        "streaks",
        "habits",
        "risk",
        "year",
    ]
    assert page.svgs >= 4 and page.fetches == []
    text = page_file.read_text()
    assert "Fri 21:00-22:00" in text and "Called Sam (3x)" in text
    assert text.count('height="9" rx="2"') == 2 * 365  # a year in pixels, twice
    assert "Kratom-free</h3><p>0 days kept, about 0 EUR not spent.</p>" in text


@pytest.mark.clock
def test_an_empty_database_gives_a_friendly_report(env: Env, tmp_path: Path) -> None:
    env.write_config(CONFIG)
    out = env.ok("report").out
    assert "Nothing to show yet" in out and "Traceback" not in out
    data = env.ok("report", "--json").json()
    assert (data["entries"], data["triggers"], data["risk_windows"]) == (0, [], [])
    assert data["craving"] == {"count": 0, "mean": None, "max": None}
    env.ok("report", "--html", str(tmp_path / "empty.html"))
    assert "Nothing to show yet" in (tmp_path / "empty.html").read_text()
    assert env.cli("report", "--days", "0").rc == 2


@pytest.mark.clock
def test_pre_emptive_nudges_and_the_weekly_review(tmp_path: Path) -> None:
    paths = private_paths(
        tmp_path, CONFIG + '\n[plugins.insights]\npre_emptive = true\nweekly_review = "sun 19:00"\n'
    )
    (tmp_path / "data").mkdir(mode=0o700)
    seed(tmp_path / "data" / "habitd.sqlite3")

    async def scenario() -> tuple[dict[str, datetime], Any]:
        runtime = await Runtime.start(paths, "log")
        jobs = runtime.app.scheduler.job_times()  # type: ignore[attr-defined]
        # a job runs in the plugin's worker thread, never on the loop
        await asyncio.to_thread(insights_plugin._weekly_review, runtime.app.context("insights"))
        review = await eventually(  # the message is shown on the loop, after the call returns
            lambda: [e for e in runtime.app.store.events() if e.event == "review"]
        )
        await runtime.stop()
        return jobs, review

    jobs, review = asyncio.run(scenario())
    before = jobs["insights:before-5-21"]
    assert (before.strftime("%a"), before.hour, before.minute) == ("Fri", 20, 30)
    weekly = jobs["insights:weekly-review"]
    assert (weekly.strftime("%a"), weekly.hour) == ("Sun", 19)
    [note] = review
    assert note.title == "Your week"
    assert note.body is not None and "This week you wrote" in note.body


def test_insights_settings_are_validated(env: Env) -> None:
    env.write_config(
        CONFIG + '\n[plugins.insights]\npre_emptive = "yes"\nweekly_review = "funday"\n'
    )
    result = env.cli("config", "check")
    assert result.rc == 1
    assert "plugins.insights.pre_emptive: expected true or false" in result.out
    assert "plugins.insights.weekly_review: expected a day and time like" in result.out


@pytest.mark.clock
def test_a_late_night_entry_belongs_to_the_evening_before(env: Env, tmp_path: Path) -> None:
    """With day_starts = 04:00, a feeling and an urge written at 01:30 count for the evening
    before: in the year in pixels, the cravings by day, the HTML grid and `entries`."""
    env.write_config(CONFIG)
    env.db.parent.mkdir(parents=True, mode=0o700)
    evening = habit_today() - timedelta(days=2)
    late = datetime.combine(evening + timedelta(days=1), time(1, 30), ZoneInfo(TEST_ZONE))
    store = Store(env.db)
    store.add_entry("journal", ts=late, emotion="calm", intensity=6)
    store.add_entry("urge", ts=late, craving=7)
    store.close()
    data = env.ok("report", "--days", "7", "--json").json()
    assert data["year"]["mood"] == {str(evening): 6.0}
    assert data["craving_by_day"] == [{"day": str(evening), "count": 1, "mean": 7.0}]
    assert {row["day"] for row in env.ok("entries", "--json").json()} == {str(evening)}
    page = tmp_path / "report.html"
    env.ok("report", "--days", "7", "--html", str(page))
    light = _mood_colour(6.0)
    text = page.read_text()
    assert f'style="fill:{light}"><title>{evening}</title>' in text
    assert f'style="fill:var(--empty)"><title>{evening + timedelta(days=1)}</title>' in text


@pytest.mark.clock
def test_the_report_replaces_an_open_file_with_a_private_one(seeded: Env, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text("old")
    page.chmod(0o644)
    seeded.ok("report", "--html", str(page))
    assert stat.S_IMODE(page.stat().st_mode) == 0o600 and "<html" in page.read_text()
    missing = seeded.cli("report", "--html", str(tmp_path / "no-such-folder" / "r.html"))
    assert missing.rc == 1 and "could not write" in missing.err and "Traceback" not in missing.err


@pytest.mark.clock
def test_the_report_as_chromium_shows_it(seeded: Env, tmp_path: Path) -> None:
    """Headless Chromium loads the page: every section there, no script, nothing it could
    fetch (the page's policy forbids it, and it names no address but SVG's namespace)."""
    browser = Browser()
    page = tmp_path / "report.html"
    seeded.ok("report", "--days", "90", "--html", str(page))
    dom = browser.dom(page)
    for section in ("triggers", "emotions", "craving", "hours", "helped", "risk", "year"):
        assert f'<section id="{section}">' in dom, section
    assert "<script" not in dom and "default-src 'none'" in dom
    assert set(re.findall(r"https?://[^\s\"')]+", dom)) == {"http://www.w3.org/2000/svg"}
    assert dom.count("<svg") >= 6  # bars twice, a line, the week grid, two years in pixels
    shot = browser.screenshot(page, tmp_path / "report.png")
    assert shot.stat().st_size > 20_000  # something was drawn


@pytest.mark.clock
def test_each_habit_over_time_and_what_was_not_spent(env: Env) -> None:
    env.write_config(CONFIG)
    for back in range(1, 15):
        env.ok("done", "kratom-free", "--date", str(days_ago(back)))
    [habit] = env.ok("report", "--json").json()["habits"]
    assert (habit["days_kept"], habit["not_spent"], habit["currency"]) == (14, 175.0, "EUR")
    assert len(habit["strength_by_week"]) >= 2
    assert habit["strength_by_week"][-1][1] > habit["strength_by_week"][0][1]  # growing
    assert sum(habit["done_by_weekday"].values()) == 14
    assert len(habit["year"]) == 14  # its own year in pixels
    env.ok("journal", "--mood", "5", "--note", "a bright day")
    assert habit_today().isoformat() in env.ok("report", "--json").json()["year"]["rated"]
