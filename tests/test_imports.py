"""Bringing history in: habitd's own archive round-trips into an empty home, and a Daylio
export with every quirk comes in whole; the same file twice adds nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from habitd.config import HABIT_KEYS, habit_table, loads
from habitd.importers import CONTACT_KEYS
from habitd.testing import TEST_ZONE, days_ago

from .conftest import Env, wait_for

CONFIG = f"""
[habitd]
timezone = "{TEST_ZONE}"
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

EMPTY = f'[habitd]\ntimezone = "{TEST_ZONE}"\nnotifier = "log"\n'


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


@pytest.mark.clock
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


def daylio_export() -> tuple[str, list[str]]:
    """A Daylio CSV of three evenings ending five days ago (the days follow the test's clock, so
    none is in the future at any clock moment), and those three days, oldest first."""
    days = [days_ago(back) for back in (7, 6, 5)]
    first, second, third = (f"{d.isoformat()},{d:%B %d},{d:%A}" for d in days)
    text = (
        "full_date,date,weekday,time,mood,activities,note_title,note,scales\n"
        f'{third},21:45,rad,friends | walk,,"Dinner with Ana.\n'
        'We laughed a lot.",\n'
        f"{second},9:45 pm,awful,work | no sleep,Rough,"
        '"Everything, at once",\n'
        f"{first},7:05 am,tired-ish,,,,\n"
    )
    return text, [d.isoformat() for d in days]


@pytest.mark.clock
def test_a_daylio_export_comes_in_whole(env: Env, tmp_path: Path) -> None:
    env.write_config(CONFIG + '\n[[habit]]\nid = "write"\nname = "Write"\ncounts = "journal"\n')
    export = tmp_path / "daylio_export.csv"
    text, (first, second, third) = daylio_export()
    export.write_text(text)
    result = env.ok("import", str(export), "--yes").out
    assert "Daylio CSV: 0 habits, 0 marks, 3 entries" in result
    assert "imported 0 marks and 3 entries (3 days marked for writing)" in result
    # imported entries count for a journal habit as typed ones do, for their own habit days
    shown = env.ok("habit", "show", "write", "--json").json()
    assert [(d["day"], d["note"]) for d in shown["days"] if d["kind"] == "done"] == [
        (first, "a journal entry"),
        (second, "a journal entry"),
        (third, "a journal entry"),
    ]
    assert "the mood 'tired-ish' is not one of Daylio's five" in result
    rows = {  # Daylio's times are the person's local times; habitd stores UTC
        f"{datetime.fromisoformat(e['ts']).astimezone(ZoneInfo(TEST_ZONE)):%Y-%m-%dT%H:%M}": e
        for e in env.ok("entries", "--json").json()
    }
    dinner = rows[f"{third}T21:45"]
    assert dinner["mood"] == 5 and dinner["activities"] == ["friends", "walk"]
    assert dinner["note"] == "Dinner with Ana.\nWe laughed a lot."  # word for word
    rough = rows[f"{second}T21:45"]
    assert (rough["mood"], rough["title"], rough["note"]) == (1, "Rough", "Everything, at once")
    assert rows[f"{first}T07:05"]["activities"] == ["tired-ish"]
    assert "imported 0 marks and 0 entries" in env.ok("import", str(export), "--yes").out
    moods = env.ok("report", "--json", "--days", "3660").json()["mood_by_day"]
    assert {m["day"]: m["mood"] for m in moods} == {second: 1, third: 5}
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


# Loop's schema as its migrations leave it: an early one (09.sql, then 11.sql: repetitions
# are bare check-ins) and a current one (26.sql's Habits; repetitions with value and notes).
LOOP_EARLY = """
create table Habits (id integer primary key autoincrement, archived integer, color integer,
    description text, freq_den integer, freq_num integer, skip_days integer,
    skip_days_list integer, highlight integer, name text, position integer,
    reminder_hour integer, reminder_min integer);
create table Repetitions (id integer primary key autoincrement,
    habit integer references habits(id), timestamp integer);
alter table Habits add column reminder_days integer not null default 127;
"""
LOOP_CURRENT = """
create table Habits (id integer primary key, archived integer, color integer,
    description text, freq_den integer, freq_num integer, highlight integer, name text,
    position integer, reminder_hour integer, reminder_min integer,
    reminder_days integer not null default 127, type integer not null default 0,
    target_type integer not null default 0, target_value real not null default 0,
    unit text not null default "", question text, uuid text);
create table Repetitions (id integer primary key autoincrement,
    habit integer not null references habits(id), timestamp integer not null,
    value integer not null, notes text);
"""


