"""JSON-RPC 2.0 over a Unix stream socket: one JSON object per line, each way.

The client half is what ``habitd status`` runs on every call, so this module imports only
``json``, ``os``, ``socket`` and ``struct`` at the top; the asyncio server imports what it
needs inside :func:`serve`.

Server rules: only the daemon's own user may connect (``SO_PEERCRED``); a request line over
:data:`MAX_REQUEST` bytes, invalid JSON, an unknown method or bad params get a JSON-RPC
error and the daemon goes on; every connection is its own task, so a slow or silent client
cannot hold up others, and a silent one is closed after :data:`IDLE_TIMEOUT` seconds; past
:data:`MAX_CONNECTIONS` at once, it stops accepting until one closes.
"""

from __future__ import annotations

import json
import os
import socket
import struct
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

MAX_REQUEST = 256 * 1024
"""The longest request line (a journal entry is at most a few KB)."""
IDLE_TIMEOUT = 10.0
"""A connection that sends nothing for this long is closed."""
MAX_CONNECTIONS = 64
"""Connections served at once; past it the daemon stops accepting until one closes, so a
flood of held connections can neither exhaust file descriptors nor lock anyone out for long
(an idle connection is closed after :data:`IDLE_TIMEOUT`)."""
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

Handler = Callable[[str, Mapping[str, Any]], Awaitable[Any]]


class NoDaemon(Exception):
    """Nothing answers on the socket."""


class Dropped(NoDaemon):
    """The daemon took the request and closed the connection without answering (it died or
    was stopped): a write may or may not have happened; a retry with the same key is safe."""


class Busy(Exception):
    """The daemon is serving as many connections as it will (or its queue is full)."""


class NoAnswer(Exception):
    """The daemon took the request and did not answer within the timeout (it hangs)."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"no answer within {timeout:g}s")
        self.timeout = timeout


class RemoteError(Exception):
    """The daemon answered with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


# --- client ------------------------------------------------------------------------------


TIMEOUT_VARIABLE = "HABITD_TIMEOUT"
DEFAULT_TIMEOUT = 10.0


def client_timeout() -> float:
    """How long the client waits for the daemon's answer before it gives up on it:
    ``$HABITD_TIMEOUT`` seconds (a positive number), else 10."""
    try:
        seconds = float(os.environ.get(TIMEOUT_VARIABLE, ""))
    except ValueError:
        return DEFAULT_TIMEOUT
    return seconds if 0 < seconds < 3600 else DEFAULT_TIMEOUT


def call(
    path: str, method: str, params: Mapping[str, Any] | None = None, timeout: float | None = None
) -> Any:
    """Call ``method`` on the daemon at ``path``, waiting ``timeout`` seconds for the answer
    (default: :func:`client_timeout`).

    Raises :class:`NoDaemon` when nothing listens, :class:`Dropped` when the daemon closed
    the connection without an answer, :class:`NoAnswer` after ``timeout`` seconds of
    silence, and :class:`RemoteError` for an error reply.
    """
    if timeout is None:
        timeout = client_timeout()
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout)
    try:
        try:
            client.connect(path)
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as exc:
            raise NoDaemon(str(exc)) from None
        except (TimeoutError, BlockingIOError):  # the listen queue is full
            raise Busy("the daemon's connection queue is full") from None
        request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": dict(params or {})}
        try:
            client.sendall(json.dumps(request).encode() + b"\n")
            reply = _read_line(client)
        except TimeoutError:
            raise NoAnswer(timeout) from None
        except OSError as exc:  # reset or broken pipe: it went away mid-request
            raise Dropped(str(exc)) from None
    finally:
        client.close()
    if not reply.endswith(b"\n"):
        raise Dropped("the daemon closed the connection without answering")
    response = json.loads(reply)
    if "error" in response:
        error = response["error"]
        raise RemoteError(
            error.get("code", INTERNAL_ERROR), error.get("message", "?"), error.get("data")
        )
    return response.get("result")


