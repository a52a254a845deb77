"""The SQLite store: schema, migrations and queries. Every write is committed before it returns.

One file in the data dir, 0600, in WAL mode with foreign keys on and a busy timeout, so the
daemon and an in-process client can both use it. ``synchronous=FULL``: what a person wrote
is on disk before habitd says "saved". The schema version lives in ``PRAGMA user_version``;
:data:`MIGRATIONS` upgrades any older file step by step.

One writer (:mod:`habitd.writer`): every write runs on the store's writer thread, on the
only connection that writes, whoever asked for it; a write method called from another
thread hands itself over and waits. Every other thread reads through a read-only
connection of its own, so a read never waits for a write, a backup or another reader.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from habitd.clock import to_stored, utc_now
from habitd.errors import DatabaseGone, HabitdError
from habitd.files import own_leftovers, temporary_beside
from habitd.writer import Writer

_T = TypeVar("_T")
_W = TypeVar("_W", bound=Callable[..., Any])


def writes(method: _W) -> _W:
    """A store method that writes: it runs on the writer thread (called from any other
    thread, it is handed over and waited for)."""

    @wraps(method)
    def handed_over(self: Store, *args: Any, **kwargs: Any) -> Any:
        return self.write(lambda: method(self, *args, **kwargs))

    return handed_over  # type: ignore[return-value]


_ENTRY_WORDS = """coalesce({row}emotion, '') || ' ' || coalesce({row}trigger, '') || ' ' ||
    coalesce({row}halt, '') || ' ' || coalesce({row}note, '') || ' ' || coalesce(
        (SELECT group_concat(value, ' ') FROM json_each(coalesce({row}extra, '{{}}'))
         WHERE type = 'text'), '')"""
"""What search finds an entry by: its feeling, trigger, HALT, note and every text it holds."""

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        nudge TEXT,
        event TEXT NOT NULL,
        title TEXT,
        body TEXT,
        habit TEXT,
        detail TEXT
    );
    CREATE INDEX events_ts ON events (ts);
    CREATE INDEX events_nudge ON events (nudge, ts);
    CREATE TABLE checks (
        habit TEXT NOT NULL,
        day TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('done', 'skipped', 'lapse')),
        value REAL,
        note TEXT,
        ts TEXT NOT NULL,
        PRIMARY KEY (habit, day)
    );
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        kind TEXT NOT NULL,
        emotion TEXT,
        intensity INTEGER,
        trigger TEXT,
        craving INTEGER,
        halt TEXT,
        note TEXT,
        extra TEXT
    );
    CREATE INDEX entries_ts ON entries (ts);
    CREATE TABLE contacts_log (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        name TEXT NOT NULL,
        how TEXT,
        note TEXT
    );
    CREATE TABLE plugin_state (
        plugin TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (plugin, key)
    );
    CREATE TABLE pending (
        nudge TEXT PRIMARY KEY,
        due TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    """,
    # 2: "what is marked today" without a scan
    """
    CREATE INDEX checks_day ON checks (day);
    """,
    # 3: reports over a period: covering indexes for the aggregates
    """
    CREATE INDEX entries_kind_ts ON entries (kind, ts, craving);
    CREATE INDEX entries_trigger_ts ON entries (trigger, ts);
    CREATE INDEX entries_emotion_ts ON entries (emotion, ts, intensity);
    """,
    # 4: exactly once: a write's key and its first result (a retry returns that result), and
    # the change log the daemon reacts to (written with the change, in one transaction)
    """
    CREATE TABLE requests (
        key TEXT PRIMARY KEY,
        method TEXT NOT NULL,
        result TEXT NOT NULL,
        ts TEXT NOT NULL
    );
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL,
        what TEXT NOT NULL,
        data TEXT NOT NULL
    );
    """,
    # 5: search: every word of an entry (its note, trigger, feeling and every text of its
    # extra fields: what helped, a thought record's parts...), kept by triggers
    """
    CREATE VIRTUAL TABLE entries_search USING fts5(
        words, tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER entries_search_insert AFTER INSERT ON entries BEGIN
        INSERT INTO entries_search (rowid, words) VALUES (new.id, {new});
    END;
    CREATE TRIGGER entries_search_update AFTER UPDATE ON entries BEGIN
        DELETE FROM entries_search WHERE rowid = old.id;
        INSERT INTO entries_search (rowid, words) VALUES (new.id, {new});
    END;
    CREATE TRIGGER entries_search_delete AFTER DELETE ON entries BEGIN
        DELETE FROM entries_search WHERE rowid = old.id;
    END;
    INSERT INTO entries_search (rowid, words) SELECT id, {old} FROM entries;
    """.format(new=_ENTRY_WORDS.format(row="new."), old=_ENTRY_WORDS.format(row="")),
)
SCHEMA_VERSION = len(MIGRATIONS)
# What a plugin's ``ctx.query`` may read: the person's own data (documented in
# docs/plugins.md), and what it may not: habitd's bookkeeping. Every table is in one of the
# two (a test holds the schema to it), so a new table is a decision, not an accident.
PERSON_TABLES = ("entries", "checks", "events", "contacts_log", "entries_search")
HABITD_TABLES = ("plugin_state", "pending", "requests", "changes", "sqlite_sequence")


