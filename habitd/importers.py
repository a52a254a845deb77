"""Bringing your history in: files from habitd itself and from the apps people move from.

:func:`read` recognises a file and turns it into a :class:`Plan`: the habits it would add,
the marks and entries it holds, and what it cannot map (and why). Nothing is written here:
``habitd import`` shows the plan, and with ``--yes`` hands it to the core, which adds only
what is not there yet (importing the same file twice adds nothing).

Formats: habitd's own JSON archive (``habitd export --format json``), Loop Habit Tracker's
backup (the ``.db`` it exports: its Habits and Repetitions tables, read by the columns each
schema version has; repetitions are UTC-midnight millisecond timestamps, values 2 done,
1 inferred by Loop from the frequency, 3 skipped, 0 not done; numerical habits hold the
value x 1000) and Daylio's CSV export
(``full_date,date,weekday,time,mood,activities,note_title,note``, newer exports with a
``scales`` column; times in 24-hour or "9:45 pm"; activities separated by `` | ``; notes may
span lines; moods rad/good/meh/bad/awful, or your own labels).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

from habitd.config import HABIT_KEYS
from habitd.errors import InvalidInput

DAYLIO_MOODS = {"rad": 5, "good": 4, "meh": 3, "bad": 2, "awful": 1}
"""Daylio's five moods on habitd's 1-5 scale."""
DAYLIO_HEADER = ("full_date", "date", "weekday", "time", "mood", "activities")


@dataclass
class Plan:
    """What a file would bring in."""

    source: str
    habits: list[dict[str, Any]] = field(default_factory=list)
    """Habits as ``[[habit]]`` tables would hold them (``id``, ``name``, ``type``...)."""
    contacts: list[dict[str, Any]] = field(default_factory=list)
    """Support contacts as ``[[support.contact]]`` tables would hold them."""
    marks: list[list[Any]] = field(default_factory=list)
    """``[habit, day (ISO), state, value, note]``."""
    entries: list[dict[str, Any]] = field(default_factory=list)
    """``{"kind", "ts" (ISO with offset), "fields"}``."""
    skipped: list[str] = field(default_factory=list)
    """What could not be mapped, and why, one line each."""

    def summary(self) -> str:
        """One line: what it would add."""
        from habitd.words import plural

        return (
            f"{self.source}: {plural(len(self.habits), 'habits')}, "
            f"{plural(len(self.marks), 'marks')}, {plural(len(self.entries), 'entries')}"
            + (f"; {plural(len(self.skipped), 'things')} it cannot map" if self.skipped else "")
        )


LARGEST = 512 * 1024 * 1024
"""The largest file (or, for a zip, the most it may unpack to) an import reads, in bytes."""
LARGEST_RATIO = 100
"""How many times its packed size a zip member may unpack to (a zip bomb is refused)."""
LONGEST_SECONDS = 30.0
"""How long reading a SQLite backup may take (a recursive view is refused, not run)."""


def read(path: Path, zone: tzinfo) -> Plan:
    """The plan for ``path``; raises :class:`InvalidInput`, in one sentence, for a file it
    does not know or will not read: not a regular file or folder (a FIFO, a device, a link
    to one), too large, or not in the shape its format has."""
    import os
    import stat

    try:
        info = os.stat(path)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise InvalidInput(f"{path} is not a regular file or folder; habitd imports files")
    if info.st_size > LARGEST:
        raise InvalidInput(f"{path} is larger than {LARGEST >> 20} MB; habitd will not import it")
    try:
        return _read(path, zone)
    except InvalidInput:
        raise
    except RecursionError:
        raise InvalidInput(f"{path} is nested too deeply to be a file habitd wrote") from None
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, IndexError) as exc:
        raise InvalidInput(
            f"{path} is not in the shape its format has ({type(exc).__name__}: {exc!s:.120})"
        ) from None


def _read(path: Path, zone: tzinfo) -> Plan:
    try:
        if path.is_dir():
            head = b""
        else:
            with path.open("rb") as handle:
                head = handle.read(4096)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(b"SQLite format 3\x00"):
        return _loop(path)
    if path.is_dir() or head.startswith(b"PK"):
        return _loop_csv(path)
    text_head = head.decode("utf-8-sig", errors="replace").lstrip()
    if text_head.startswith("{") and '"habitd-archive"' in text_head:
        return _archive(path)
    first_line = text_head.splitlines()[0].lower() if text_head else ""
    if first_line.startswith(DAYLIO_HEADER[:2]) or first_line.startswith("full_date"):
        return _daylio(path, zone)
    raise InvalidInput(
        f"{path} is not a file habitd can import: it takes habitd's own archive "
        "(habitd export --format json), a Loop Habit Tracker backup (.db) and Daylio's CSV "
        "export"
    )


CONTACT_KEYS = ("name", "role", "reach", "prefer_for")
"""The keys of a ``[[support.contact]]`` table."""


def _archive(path: Path) -> Plan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} is not a habitd archive (its top is not an object)")
    for part in ("habits", "contacts", "entries"):
        if not isinstance(data.get(part, []), list):
            raise InvalidInput(f"{path}: its {part!r} is not a list, as habitd writes it")
    if data.get("format") != "habitd-archive" or data.get("version") != 1:
        raise InvalidInput(
            f"{path}: archive format {data.get('format')!r} version {data.get('version')!r}; "
            "this habitd reads habitd-archive version 1"
        )
    plan = Plan("habitd archive")
    for habit in data.get("habits", []):
        table = {key: habit[key] for key in HABIT_KEYS if habit.get(key) not in (None, "", [])}
        plan.habits.append(table)
        for mark in habit.get("marks", []):
            plan.marks.append(
                [habit["id"], mark["day"], mark["state"], mark.get("value"), mark.get("note")]
            )
    for contact in data.get("contacts", []):
        plan.contacts.append(
            {key: contact[key] for key in CONTACT_KEYS if contact.get(key) not in (None, "", [])}
        )
    for entry in data.get("entries", []):
        fields = {k: v for k, v in entry.items() if k not in ("id", "ts", "day", "kind")}
        plan.entries.append({"kind": entry["kind"], "ts": entry["ts"], "fields": fields})
    return plan


LOOP_STATES = {2: "done", 3: "skipped"}
"""Loop's repetition values habitd keeps as marks (1, inferred by Loop, and 0, not done,
leave the day unmarked, as in habitd)."""


def _loop(path: Path) -> Plan:
    import sqlite3
    import time as monotonic

    plan = Plan("Loop Habit Tracker backup")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            db.execute("PRAGMA trusted_schema = OFF")
            db.execute("PRAGMA query_only = ON")
            deadline = monotonic.monotonic() + LONGEST_SECONDS
            db.set_progress_handler(lambda: monotonic.monotonic() > deadline, 100_000)
            tables = {
                row[0].lower()
                for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            for needed in ("habits", "repetitions"):
                if needed not in tables:
                    raise InvalidInput(f"{path} has no {needed.title()} table: not a Loop backup")
            habits = _rows(db, "Habits")
            repetitions = _rows(db, "Repetitions")
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        said = (
            f"reading it took longer than {LONGEST_SECONDS:g} s"
            if "interrupt" in str(exc)
            else str(exc)
        )
        raise InvalidInput(f"{path} is not a Loop backup habitd can read ({said})") from None
    ids: dict[int, str] = {}
    taken: set[str] = set()
    numerical: set[int] = set()
    for habit in habits:
        if not isinstance(habit.get("id"), int):
            raise InvalidInput(f"{path}: a habit without a whole-number id; not a Loop backup")
    for habit in sorted(habits, key=lambda h: (_number(h.get("position")), h["id"])):
        name = str(habit.get("name") or f"habit {habit['id']}")[:200]
        habit_id = _habit_id(name, taken)
        ids[habit["id"]] = habit_id
        table: dict[str, Any] = {"id": habit_id, "name": name}
        num, den = int(habit.get("freq_num") or 1), int(habit.get("freq_den") or 1)
        if (num, den) != (1, 1):
            table["target"] = f"{num}/{den}"
        if habit.get("type") == 1:
            numerical.add(habit["id"])
            table["type"] = "at-most" if habit.get("target_type") == 1 else "at-least"
            table["threshold"] = float(habit.get("target_value") or 0)
            if habit.get("unit"):
                table["unit"] = str(habit["unit"])
        plan.habits.append(table)
    inferred = 0
    for repetition in repetitions:
        habit_key = repetition.get("habit")
        owner = ids.get(habit_key) if isinstance(habit_key, int) else None
        if owner is None:
            plan.skipped.append(f"a repetition of an unknown habit {habit_key!r:.40}")
            continue
        stamp, value = repetition.get("timestamp"), repetition.get("value", 2)
        try:  # old backups: a repetition without a value is a check-in
            if not isinstance(stamp, int) or not isinstance(value, int | float | None):
                raise ValueError
            day = datetime.fromtimestamp(stamp / 1000, UTC).date()
        except (ValueError, OverflowError, OSError):
            plan.skipped.append(
                f"a repetition of {owner} with a time or value it cannot read "
                f"({stamp!r:.30}, {value!r:.30})"
            )
            continue
        notes = repetition.get("notes")
        note = notes if isinstance(notes, str) and notes else None
        if repetition.get("habit") in numerical:
            plan.marks.append([owner, day.isoformat(), "done", (value or 0) / 1000, note])
        elif isinstance(value, int) and value in LOOP_STATES:
            plan.marks.append([owner, day.isoformat(), LOOP_STATES[value], None, note])
        elif value == 1:
            inferred += 1
    if inferred:
        plan.skipped.append(
            f"{inferred} day(s) Loop inferred from the habit's frequency (not check-ins): left "
            "unmarked, as habitd counts frequency itself"
        )
    return plan


LOOP_CSV_STATES = {"YES_MANUAL": "done", "SKIP": "skipped"}
"""Loop's CSV values habitd keeps (YES_AUTO is inferred, NO and UNKNOWN are not marks)."""


