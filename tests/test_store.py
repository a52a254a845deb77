"""The SQLite store: private files, versioned schema, committed writes, damaged files."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from habitd.store import SCHEMA_VERSION, Store, StoreError


def test_new_store_is_private_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    store.add_event("fired", "morning", title="t")
    assert stat.S_IMODE((tmp_path / "h.sqlite3").stat().st_mode) == 0o600
    other = sqlite3.connect(tmp_path / "h.sqlite3")
    assert other.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # committed before add_event returned: another connection sees it at once
    assert other.execute("SELECT nudge, event FROM events").fetchall() == [("morning", "fired")]
    store.close()


@pytest.mark.clock
def test_reopening_keeps_data_and_marks_replace(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = Store(path)
    store.set_check("walk", date(2026, 1, 1), "done", note="park")
    store.set_check("walk", date(2026, 1, 1), "skipped")
    store.set_state("demo", "count", {"n": 2})
    store.close()
    again = Store(path)
    [mark] = again.checks("walk")
    assert (mark.day, mark.state, mark.note) == (date(2026, 1, 1), "skipped", None)
    assert again.get_state("demo", "count") == {"n": 2}
    again.set_state("demo", "count", None)
    assert again.get_state("demo", "count", "gone") == "gone"


@pytest.mark.clock
def test_events_since_and_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    now = datetime.now(UTC)
    store.add_event("fired", "a", ts=now - timedelta(days=2))
    store.add_event("done", "a", ts=now - timedelta(hours=1))
    store.add_event("fired", "b", ts=now)
    assert [e.event for e in store.events()] == ["fired", "done", "fired"]
    assert [e.nudge for e in store.events(since=now - timedelta(days=1))] == ["a", "b"]
    assert [e.nudge for e in store.events(limit=1)] == ["b"]


@pytest.mark.clock
def test_pending_deliveries(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    later = datetime(2026, 1, 1, 12, tzinfo=UTC)
    store.set_pending("a", later, "snoozed")
    store.set_pending("a", later + timedelta(hours=1), "held")
    assert store.pending() == [("a", later + timedelta(hours=1), "held")]
    store.clear_pending("a")
    assert store.pending() == []


def test_a_file_that_is_not_a_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"these are my notes, not a database" * 100)
    with pytest.raises(StoreError, match="is not a habitd database or is damaged"):
        Store(path)
    assert path.read_bytes().startswith(b"these are my notes")


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="written by a newer habitd"):
        Store(path)


@pytest.mark.clock
def test_deleting_a_reply_clears_its_words_from_the_change_log(tmp_path: Path) -> None:
    """A journal entry that came from a notification's reply field: its words are also in
    the change log's record of the reply; deleting the entry clears them there too."""
    store = Store(tmp_path / "habitd.sqlite3")
    now = datetime.now(UTC)
    entry = store.add_entry("journal", ts=now, note="a heavy walrusword day")
    store.add_change("action", {"action": "replied", "text": "a heavy walrusword day"}, now)
    store.add_change("action", {"action": "replied", "text": "another day"}, now)
    assert store.delete_entry(entry) and not store.delete_entry(entry)
    texts = [c.data.get("text") for c in store.changes_after(0)]
    assert texts == [None, "another day"]
    store.close()