def _midnight_ms(back: int) -> int:
    day = days_ago(back)
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _loop_db(path: Path, schema: str) -> Path:
    db = sqlite3.connect(path)
    db.executescript(schema)
    if "value integer" in schema:
        db.executemany(
            "INSERT INTO Habits (id, name, position, freq_num, freq_den, type, target_type, "
            "target_value, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (1, "Meditate", 1, 1, 1, 0, 0, 0, ""),
                (2, "Walk", 2, 3, 7, 0, 0, 0, ""),
                (3, "Walk", 3, 1, 1, 0, 0, 0, ""),  # Loop allows two of one name
                (4, "Water", 4, 1, 1, 1, 0, 6, "glasses"),
            ],
        )
        db.executemany(
            "INSERT INTO Repetitions (habit, timestamp, value, notes) VALUES (?, ?, ?, ?)",
            [
                (1, _midnight_ms(3), 2, "calm"),
                (1, _midnight_ms(2), 3, None),
                (1, _midnight_ms(1), 0, None),  # not done: unmarked
                (2, _midnight_ms(2), 2, None),
                (2, _midnight_ms(1), 1, None),  # inferred by Loop: unmarked
                (3, _midnight_ms(1), 2, None),
                (4, _midnight_ms(1), 7000, None),
            ],
        )
    else:
        db.execute(
            "INSERT INTO Habits (id, name, position, freq_num, freq_den) VALUES "
            "(1, 'Read', 1, 1, 1)"
        )
        db.executemany(
            "INSERT INTO Repetitions (habit, timestamp) VALUES (?, ?)",
            [(1, _midnight_ms(2)), (1, _midnight_ms(1))],
        )
    db.commit()
    db.close()
    return path


@pytest.mark.clock
def test_a_loop_backup_comes_in_duplicates_and_all(env: Env, tmp_path: Path) -> None:
    env.write_config(CONFIG)
    backup = _loop_db(tmp_path / "Loop Habits Backup.db", LOOP_CURRENT)
    said = env.ok("import", str(backup), "--yes").out
    assert "Loop Habit Tracker backup: 4 habits, 5 marks, 0 entries" in said
    assert "1 day(s) Loop inferred" in said
    text = env.config_file.read_text()
    assert "# my own comment stays" in text and 'id = "walk-2"' in text
    assert 'target = "3/7"' in text and 'type = "at-least"' in text
    rows = {row["habit"]: row for row in env.ok("streaks", "--json").json()}
    assert rows["meditate"]["total"] == 1 and rows["walk"]["total"] == 1
    assert rows["walk-2"]["total"] == 1 and rows["water"]["total"] == 1
    water = env.ok("habit", "show", "water", "--json").json()
    assert [d["value"] for d in water["days"] if d["value"] is not None] == [7.0]
    again = env.ok("import", str(backup), "--yes").out
    assert "imported 0 marks and 0 entries" in again
    assert env.config_file.read_text() == text  # no habit added twice
    assert env.ok("config", "check").rc == 0


@pytest.mark.clock
def test_an_early_loop_backup_too(env: Env, tmp_path: Path) -> None:
    env.write_config(CONFIG)
    backup = _loop_db(tmp_path / "old.db", LOOP_EARLY)
    said = env.ok("import", str(backup), "--yes").out
    assert "1 habit, 2 marks" in said
    assert next(r for r in env.ok("streaks", "--json").json() if r["habit"] == "read")["total"] == 2


