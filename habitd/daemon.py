"""The daemon: one asyncio loop owning the scheduler, the notifier, the socket and plugins.

Start-up order: private folders, the single-instance lock (a second daemon refuses to
start; a socket left by a crashed one is replaced), the store, the config validated with
every plugin, the notifier, the schedule, the clock watch and logind, the socket; then
``habitd_startup``, reactions to what was written while no daemon ran
(:mod:`habitd.reactor`), and READY=1 to systemd. SIGTERM and
SIGINT stop it cleanly (socket removed); SIGHUP reloads the config, keeping the running
one if the new one has any problem.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from habitd import __version__, ipc, systemd
from habitd.app import App
from habitd.config import ConfigError
from habitd.errors import HabitdError
from habitd.lock import InstanceLock
from habitd.paths import Paths, ensure_private_dir
from habitd.runtime import Runtime

log = logging.getLogger("habitd.daemon")


def setup_logging(verbose: bool) -> None:
    """Log to stderr (journald keeps it under systemd), one line per record."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for library in ("apscheduler", "tzlocal", "asyncio", "dbus_fast"):
        if not verbose or library != "apscheduler":  # -v is about habitd, not its libraries
            logging.getLogger(library).setLevel(logging.WARNING)


def run(paths: Paths, notifier: str | None = None, verbose: bool = False) -> int:
    """Run the daemon in the foreground until SIGTERM/SIGINT; returns the exit code."""
    setup_logging(verbose)
    try:
        return asyncio.run(_serve(paths, notifier))
    except HabitdError as exc:
        for line in exc.message.splitlines():
            log.error("%s", line)
        return exc.exit_code


async def _serve(paths: Paths, notifier_mode: str | None) -> int:
    ensure_private_dir(paths.runtime_dir)
    ensure_private_dir(paths.data_dir)
    locks = [
        InstanceLock(paths.data_lock, f"on this database ({paths.db})"),
        InstanceLock(paths.lock, f"on this socket ({paths.socket})"),
    ]
    try:
        for lock in locks:
            lock.acquire()
        return await _run_locked(paths, notifier_mode)
    finally:
        for lock in locks:
            lock.release()


async def _run_locked(paths: Paths, notifier_mode: str | None) -> int:
    socket_path = str(paths.socket)
    if len(socket_path.encode()) >= 108:
        raise HabitdError(
            f"the socket path is too long for Unix sockets: {socket_path}; "
            "set XDG_RUNTIME_DIR to a shorter folder"
        )
    activated = systemd.listened_sockets()  # socket activation: systemd owns the socket
    if not activated and os.path.exists(socket_path):  # we hold the lock: nobody listens
        log.info("removing a stale socket left by an earlier daemon: %s", socket_path)
        os.unlink(socket_path)
    try:
        runtime = await Runtime.start(paths, notifier_mode)
    except ConfigError as exc:
        raise HabitdError("the config has problems, not starting:\n" + exc.message) from None
    app = runtime.app
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    server = None
    try:
        server = await ipc.serve(
            socket_path, app.dispatch, listening=activated[0] if activated else None
        )
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        loop.add_signal_handler(signal.SIGHUP, _spawn(loop, lambda: _reload(app)))
        notifier = app.notifier.name
        systemd.notify(
            "READY=1",
            f"STATUS={len(app.config.nudges)} nudges, notifier {notifier}",
            f"MAINPID={app.pid}",
        )
        log.info(
            "habitd %s ready: pid %d, %d nudges, notifier %s, config %s, socket %s",
            __version__,
            app.pid,
            len(app.config.nudges),
            notifier,
            app.config.source,
            socket_path,
        )
        await stop.wait()
        systemd.notify("STOPPING=1")
        log.info("stopping")
    finally:
        if server is not None:
            server.close()
        if not activated and os.path.exists(socket_path):
            os.unlink(socket_path)
        await runtime.stop()
    log.info("stopped")
    return 0


def _spawn(loop: asyncio.AbstractEventLoop, make: Callable[[], Any]) -> Callable[[], None]:
    tasks: set[asyncio.Task[Any]] = set()

    def start() -> None:
        task = loop.create_task(make())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return start


async def _reload(app: App) -> None:
    try:
        await app.reload()
    except ConfigError:
        pass  # App.reload logged every problem; the running config stays
    except Exception:
        log.exception("reload failed, keeping the running config")