def _read_line(client: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = client.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            break
    return b"".join(chunks)


# --- server ------------------------------------------------------------------------------


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (Linux ``SO_PEERCRED``)."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


def error_response(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    """A JSON-RPC error object."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


async def handle_line(line: bytes, handler: Handler) -> dict[str, Any] | None:
    """Answer one request line. Never raises: every failure becomes a JSON-RPC error."""
    import logging

    from habitd.errors import HabitdError

    try:
        request = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        return error_response(None, PARSE_ERROR, f"parse error: {exc}")
    except RecursionError:
        return error_response(None, PARSE_ERROR, "parse error: nested too deeply")
    if not isinstance(request, dict):
        return error_response(
            None,
            INVALID_REQUEST,
            "invalid request: expected a JSON object (batches are not supported)",
        )
    request_id = request.get("id")
    method = request.get("method")
    params = request.get("params", {})
    if request.get("jsonrpc") != "2.0" or not isinstance(method, str):
        return error_response(
            request_id,
            INVALID_REQUEST,
            'invalid request: needs "jsonrpc": "2.0" and a string "method"',
        )
    if not isinstance(params, dict):
        return error_response(
            request_id, INVALID_PARAMS, "invalid params: pass params by name, as an object"
        )
    try:
        result = await handler(method, params)
    except HabitdError as exc:
        lines = getattr(exc, "lines", None)
        return error_response(
            request_id, exc.rpc_code, exc.message, {"lines": lines} if lines else None
        )
    except Exception as exc:
        logging.getLogger("habitd.ipc").exception("method %s failed", method)
        return error_response(request_id, INTERNAL_ERROR, f"internal error: {exc}")
    if "id" not in request:
        return None  # a notification: no answer
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


class Server:
    """A listening socket and the task that accepts on it; :meth:`close` stops both."""

    def __init__(self, sock: socket.socket, task: asyncio.Task[None]) -> None:
        self.socket = sock
        self._task = task

    def close(self) -> None:
        """Stop accepting and close the listening socket (served connections finish)."""
        self._task.cancel()
        self.socket.close()


async def serve(path: str, handler: Handler, listening: socket.socket | None = None) -> Server:
    """Listen on ``path`` (0600, created atomically under a tight umask) and answer requests.

    At most :data:`MAX_CONNECTIONS` connections are served at once; while that many are open
    the daemon stops accepting, so more wait in the kernel's queue (and, when it is full, a
    client is told at once that habitd is busy) instead of costing file descriptors. An
    accept that fails (out of descriptors) is logged once a minute, never in a tight loop."""
    import asyncio
    import logging
    import time

    log = logging.getLogger("habitd.ipc")
    loop = asyncio.get_running_loop()
    own_uid = os.getuid()
    slots = asyncio.Semaphore(MAX_CONNECTIONS)
    tasks: set[asyncio.Task[None]] = set()

    async def on_client(conn: socket.socket) -> None:
        try:
            uid = peer_uid(conn)
            if uid != own_uid:
                log.warning("refused a connection from uid %d", uid)
                conn.close()
                return
            reader, writer = await asyncio.open_unix_connection(sock=conn, limit=MAX_REQUEST)
        except OSError:
            conn.close()
            return
        try:
            while True:
                try:
                    line = await asyncio.wait_for(reader.readline(), IDLE_TIMEOUT)
                except TimeoutError:
                    return
                except ValueError:  # the line is longer than the reader's limit
                    response = error_response(
                        None, INVALID_REQUEST, f"request too large (over {MAX_REQUEST} bytes)"
                    )
                    writer.write(_encode(response))
                    await writer.drain()
                    return
                if not line:
                    return
                if not line.strip():
                    continue
                if _hung_up(conn):  # the client gave up (the daemon was frozen) and went on
                    log.info("dropped a request whose client had gone before it was read")
                    return
                answer = await handle_line(line, handler)
                if answer is not None:
                    writer.write(_encode(answer))
                    await writer.drain()
        except (ConnectionError, OSError):
            return
        finally:
            writer.close()

    async def accept() -> None:
        complained = 0.0
        while True:
            await slots.acquire()
            try:
                conn, _ = await loop.sock_accept(listener)
            except OSError as exc:  # out of file descriptors, most likely: wait, then retry
                slots.release()
                if time.monotonic() - complained > 60:
                    log.error("cannot accept connections (%s); retrying", exc)
                    complained = time.monotonic()
                await asyncio.sleep(0.5)
                continue
            task = loop.create_task(on_client(conn))
            tasks.add(task)
            task.add_done_callback(finished)

    def finished(task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        slots.release()

    if listening is not None:
        listener = listening
    else:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            listener.bind(path)
        finally:
            os.umask(old_umask)
        os.chmod(path, 0o600)
        listener.listen(128)
    listener.setblocking(False)
    return Server(listener, loop.create_task(accept()))


def _hung_up(conn: socket.socket) -> bool:
    """Whether the client closed the connection: its request was sent, then it stopped
    waiting (the client gives up after its timeout and does the work itself, with the same
    key), so answering it now is work for no one. A client that only shut its writing side
    (``shutdown(SHUT_WR)``, as ``socat`` does) still waits for its answer: on a Unix socket
    only a closed peer raises POLLHUP."""
    import select

    poller = select.poll()
    poller.register(conn, select.POLLHUP)
    return any(events & (select.POLLHUP | select.POLLERR) for _, events in poller.poll(0))


def _encode(response: dict[str, Any]) -> bytes:
    return json.dumps(response, default=str).encode() + b"\n"
