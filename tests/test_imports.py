"""Bringing history in: habitd's own archive round-trips into an empty home, and a Daylio
export with every quirk comes in whole; the same file twice adds nothing."""

from __future__ import annotations

import json
from pathlib import Path

from habitd.testing import days_ago

from .conftest import Env

CONFIG = """
[habitd]
timezone = "UTC"
notifier = "log"

# my own comment stays
[[habit]]
id = "meditate"
name = "Meditate"

[[habit]]
id = "kratom-free"
name = "Kratom-free"
type = "abstain"
"""

EMPTY = '[habitd]\ntimezone = "UTC"\nnotifier = "log"\n'


def _streaks(env: Env) -> dict[str, tuple[object, ...]]:
    return {
        row["habit"]: (row["current"], row["best"], row["total"])
        for row in env.ok("streaks", "--json").json()
    }


def _entries(env: Env) -> list[tuple[object, ...]]:
    return [
        (e["kind"], e["ts"], e.get("emotion"), e.get("note"), e.get("craving"))
        for e in env.ok("entries", "--json").json()
    ]


def test_export_then_import_reproduces_streaks_and_entries(env: Env, tmp_path: Path) -> None:
    env.write_config(CONFIG)
    for back in (3, 2, 1):
        env.ok("done", "meditate", "--date", str(days_ago(back)))
    env.ok("done", "kratom-free", "--date", str(days_ago(1)))
    env.ok("journal", "--emotion", "hopeful", "--note", "a good day, finally")
    env.ok("urge", "--intensity", "6", "--trigger", "payday", "--when", "3h ago")
    env.ok("export", "--format", "json", "--out", str(tmp_path / "out"))
    archive = tmp_path / "out" / "habitd-archive.json"
    before = (_streaks(env), _entries(env))

    fresh = env.moved(tmp_path / "new-home")
    fresh.write_config(EMPTY)
    shown = fresh.ok("import", str(archive))  # no TTY, no --yes: it only shows
    assert "habitd archive: 2 habits, 4 marks, 2 entries" in shown.out
    assert "run it again with --yes" in shown.out
    assert fresh.ok("entries", "--json").json() == []
    done = fresh.ok("import", str(archive), "--yes").out
    assert "imported 4 marks and 2 entries (and 2 habits into the config)" in done
    assert (_streaks(fresh), _entries(fresh)) == before
    again = fresh.ok("import", str(archive), "--yes").out
    assert "imported 0 marks and 0 entries" in again and "there already" in again
    assert fresh.ok("config", "check").rc == 0


DAYLIO = (
    "full_date,date,weekday,time,mood,activities,note_title,note,scales\n"
    '2026-11-20,November 20,Friday,21:45,rad,friends | walk,,"Dinner with Ana.\n'
    'We laughed a lot.",\n'
    "2026-11-19,November 19,Thursday,9:45 pm,awful,work | no sleep,Rough,"
    '"Everything, at once",\n'
    "2026-11-18,November 18,Wednesday,7:05 am,tired-ish,,,,\n"
)


def test_a_daylio_export_comes_in_whole(env: Env, tmp_path: Path) -> None:
    env.write_config(CONFIG)
    export = tmp_path / "daylio_export.csv"
    export.write_text(DAYLIO)
    result = env.ok("import", str(export), "--yes").out
    assert "Daylio CSV: 0 habits, 0 marks, 3 entries" in result
    assert "the mood 'tired-ish' is not one of Daylio's five" in result
    rows = {e["ts"][:16]: e for e in env.ok("entries", "--json").json()}
    dinner = rows["2026-11-20T21:45"]
    assert dinner["mood"] == 5 and dinner["activities"] == ["friends", "walk"]
    assert dinner["note"] == "Dinner with Ana.\nWe laughed a lot."  # word for word
    rough = rows["2026-11-19T21:45"]
    assert (rough["mood"], rough["title"], rough["note"]) == (1, "Rough", "Everything, at once")
    assert rows["2026-11-18T07:05"]["activities"] == ["tired-ish"]
    assert "imported 0 marks and 0 entries" in env.ok("import", str(export), "--yes").out
    moods = env.ok("report", "--json", "--days", "3660").json()["mood_by_day"]
    assert {m["day"]: m["mood"] for m in moods} == {"2026-11-19": 1, "2026-11-20": 5}
    assert [e["kind"] for e in env.ok("entries", "--search", "laughed", "--json").json()] == [
        "journal"
    ]


def test_a_file_it_does_not_know_is_refused_clearly(env: Env, tmp_path: Path) -> None:
    env.write_config(CONFIG)
    other = tmp_path / "notes.txt"
    other.write_text("just some notes\n")
    refused = env.cli("import", str(other))
    assert refused.rc == 1 and "not a file habitd can import" in refused.err
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": "habitd-archive", "version": 9}))
    said = env.cli("import", str(broken))
    assert said.rc == 1 and "this habitd reads habitd-archive version 1" in said.err
