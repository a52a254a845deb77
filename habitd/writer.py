"""The one writer: a thread of its own that runs every write to the database, in turn.

datasette's ``execute_write_fn`` is the model. Whoever writes (the core's operations, a
plugin through its context, the daemon's delivery and reactor bookkeeping, an import)
hands a function to :meth:`Writer.submit` and gets a future; the writer thread runs the
functions one after another on the one connection that writes. Nothing else ever uses
that connection, so no lock guards it and no reader waits for it: readers have their own
connections (WAL lets them read while the writer writes).

The thread starts at the first write and is a daemon thread: a process that exits while
a write waits loses nothing that was confirmed (SQLite commits are atomic; a write is
confirmed only when its future is done).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

_T = TypeVar("_T")

_STOP = object()


class Writer:
    """A queue and the one thread that works through it."""

    def __init__(self, name: str = "habitd-writer") -> None:
        self.name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        """Held while a write is queued: the thread starts once, nothing is queued after
        :meth:`stop`."""
        self._ident: int | None = None
        self._stopped = False

    def on_thread(self) -> bool:
        """Whether the caller is the writer thread itself."""
        return threading.get_ident() == self._ident

    def submit(self, work: Callable[[], _T]) -> Future[_T]:
        """Run ``work()`` on the writer thread after what was handed over before it; its
        result (or exception) comes through the returned future."""
        future: Future[_T] = Future()
        with self._start:
            if self._stopped:
                raise RuntimeError("the database was closed: nothing more can be written")
            if self._thread is None:
                ready = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(ready,), name=self.name, daemon=True
                )
                self._thread.start()
                ready.wait()
            self._queue.put((work, future))
        return future

    def run(self, work: Callable[[], _T]) -> _T:
        """Run ``work()`` on the writer thread and wait for it (from a thread that may
        block: a plugin's worker, a CLI); on the writer thread itself, run it at once."""
        if self.on_thread():
            return work()
        return self.submit(work).result()

    def stop(self, last: Callable[[], None] | None = None) -> None:
        """Finish what was handed over, run ``last`` (closing the connection) on the
        writer thread, and end it; without a thread, run ``last`` here."""
        with self._start:
            if self._stopped:
                return
            self._stopped = True
        if self._thread is None:
            if last is not None:
                last()
            return
        done: Future[None] = Future()
        self._queue.put((_STOP, (last, done)))
        done.result()
        self._thread.join()

    def _run(self, ready: threading.Event) -> None:
        self._ident = threading.get_ident()
        ready.set()
        while True:
            work, future = self._queue.get()
            if work is _STOP:
                last, done = future
                try:
                    if last is not None:
                        last()
                finally:
                    done.set_result(None)
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = work()
            except BaseException as exc:  # the submitter gets it, whatever it is
                future.set_exception(exc)
            else:
                future.set_result(result)