def _loop_csv(path: Path) -> Plan:
    """Loop's CSV export: a folder (or its zip) with Habits.csv and ``NNN Name/Checkmarks.csv``."""
    files = _files(path)
    if "Habits.csv" not in files:
        raise InvalidInput(f"{path} has no Habits.csv: it is not Loop's CSV export")
    plan = Plan("Loop Habit Tracker CSV")
    taken: set[str] = set()
    by_position: dict[str, str] = {}
    numerical: set[str] = set()
    for row in csv.DictReader(io.StringIO(files["Habits.csv"])):
        name = (row.get("Name") or "").strip() or f"habit {row.get('Position')}"
        habit_id = _habit_id(name, taken)
        by_position[(row.get("Position") or "").strip()] = habit_id
        table: dict[str, Any] = {"id": habit_id, "name": name}
        num = int(row.get("FrequencyNumerator") or 1)
        den = int(row.get("FrequencyDenominator") or 1)
        if (num, den) != (1, 1):
            table["target"] = f"{num}/{den}"
        if (row.get("Type") or "").strip() in ("NUMERICAL", "1"):
            numerical.add(habit_id)
            table["type"] = "at-most" if row.get("Target Type") in ("AT_MOST", "1") else "at-least"
            table["threshold"] = float(row.get("Target Value") or 0)
            if row.get("Unit"):
                table["unit"] = row["Unit"]
        plan.habits.append(table)
    for name, text in sorted(files.items()):
        folder, _, leaf = name.rpartition("/")
        if leaf != "Checkmarks.csv" or not folder:
            continue
        owner = by_position.get(folder.split("/")[-1].split(" ", 1)[0])
        if owner is None:
            plan.skipped.append(f"{name}: no habit in Habits.csv at that position")
            continue
        for row in csv.DictReader(io.StringIO(text)):
            value, day = (row.get("Value") or "").strip(), (row.get("Date") or "").strip()
            note = (row.get("Notes") or "").strip() or None
            if value in LOOP_CSV_STATES:
                plan.marks.append([owner, day, LOOP_CSV_STATES[value], None, note])
            elif owner in numerical and re.fullmatch(r"[0-9.]+", value):
                plan.marks.append([owner, day, "done", float(value), note])
    return plan