@pytest.mark.clock
def test_loops_csv_export_comes_in_as_a_folder_or_a_zip(env: Env, tmp_path: Path) -> None:
    env.write_config(CONFIG)
    for back in (3, 2):
        env.ok("done", "meditate", "--date", str(days_ago(back)), "--note", "calm,\nthen sleepy")
    env.ok("skip", "meditate", "--date", str(days_ago(1)))
    env.ok("export", "--out", str(tmp_path / "loop"))  # laid out as Loop's own export
    folder = tmp_path / "loop"
    before = _streaks(env)["meditate"]
    fresh = env.moved(tmp_path / "home")
    fresh.write_config(EMPTY)
    said = fresh.ok("import", str(folder), "--yes").out
    assert "Loop Habit Tracker CSV: 2 habits, 3 marks" in said
    assert _streaks(fresh)["meditate"] == before
    notes = [d["note"] for d in fresh.ok("habit", "show", "meditate", "--json").json()["days"]]
    assert "calm,\nthen sleepy" in notes
    archive = shutil.make_archive(str(tmp_path / "Loop Habits CSV"), "zip", folder)
    other = env.moved(tmp_path / "other")
    other.write_config(EMPTY)
    assert "2 habits, 3 marks" in other.ok("import", archive, "--yes").out
    assert _streaks(other)["meditate"] == before
    # zipped with its folder at the top, as a file manager's "compress" does
    topped = shutil.make_archive(str(tmp_path / "Topped"), "zip", tmp_path, "loop")
    third = env.moved(tmp_path / "third")
    third.write_config(EMPTY)
    assert "2 habits, 3 marks" in third.ok("import", topped, "--yes").out
    assert _streaks(third)["meditate"] == before


@pytest.mark.clock
def test_a_long_history_comes_in_while_the_daemon_runs(env: Env, tmp_path: Path) -> None:
    """Thousands of rows are far more than one request to the daemon may hold: the import
    writes them itself, and the running daemon serves them at once."""
    env.write_config(CONFIG)
    env.start_daemon()
    lines = ["full_date,date,weekday,time,mood,activities,note_title,note"]
    for n in range(3000):
        day = days_ago(1 + n % 900)
        lines.append(f'{day},x,x,{n % 24:02d}:{n % 60:02d},good,walk,,"note {n} ' + "x" * 80 + '"')
    export = tmp_path / "daylio.csv"
    export.write_text("\n".join(lines) + "\n")
    said = env.ok("import", str(export), "--yes").out
    assert "imported 0 marks and 3000 entries" in said
    assert len(env.ok("entries", "--search", "note", "--json").json()) == 200  # the best 200


EVERY_SETTING = f"""
[habitd]
timezone = "{TEST_ZONE}"
notifier = "log"

[[habit]]
id = "kratom-free"
name = "Kratom-free"
type = "abstain"
target = "daily"
start = "2026-09-01"
paused = ["2026-10-01..2026-10-03"]
cost_per_day = 12.5
currency = "EUR"

[[habit]]
id = "reach-out"
name = "Reach out"
target = "3/week"
counts = "reached"

[[habit]]
id = "water"
name = "Water"
type = "at-least"
threshold = 6
unit = "glasses"

[[support.contact]]
name = "Sam"
role = "sponsor"
reach = "call or text 555-0100"
prefer_for = ["craving", "lonely"]

[[support.contact]]
name = "Ana"
role = "friend"
reach = "555-0199"
"""


def test_the_archive_moves_every_habit_setting_and_the_contacts(env: Env, tmp_path: Path) -> None:
    """Export on one home, import on a fresh one: every key a habit may hold in the config
    (all of HABIT_KEYS, so a new key cannot be forgotten) and the support contacts arrive,
    appended to the new config without touching what was there."""
    env.write_config(EVERY_SETTING)
    original = loads(env.config_file.read_text(), env.config_file)
    tables = [habit_table(habit) for habit in original.habits]
    assert set().union(*tables) == set(HABIT_KEYS)  # this test sets every key there is
    env.ok("export", "--format", "json", "--out", str(tmp_path / "out"))

    fresh = env.moved(tmp_path / "new-home")
    fresh.write_config(EMPTY + "\n# mine, kept\n")
    said = fresh.ok("import", str(tmp_path / "out" / "habitd-archive.json"), "--yes").out
    assert "support contacts to add" in said and "Sam, Ana" in said
    text = fresh.config_file.read_text()
    assert text.startswith(EMPTY + "\n# mine, kept\n")
    moved = loads(text, fresh.config_file)
    assert [habit_table(habit) for habit in moved.habits] == tables
    assert list(moved.support["contact"]) == list(original.support["contact"])
    again = fresh.ok("import", str(tmp_path / "out" / "habitd-archive.json"), "--yes").out
    assert "support contacts to add" not in again and "habits to add" not in again
    assert fresh.ok("config", "check").rc == 0


def test_a_contact_in_an_archive_has_the_keys_the_support_plugin_reads() -> None:
    from dataclasses import fields

    from habitd.builtin.support import Contact

    assert tuple(field.name for field in fields(Contact)) == CONTACT_KEYS