def _person_only(action: int, table: str | None, *_: object) -> int:
    """SQLite's authorizer for a plugin's reader: no table of habitd's own, no ATTACH."""
    if action == sqlite3.SQLITE_ATTACH:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and table in HABITD_TABLES:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


BUSY = (
    "habitd is upgrading your data, or another habitd is writing it; one moment, then try "
    "again (nothing was lost)"
)


class Event(NamedTuple):
    """One row of nudge history."""

    id: int
    ts: datetime
    nudge: str | None
    event: str
    title: str | None
    body: str | None
    habit: str | None
    detail: Mapping[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The shape ``habitd history --json`` promises."""
        return {
            "id": self.id,
            "ts": self.ts.isoformat(),
            "nudge": self.nudge,
            "event": self.event,
            "title": self.title,
            "body": self.body,
            "habit": self.habit,
            "detail": dict(self.detail),
        }


class Change(NamedTuple):
    """One entry of the change log: what was written (``action``, ``entry``) and when."""

    id: int
    ts: datetime
    what: str
    data: Mapping[str, Any]


class Once:
    """What :meth:`Store.once` yields: whether this key was written before (and its result
    then), and the place to put this write's result."""

    def __init__(self) -> None:
        self.replayed = False
        self.result: Any = None


class Check(NamedTuple):
    """A habit's mark for one day."""

    habit: str
    day: date
    state: str
    value: float | None
    note: str | None


class StoreError(HabitdError):
    """The database cannot be opened or written; the message says what to do."""


def columns(db: sqlite3.Connection) -> dict[str, list[str]]:
    """Every table's column names."""
    tables = [
        row[0]
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not row[0].startswith("sqlite_")
    ]
    return {t: [c[1] for c in db.execute(f"PRAGMA table_info('{t}')")] for t in tables}


def expected_columns(version: int) -> dict[str, list[str]]:
    """The tables and columns a database of schema ``version`` has."""
    db = sqlite3.connect(":memory:")
    try:
        for script in MIGRATIONS[:version]:
            db.executescript(script)
        return columns(db)
    finally:
        db.close()


def _identity(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def check_backup(path: Path) -> int:
    """The schema version of a backup file, after checking it whole (integrity, version,
    every table's columns); raises :class:`StoreError` saying what is wrong."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            found = columns(db)
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a habitd backup ({exc})") from None
    if not 1 <= version <= SCHEMA_VERSION:
        raise StoreError(f"{path} is not a habitd backup this version can read (schema {version})")
    if verdict != "ok":
        raise StoreError(f"{path} is damaged ({verdict}); choose another backup")
    for table, wanted in expected_columns(version).items():
        if found.get(table) != wanted:
            raise StoreError(
                f"{path} is not a habitd backup: its table {table!r} has columns "
                f"{found.get(table)}, schema {version} has {wanted}"
            )
    return version


def restore(source: Path, db: Path, aside: Path) -> Path:
    """Put the backup ``source`` in place of the database ``db``, all or nothing: the live
    name holds the old database or the whole new one at every moment, 0600. The old one
    stays at ``aside`` (a hard link, so it is never missing; ``~2``... when taken), which is
    returned."""
    from habitd.files import sync_folder

    for stale in own_leftovers(db):
        stale.unlink(missing_ok=True)  # from a restore that was stopped half-way
    if db.exists():
        live = sqlite3.connect(db)  # fold the WAL into the file, so the file is all of it
        try:
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            live.close()
        for number in range(2, 100):  # a second restore within the same second
            if not aside.exists():
                break
            aside = aside.with_name(f"{aside.name.split('~')[0]}~{number}")
        os.link(db, aside)
    temporary, fd = temporary_beside(db)
    try:
        with open(fd, "wb") as out, open(source, "rb") as data:
            while chunk := data.read(1 << 20):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        check_backup(temporary)
        for suffix in ("-wal", "-shm"):  # the old database's, now folded in
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, db)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        for suffix in ("-wal", "-shm"):  # the check's, of a backup still in WAL mode
            Path(f"{temporary}{suffix}").unlink(missing_ok=True)
    sync_folder(db.parent)
    return aside


class Store:
    """The database: one writer thread, a reading connection per thread. Thread-safe:
    plugin hooks run in worker threads, the daemon's loop reads, the writer writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = Writer()
        self._depth = 0
        """How many :meth:`_write` blocks are open (on the writer thread: nobody else)."""
        self._db = self._open(path)
        """The one connection that writes, used on the writer thread only (it is opened
        here, before the thread exists, so a file that cannot be opened fails the caller)."""
        self._identity = _identity(path)
        """The database file's (device, inode) when it was opened: a write checks it is still
        the file at :attr:`path`."""
        self._local = threading.local()
        self._readers: dict[threading.Thread, sqlite3.Connection] = {}
        self._readers_lock = threading.Lock()
        """Guards :attr:`_readers` (threads open their connection at their first read)."""
        self._blocking_forbidden: int | None = None

    def forbid_blocking_writes(self) -> None:
        """From now on a write method called on this thread (the daemon's event loop) is a
        bug, raised at once: the loop hands writes over with :meth:`submit` and awaits them,
        so it never waits for the writer."""
        self._blocking_forbidden = threading.get_ident()

    def _not_here(self) -> None:
        if threading.get_ident() == self._blocking_forbidden:
            raise RuntimeError("a blocking write on the event loop: submit it and await it")

    def submit(self, work: Callable[[], _T]) -> Future[_T]:
        """Run ``work`` (a function of store writes: one operation) on the writer thread;
        its result comes through the future. Everything it writes through this store runs
        there, in order with every other write."""
        return self._writer.submit(work)

    def write(self, work: Callable[[], _T]) -> _T:
        """:meth:`submit` ``work`` and wait for its result (from a thread that may block; on
        the writer thread itself, it runs at once)."""
        self._not_here()
        return self._writer.run(work)

    def gone(self) -> str | None:
        """Why the file at :attr:`path` is no longer the database this store writes to
        (removed, or another file put in its place), or None while it is."""
        try:
            now = _identity(self.path)
        except FileNotFoundError:
            return f"the database file {self.path} was removed while habitd was running"
        except OSError as exc:
            return f"the database file {self.path} cannot be checked ({exc.strerror})"
        if now != self._identity:
            return f"the database file {self.path} was replaced while habitd was running"
        return None

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        try:
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA busy_timeout = 5000")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA secure_delete = ON")  # a deleted entry's words are overwritten
            db.execute("PRAGMA foreign_keys = ON")
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise StoreError(BUSY) from None
            raise StoreError(
                f"cannot open {path} for writing ({exc}); is its folder read-only or its disk "
                "full? Your data was left untouched"
            ) from None
        except OSError as exc:
            raise StoreError(
                f"cannot open {path} for writing ({exc}); is its folder read-only or its disk "
                "full? Your data was left untouched"
            ) from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path} is not a habitd database or is damaged ({exc}); it was left untouched. "
                "Restore a backup with `habitd restore FILE --yes` (daily copies are in "
                "~/.local/state/habitd/backups/)"
            ) from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} was written by a newer habitd (schema {version}, this one "
                f"knows {SCHEMA_VERSION}); upgrade habitd"
            )
        if version < SCHEMA_VERSION:
            try:
                _migrate(db)
            except sqlite3.OperationalError as exc:
                db.close()
                if "locked" in str(exc):
                    raise StoreError(BUSY) from None
                raise StoreError(
                    f"could not upgrade {path} ({exc}); it was left as it was"
                ) from None
        for suffix in ("", "-wal", "-shm"):
            sidecar = Path(f"{path}{suffix}")
            if sidecar.exists():
                sidecar.chmod(0o600)
        return db

    def backup(self, target: Path) -> Path:
        """An online copy of the whole database, 0600, written to a temporary file of
        habitd's own first (:func:`habitd.files.temporary_beside`) so a half-written copy
        never carries the final name. Nothing else in the target's folder is touched but
        habitd's own leftovers of an interrupted copy to the same name.

        It copies from a read snapshot on a connection of its own (SQLite's backup API in
        one step: a copy in several steps from a connection other than the writer's starts
        again after every write), so in WAL mode neither the writer nor any reader waits for
        it, however large the database; only the caller's thread is busy."""
        for stale in own_leftovers(target):
            stale.unlink(missing_ok=True)
        partial, fd = temporary_beside(target)
        os.close(fd)
        try:
            source = self._connect(read_only=True)
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
                # one self-contained file: reading it never makes -wal and -shm files beside it
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()
                source.close()
            fd = os.open(partial, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return target

    def close(self) -> None:
        """Finish the writes handed over, close the writer's connection (checkpointing the
        WAL) and every reader's."""
        self._writer.stop(self._db.close)
        with self._readers_lock:
            readers, self._readers = list(self._readers.values()), {}
        for db in readers:
            with contextlib.suppress(sqlite3.ProgrammingError):  # a thread still reading
                db.close()

    def _connect(self, read_only: bool) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 5000")
        if read_only:
            db.execute("PRAGMA query_only = ON")
        return db

    def _reading(self) -> sqlite3.Connection:
        """The connection to read through on this thread: the writer's on the writer thread
        (a write's own reads see what it wrote), else the thread's own read-only one."""
        if self._writer.on_thread():
            return self._db
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect(read_only=True)
            with self._readers_lock:
                for thread in [t for t in self._readers if not t.is_alive()]:
                    self._readers.pop(thread).close()  # a retired plugin worker's
                self._readers[threading.current_thread()] = db
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a write inside another joins it (one commit for both).
        On the writer thread only."""
        if not self._writer.on_thread():
            raise RuntimeError("store writes run on the writer thread: use Store.write")
        if self._depth:
            yield self._db
            return
        gone = self.gone()
        if gone is not None:
            raise DatabaseGone(
                f"{gone}; nothing was saved there. Restart the daemon "
                "(`systemctl --user restart habitd`) so it opens the database at that name"
            )
        self._depth += 1
        try:
            with _transaction(self._db):
                yield self._db
        except sqlite3.OperationalError as exc:
            raise StoreError(f"could not save to {self.path}: {exc}") from None
        finally:
            self._depth -= 1

    @contextmanager
    def once(self, key: str | None, method: str) -> Iterator[Once]:
        """A write that happens once per ``key``: every write inside the block commits in
        one transaction together with the key and ``Once.result``. When the key was written
        before, the block must do nothing but return ``Once.result`` (the first result):
        a retry after a lost answer never doubles a write. Without a key, a plain
        transaction."""
        outcome = Once()
        with self._write() as db:
            if key is not None:
                row = db.execute("SELECT result FROM requests WHERE key = ?", (key,)).fetchone()
                if row is not None:
                    outcome.replayed, outcome.result = True, json.loads(row[0])
                    yield outcome
                    return
            yield outcome
            if key is not None:
                db.execute(
                    "INSERT INTO requests (key, method, result, ts) VALUES (?, ?, ?, ?)",
                    (key, method, json.dumps(outcome.result, default=str), to_stored(utc_now())),
                )

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._reading().execute(sql, params).fetchall()

    # --- the change log -------------------------------------------------------------------

    @writes
    def add_change(self, what: str, data: Mapping[str, Any], ts: datetime) -> int:
        """Append a change (``action`` or ``entry``) for the daemon to react to; inside an
        operation's transaction, it commits with the change itself."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO changes (ts, what, data) VALUES (?, ?, ?)",
                (to_stored(ts), what, json.dumps(data, default=str)),
            )
            return int(cursor.lastrowid or 0)

    @writes
    def prune(self, before: datetime, reacted_up_to: int) -> tuple[int, int]:
        """Forget bookkeeping older than ``before``: changes reacted to (ids up to
        ``reacted_up_to``) and request keys, whose retries and replays are long over.
        Returns how many of each went."""
        stamp = to_stored(before)
        with self._write() as db:
            changes = db.execute(
                "DELETE FROM changes WHERE id <= ? AND ts < ?", (reacted_up_to, stamp)
            ).rowcount
            requests = db.execute("DELETE FROM requests WHERE ts < ?", (stamp,)).rowcount
        return changes, requests

    def changes_after(self, last: int, limit: int = 100) -> list[Change]:
        """Changes with an id above ``last``, oldest first."""
        rows = self._read(
            "SELECT id, ts, what, data FROM changes WHERE id > ? ORDER BY id LIMIT ?",
            (last, limit),
        )
        return [
            Change(row[0], datetime.fromisoformat(row[1]), row[2], json.loads(row[3]))
            for row in rows
        ]

    # --- events ---------------------------------------------------------------------------

    @writes
    def add_event(
        self,
        event: str,
        nudge: str | None = None,
        *,
        title: str | None = None,
        body: str | None = None,
        habit: str | None = None,
        detail: Mapping[str, Any] | None = None,
        ts: datetime | None = None,
    ) -> int:
        """Record one thing that happened to a nudge; returns its id."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO events (ts, nudge, event, title, body, habit, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    to_stored(ts or utc_now()),
                    nudge,
                    event,
                    title,
                    body,
                    habit,
                    json.dumps(dict(detail)) if detail else None,
                ),
            )
            return int(cursor.lastrowid or 0)

    def events(
        self, since: datetime | None = None, nudge: str | None = None, limit: int | None = None
    ) -> list[Event]:
        """History, oldest first, optionally since a moment or for one nudge."""
        sql = "SELECT id, ts, nudge, event, title, body, habit, detail FROM events WHERE 1=1"
        params: list[Any] = []
        if since is not None:
            sql += " AND ts >= ?"
            params.append(to_stored(since))
        if nudge is not None:
            sql += " AND nudge = ?"
            params.append(nudge)
        sql += " ORDER BY ts DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self._read(sql, tuple(params))
        return [
            Event(
                row[0],
                datetime.fromisoformat(row[1]),
                row[2],
                row[3],
                row[4],
                row[5],
                row[6],
                json.loads(row[7]) if row[7] else {},
            )
            for row in reversed(rows)
        ]

    # --- habit marks ----------------------------------------------------------------------

    @writes
    def set_check(
        self, habit: str, day: date, state: str, value: float | None = None, note: str | None = None
    ) -> None:
        """Mark a habit for a day; marking the same day again replaces the mark."""
        with self._write() as db:
            db.execute(
                "INSERT INTO checks (habit, day, state, value, note, ts) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (habit, day) DO UPDATE SET state = excluded.state,"
                " value = excluded.value, note = excluded.note, ts = excluded.ts",
                (habit, day.isoformat(), state, value, note, to_stored(utc_now())),
            )

    @writes
    def delete_check(self, habit: str, day: date) -> Check | None:
        """Remove a habit's mark for a day; the mark that was there, if any."""
        with self._write() as db:
            found = self.check_on(habit, day)
            if found is not None:
                db.execute(
                    "DELETE FROM checks WHERE habit = ? AND day = ?", (habit, day.isoformat())
                )
            return found

    def checks(self, habit: str | None = None) -> list[Check]:
        """Habit marks, oldest day first."""
        sql = "SELECT habit, day, state, value, note FROM checks"
        params: tuple[Any, ...] = ()
        if habit is not None:
            sql += " WHERE habit = ?"
            params = (habit,)
        rows = self._read(sql + " ORDER BY day, habit", params)
        return [Check(r[0], date.fromisoformat(r[1]), r[2], r[3], r[4]) for r in rows]

    def check_rows(self, habit: str | None = None) -> list[tuple[str, str, str, Any, Any]]:
        """Raw marks ``(habit, day, state, value, note)`` in no particular order: the fast
        path for computing streaks over years of data."""
        if habit is None:
            return self._read("SELECT habit, day, state, value, note FROM checks")
        return self._read(
            "SELECT habit, day, state, value, note FROM checks WHERE habit = ?", (habit,)
        )

    def check_on(self, habit: str, day: date) -> Check | None:
        """A habit's mark for one day, if any."""
        found = [c for c in self.checks_on(day) if c.habit == habit]
        return found[0] if found else None

    def checks_on(self, day: date) -> list[Check]:
        """Every habit's mark for one day."""
        rows = self._read(
            "SELECT habit, day, state, value, note FROM checks WHERE day = ?", (day.isoformat(),)
        )
        return [Check(r[0], date.fromisoformat(r[1]), r[2], r[3], r[4]) for r in rows]

    # --- journal entries ----------------------------------------------------------------------

    @writes
    def add_entry(
        self,
        kind: str,
        *,
        ts: datetime,
        extra: Mapping[str, Any] | None = None,
        emotion: str | None = None,
        intensity: int | None = None,
        trigger: str | None = None,
        craving: int | None = None,
        halt: str | None = None,
        note: str | None = None,
    ) -> int:
        """Save a journal entry; returns its id once it is committed."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO entries (ts, kind, emotion, intensity, trigger, craving, halt, note,"
                " extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    to_stored(ts),
                    kind,
                    emotion,
                    intensity,
                    trigger,
                    craving,
                    halt,
                    note,
                    json.dumps(dict(extra)) if extra else None,
                ),
            )
            return int(cursor.lastrowid or 0)

    def entries(
        self,
        since: datetime | None = None,
        kind: str | None = None,
        limit: int | None = None,
        entry_id: int | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Entries as plain dicts, oldest first (of ``ids`` only, when given)."""
        sql = (
            "SELECT id, ts, kind, emotion, intensity, trigger, craving, halt, note, extra "
            "FROM entries WHERE 1=1"
        )
        params: list[Any] = []
        for clause, value in (
            ("ts >= ?", to_stored(since) if since else None),
            ("kind = ?", kind),
            ("id = ?", entry_id),
        ):
            if value is not None:
                sql += f" AND {clause}"
                params.append(value)
        if ids is not None:
            sql += f" AND id IN ({', '.join('?' for _ in ids) or 'NULL'})"
            params.extend(ids)
        sql += " ORDER BY ts DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        names = ("id", "ts", "kind", "emotion", "intensity", "trigger", "craving", "halt", "note")
        found = []
        for row in reversed(self._read(sql, tuple(params))):
            entry = {
                name: value for name, value in zip(names, row, strict=False) if value is not None
            }
            entry.update(json.loads(row[9]) if row[9] else {})
            found.append(entry)
        return found

    @writes
    def update_entry(
        self,
        entry_id: int,
        columns: Mapping[str, Any],
        extra: Mapping[str, Any],
        ts: datetime | None = None,
    ) -> None:
        """Replace an entry's fields (and its time, with ``ts``); its id and kind stay."""
        with self._write() as db:
            if ts is not None:
                db.execute("UPDATE entries SET ts = ? WHERE id = ?", (to_stored(ts), entry_id))
            db.execute(
                "UPDATE entries SET emotion = ?, intensity = ?, trigger = ?, craving = ?, "
                "halt = ?, note = ?, extra = ? WHERE id = ?",
                (
                    *(
                        columns.get(c)
                        for c in ("emotion", "intensity", "trigger", "craving", "halt", "note")
                    ),
                    json.dumps(dict(extra)) if extra else None,
                    entry_id,
                ),
            )

    def has_entry(self, kind: str, ts: datetime, note: str | None) -> bool:
        """Whether an entry of ``kind`` at ``ts`` with this note is already there (an
        imported entry is recognised when the same file comes again)."""
        rows = self._read(
            "SELECT 1 FROM entries WHERE kind = ? AND ts = ? AND coalesce(note, '') = ? LIMIT 1",
            (kind, to_stored(ts), note or ""),
        )
        return bool(rows)

    def search(self, text: str, limit: int = 200) -> list[int]:
        """Entry ids whose words match every word of ``text`` (prefixes too: "lonel" finds
        lonely), best match first."""
        words = re.findall(r"\w+", text)
        if not words:
            return []
        query = " ".join('"' + word.replace('"', '""') + '"*' for word in words)
        rows = self._read(
            "SELECT rowid FROM entries_search WHERE entries_search MATCH ? "
            "ORDER BY bm25(entries_search) LIMIT ?",
            (query, limit),
        )
        return [int(row[0]) for row in rows]

    @writes
    def delete_entry(self, entry_id: int) -> bool:
        """Remove an entry for good; False if there was none. Its words go from every table
        that held them: the entry (its freed space overwritten: ``secure_delete``), the
        search index (merged, so no segment keeps them) and the change log's copy of the
        reply it came from. :meth:`forget` then clears them from the write-ahead log."""
        with self._write() as db:
            row = db.execute("SELECT note FROM entries WHERE id = ?", (entry_id,)).fetchone()
            if row is None:
                return False
            db.execute("DELETE FROM entries WHERE id = ?", (entry_id,))
            if row[0] is not None:  # a reply from a notification: its words are in the log
                db.execute(
                    "UPDATE changes SET data = json_set(data, '$.text', NULL) WHERE what = "
                    "'action' AND json_extract(data, '$.action') = 'replied' AND "
                    "json_extract(data, '$.text') = ?",
                    (row[0],),
                )
            db.execute("INSERT INTO entries_search (entries_search) VALUES ('optimize')")
            return True

    @writes
    def delete_imported(
        self, entry_ids: Sequence[int], marks: Sequence[tuple[str, date]]
    ) -> tuple[int, int]:
        """Remove the entries and marks an import added (taking back a stopped import);
        how many of each went."""
        entries = removed = 0
        with self._write() as db:
            for start in range(0, len(entry_ids), 500):
                chunk = list(entry_ids[start : start + 500])
                entries += db.execute(
                    f"DELETE FROM entries WHERE id IN ({', '.join('?' for _ in chunk)})", chunk
                ).rowcount
            for habit, day in marks:
                removed += db.execute(
                    "DELETE FROM checks WHERE habit = ? AND day = ?", (habit, day.isoformat())
                ).rowcount
        return entries, removed

    @writes
    def forget(self) -> None:
        """After a delete has committed: move every page into the database file and empty
        the write-ahead log, whose old copies of the pages still held the words (readers
        that hold an older snapshot may keep some until they finish; the daemon's stop
        empties it in any case)."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def vocabulary(self, column: str) -> list[tuple[str, int]]:
        """The person's own words in ``emotion`` or ``trigger``, most used first."""
        if column not in ("emotion", "trigger"):
            raise ValueError(column)
        return [
            (row[0], int(row[1]))
            for row in self._read(
                f"SELECT {column}, count(*) AS n FROM entries WHERE {column} IS NOT NULL "
                f"GROUP BY {column} ORDER BY n DESC, {column}"
            )
        ]

    # --- insights: aggregates computed in SQL -------------------------------------------------

    def reader(self) -> sqlite3.Connection:
        """A connection of its own that can only read, and only the person's data (a
        plugin's ``ctx.query``): :data:`PERSON_TABLES`, never habitd's own bookkeeping
        (:data:`HABITD_TABLES`: other plugins' state, the change log, request keys) and no
        other database file. WAL lets it read while habitd writes, and it never waits for
        the writer."""
        db = sqlite3.connect(
            f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )
        db.execute("PRAGMA query_only = ON")
        db.set_authorizer(_person_only)
        return db

    def aggregate(
        self,
        sql: str,
        params: tuple[Any, ...] = (),
        reader: sqlite3.Connection | None = None,
        seconds: float = 4.0,
    ) -> list[tuple[Any, ...]]:
        """Run one read-only statement (for reports and plugins), through ``reader`` when
        given: one that would write, or runs past ``seconds``, fails with
        :class:`StoreError`."""
        if reader is not None:
            import time

            deadline = time.monotonic() + seconds
            reader.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
            try:
                return reader.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                said: object = exc
                if "interrupt" in str(exc):
                    said = f"it ran longer than {seconds:g}s"
                elif "prohibited" in str(exc) or "not authorized" in str(exc):
                    said = f"it may read {', '.join(PERSON_TABLES)}"
                raise StoreError(f"query refused: {said}") from None
        try:
            return self._reading().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"query refused: {exc}") from None

    # --- reaching out --------------------------------------------------------------------

    @writes
    def add_contact(
        self, name: str, ts: datetime, how: str | None = None, note: str | None = None
    ) -> int:
        """Record that the person reached someone."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO contacts_log (ts, name, how, note) VALUES (?, ?, ?, ?)",
                (to_stored(ts), name, how, note),
            )
            return int(cursor.lastrowid or 0)

    def last_contacts(self) -> dict[str, datetime]:
        """When each person was last reached."""
        rows = self._read("SELECT name, max(ts) FROM contacts_log GROUP BY name")
        return {row[0]: datetime.fromisoformat(row[1]) for row in rows}

    # --- per-plugin key/value ---------------------------------------------------------------

    def get_state(self, plugin: str, key: str, default: Any = None) -> Any:
        """A plugin's stored value (JSON), or ``default``."""
        rows = self._read(
            "SELECT value FROM plugin_state WHERE plugin = ? AND key = ?", (plugin, key)
        )
        return json.loads(rows[0][0]) if rows else default

    @writes
    def set_state(self, plugin: str, key: str, value: Any) -> None:
        """Store a JSON-serialisable value for a plugin; ``None`` deletes it."""
        with self._write() as db:
            if value is None:
                db.execute("DELETE FROM plugin_state WHERE plugin = ? AND key = ?", (plugin, key))
            else:
                db.execute(
                    "INSERT INTO plugin_state (plugin, key, value) VALUES (?, ?, ?)"
                    " ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value",
                    (plugin, key, json.dumps(value)),
                )

    # --- pending one-off deliveries (snoozed or held nudges) ---------------------------------

    @writes
    def set_pending(self, nudge: str, due: datetime, reason: str) -> None:
        """Remember that ``nudge`` must fire at ``due`` (snoozed or held): survives restarts."""
        with self._write() as db:
            db.execute(
                "INSERT INTO pending (nudge, due, reason) VALUES (?, ?, ?)"
                " ON CONFLICT (nudge) DO UPDATE SET due = excluded.due, reason = excluded.reason",
                (nudge, to_stored(due), reason),
            )

    @writes
    def clear_pending(self, nudge: str) -> None:
        """Forget a pending delivery."""
        with self._write() as db:
            db.execute("DELETE FROM pending WHERE nudge = ?", (nudge,))

    def pending(self) -> list[tuple[str, datetime, str]]:
        """Every pending delivery: (nudge, due, reason), soonest first."""
        rows = self._read("SELECT nudge, due, reason FROM pending ORDER BY due")
        return [(row[0], datetime.fromisoformat(row[1]), row[2]) for row in rows]


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the schema up to date in one transaction (another process may race us: re-read)."""
    with _transaction(db):
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for script in MIGRATIONS[version:]:
            for statement in statements(script):
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def statements(script: str) -> list[str]:
    """A script's statements, one by one (a trigger's body keeps its own semicolons)."""
    found, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n;"):
                found.append(buffer)
            buffer = ""
    return found


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One immediate (write-locking) transaction on the autocommit connection."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