def _files(path: Path) -> dict[str, str]:
    """The CSV files of a folder or a zip, by their path inside it."""
    if path.is_dir():
        return {
            str(file.relative_to(path)): file.read_text(encoding="utf-8-sig")
            for file in path.rglob("*.csv")
        }
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.endswith(".csv")]
            unpacked = sum(m.file_size for m in members)
            if unpacked > LARGEST or any(
                m.file_size > LARGEST_RATIO * max(m.compress_size, 1024) for m in members
            ):
                raise InvalidInput(
                    f"{path} would unpack to far more than it holds; habitd will not open it"
                )
            found = {m.filename: archive.read(m).decode("utf-8-sig") for m in members}
    except zipfile.BadZipFile:
        raise InvalidInput(f"{path} is not a zip habitd can read") from None
    roots = sorted((n for n in found if n.rsplit("/", 1)[-1] == "Habits.csv"), key=len)
    top = roots[0][: -len("Habits.csv")] if roots else ""  # with or without a top folder
    return {name[len(top) :]: text for name, text in found.items() if name.startswith(top)}


def _habit_id(name: str, taken: set[str]) -> str:
    """An id for a habit named ``name`` (``Walk the dog`` -> ``walk-the-dog``), made
    distinct from those ``taken`` (Loop allows two habits of one name: ``walk-2``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "habit"
    habit_id, number = slug[:40].rstrip("-"), 2
    while habit_id in taken:
        habit_id, number = f"{slug[:36].rstrip('-')}-{number}", number + 1
    taken.add(habit_id)
    return habit_id


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _rows(db: Any, table: str) -> list[dict[str, Any]]:
    cursor = db.execute(f"SELECT * FROM {table}")
    names = [column[0].lower() for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _daylio(path: Path, zone: tzinfo) -> Plan:
    plan = Plan("Daylio CSV")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
        try:
            moment = datetime.combine(
                date.fromisoformat(row["full_date"].strip()), _clock(row.get("time", ""))
            ).replace(tzinfo=zone)
        except (KeyError, ValueError):
            plan.skipped.append(f"line {number}: no date and time it can read ({row!r:.80})")
            continue
        fields: dict[str, Any] = {"source": "daylio"}
        label = row.get("mood", "").strip()
        activities = [a.strip() for a in row.get("activities", "").split(" | ") if a.strip()]
        if label.lower() in DAYLIO_MOODS:
            fields["mood"] = DAYLIO_MOODS[label.lower()]
        elif label:
            activities.insert(0, label)
            plan.skipped.append(
                f"line {number}: the mood {label!r} is not one of Daylio's five; kept as an "
                "activity"
            )
        if activities:
            fields["activities"] = activities
        if row.get("note_title", "").strip():
            fields["title"] = row["note_title"].strip()
        if row.get("note", "").strip():
            fields["note"] = row["note"]
        plan.entries.append({"kind": "journal", "ts": moment.isoformat(), "fields": fields})
    return plan


def _clock(text: str) -> time:
    """``21:45``, ``9:45 pm`` or ``9:45 PM``."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*([ap]\.?m\.?)?\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(text)
    hour, minute = int(match[1]), int(match[2])
    if match[3]:
        hour = hour % 12 + (12 if match[3].lower().startswith("p") else 0)
    return time(hour, minute)