def _long_daylio(path: Path, rows: int) -> Path:
    lines = ["full_date,date,weekday,time,mood,activities,note_title,note"]
    for n in range(rows):
        day = days_ago(1 + n % 900)
        lines.append(
            f'{day},x,x,{n % 24:02d}:{n % 60:02d},good,walk,,"imported {n} ' + "x" * 80 + '"'
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def _count(env: Env, sql: str) -> int:
    with sqlite3.connect(env.db) as db:
        return int(db.execute(sql).fetchone()[0])


@pytest.mark.clock
def test_the_person_writes_while_a_long_import_runs(env: Env, tmp_path: Path) -> None:
    """A long import writes in small batches: a `journal` and a `done` typed while it runs
    (daemon up) are saved while the import is still going, neither waits for its end."""
    env.write_config(CONFIG)
    env.start_daemon()
    export = _long_daylio(tmp_path / "daylio.csv", 30_000)
    importing = _importing(env, export)
    wait_for(lambda: env.db.exists() and _count(env, "SELECT count(*) FROM entries") > 0)
    journal = env.cli("journal", "--note", "written during the import")
    done = env.cli("done", "meditate")
    still_importing = importing.poll() is None
    out, err = importing.communicate(timeout=300)
    assert importing.returncode == 0, err
    assert journal.rc == 0 and "Saved" in journal.out, journal.err
    assert done.rc == 0, done.err
    assert still_importing  # both were saved before the import ended
    assert "imported 0 marks and 30000 entries" in out
    notes = _count(env, "SELECT count(*) FROM entries WHERE note = 'written during the import'")
    assert notes == 1


@pytest.mark.clock
def test_an_import_stopped_with_ctrl_c_keeps_nothing(env: Env, tmp_path: Path) -> None:
    env.write_config(CONFIG)
    env.ok("journal", "--note", "mine, before")
    export = _long_daylio(tmp_path / "daylio.csv", 30_000)
    importing = env.spawn("import", str(export), "--yes")
    importing.expect("importing: ")  # progress on a terminal: rows, rate, time left
    importing.expect(" s left")
    importing.sendintr()
    importing.expect("import stopped: nothing of it was kept")
    importing.expect(pexpect_eof())
    assert _count(env, "SELECT count(*) FROM entries WHERE note LIKE 'imported %'") == 0
    assert _count(env, "SELECT count(*) FROM entries WHERE note = 'mine, before'") == 1
    assert _count(env, "SELECT count(*) FROM checks") == 0  # the days it marked went too


def pexpect_eof() -> object:
    import pexpect

    return pexpect.EOF


@pytest.mark.clock
def test_two_imports_at_once_keep_both_habits_and_all_marks(env: Env, tmp_path: Path) -> None:
    env.write_config(CONFIG)
    first = _loop_db(tmp_path / "first.db", LOOP_CURRENT)
    second = _loop_db(tmp_path / "second.db", LOOP_EARLY)
    runs = [_importing(env, backup) for backup in (first, second)]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, out + err
    text = env.config_file.read_text()
    for habit in ('id = "walk"', 'id = "water"', 'id = "read"'):
        assert habit in text
    totals = {row["habit"]: row["total"] for row in env.ok("streaks", "--json").json()}
    assert totals["read"] == 2 and totals["water"] == 1 and totals["walk"] == 1
    assert env.ok("config", "check").rc == 0


def _archive_with(**parts: object) -> str:
    base: dict[str, object] = {"format": "habitd-archive", "version": 1}
    return json.dumps({**base, **parts})


def _sqlite(path: Path, script: str) -> None:
    db = sqlite3.connect(path)
    db.executescript(script)
    db.close()


def _importing(env: Env, path: Path) -> subprocess.Popen[str]:
    """``habitd import PATH --yes`` started in the background, its output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "habitd", "import", str(path), "--yes"],
        env=env.environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _hostile(kind: str, folder: Path) -> Path:
    """One of the files a red team brought (each refused in a sentence, or its bad rows
    skipped and named), made under ``folder``."""
    import os
    import zipfile

    path = folder / f"{kind.replace('/', '_')}.file"
    habit = {"id": "walk", "name": "Walk"}
    if kind == "habits as a string":
        path.write_text(_archive_with(habits="walk"))
    elif kind == "a day as a number":
        path.write_text(_archive_with(habits=[{**habit, "marks": [{"day": 5, "state": "done"}]}]))
    elif kind == "the 45th of the 13th month":
        marks = [{"day": "2025-13-45", "state": "done"}]
        path.write_text(_archive_with(habits=[{**habit, "marks": marks}]))
    elif kind == "a value of 10^30":
        marks = [{"day": "2025-01-01", "state": "done", "value": 10**30}]
        path.write_text(_archive_with(habits=[{**habit, "marks": marks}]))
    elif kind == "a text value":
        marks = [{"day": "2025-01-01", "state": "done", "value": "lots"}]
        path.write_text(_archive_with(habits=[{**habit, "marks": marks}]))
    elif kind == "a note that is a dict":
        entry = {"kind": "journal", "ts": "2025-01-01T10:00:00+00:00", "note": {"a": 1}}
        path.write_text(_archive_with(entries=[entry]))
    elif kind == "an entry without a kind":
        path.write_text(_archive_with(entries=[{"ts": "2025-01-01T10:00:00+00:00"}]))
    elif kind == "an entry in year 1":
        entry = {"kind": "journal", "ts": "0001-01-01T10:00:00+00:00", "note": "old"}
        path.write_text(_archive_with(entries=[entry]))
    elif kind == "JSON 100,000 deep":
        path.write_text('{"format": "habitd-archive", "version": 1, "x": ' + "[" * 100_000)
    elif kind == "a Loop db without an id":
        _sqlite(
            path,
            "CREATE TABLE Habits (name TEXT); CREATE TABLE Repetitions (habit, timestamp);"
            "INSERT INTO Habits VALUES ('Walk');",
        )
    elif kind == "a Loop db with text in numbers":
        _sqlite(
            path,
            "CREATE TABLE Habits (id INTEGER, name TEXT, freq_num, freq_den);"
            "CREATE TABLE Repetitions (habit, timestamp, value);"
            "INSERT INTO Habits VALUES (1, 'Walk', 1, 1);"
            "INSERT INTO Repetitions VALUES (1, 'soon', 2), (1, 99999999999999999999, 2),"
            " (1, -99999999999999999, 2), (1, NULL, 2), ('one', 5, 2), (1, 1700000000000, 'x');",
        )
    elif kind == "a Loop db whose table is a recursive view":
        _sqlite(
            path,
            "CREATE VIEW Habits AS WITH RECURSIVE r(id) AS (SELECT 1 UNION ALL SELECT id + 1 "
            "FROM r) SELECT id, 'x' AS name FROM r; CREATE TABLE Repetitions (habit, timestamp);",
        )
    elif kind == "a link to /dev/zero":
        os.symlink("/dev/zero", path)
    elif kind == "a FIFO":
        os.mkfifo(path)
    elif kind == "a zip bomb":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("Habits.csv", "Position,Name\n" + "0" * (50 << 20))
    return path


HOSTILE = [
    ("habits as a string", "refused"),
    ("a day as a number", "skipped"),
    ("the 45th of the 13th month", "skipped"),
    ("a value of 10^30", "skipped"),
    ("a text value", "skipped"),
    ("a note that is a dict", "skipped"),
    ("an entry without a kind", "refused"),
    ("an entry in year 1", "skipped"),
    ("JSON 100,000 deep", "refused"),
    ("a Loop db without an id", "refused"),
    ("a Loop db with text in numbers", "skipped"),
    ("a Loop db whose table is a recursive view", "refused"),
    ("a link to /dev/zero", "refused"),
    ("a FIFO", "refused"),
    ("a zip bomb", "refused"),
]


@pytest.mark.clock
@pytest.mark.parametrize(("kind", "outcome"), HOSTILE, ids=[k for k, _ in HOSTILE])
def test_a_hostile_file_is_refused_in_a_sentence_and_breaks_nothing(
    env: Env, tmp_path: Path, kind: str, outcome: str
) -> None:
    env.write_config(CONFIG)
    env.ok("done", "meditate")
    before = env.config_file.read_text()
    path = _hostile(kind, tmp_path)
    result = env.cli("import", str(path), "--yes")
    assert "Traceback" not in result.out + result.err
    if outcome == "refused":
        assert result.rc != 0
        [said] = [line for line in result.err.splitlines() if line.startswith("habitd: ")][-1:]
        assert str(path) in said or "path" in said
        assert env.config_file.read_text() == before
    else:
        assert result.rc == 0, result.err
        assert "skipped" in result.out or "cannot map" in result.out
    for command in (["streaks"], ["entries"], ["report"], ["history"]):
        later = env.cli(*command)
        assert later.rc == 0 and "Traceback" not in later.err, (command, later.err)
