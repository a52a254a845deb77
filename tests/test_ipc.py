"""Hostile and heavy use of the socket: the daemon answers with JSON-RPC errors and lives."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from typing import Any

import pytest

from habitd import ipc

from .conftest import Daemon, Env


def _raw(path: str, payload: bytes, timeout: float = 10.0, shutdown: bool = True) -> list[Any]:
    """Send raw bytes, then read every answer line until the daemon closes or times out."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout)
    client.connect(path)
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        client.sendall(payload)
    if shutdown:
        client.shutdown(socket.SHUT_WR)
    data = b""
    try:
        while chunk := client.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    client.close()
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def _alive(daemon: Daemon) -> None:
    assert daemon.call("status")["running"] is True


@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        (b"\x00\xff\xfe garbage\n", -32700, "parse error"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "sta', -32700, "parse error"),
        (b"[1, 2]\n", -32600, "batches are not supported"),
        (b'{"id": 1, "method": "status"}\n', -32600, 'needs "jsonrpc": "2.0"'),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "nope"}\n', -32601, "unknown method 'nope'"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "_nudge"}\n', -32601, "unknown method"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "fire"}\n', -32601, "unknown method 'fire'"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "next", "params": [3]}\n', -32602, "by name"),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "next", "params": {"limit": "3"}}\n',
            -32602,
            "limit must be an integer, got str",
        ),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "done", "params": {"habbit": "x"}}\n',
            -32602,
            "invalid params",
        ),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "done", "params": {"habit": true}}\n',
            -32602,
            "habit must be a string",
        ),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "trigger", "params": {"nudge": "x"}}\n',
            2,
            "no nudge 'x'",
        ),
    ],
)
def test_bad_requests_get_errors(daemon: Daemon, payload: bytes, code: int, message: str) -> None:
    answers = _raw(daemon.socket, payload)
    assert len(answers) == 1
    assert answers[0]["error"]["code"] == code
    assert message in answers[0]["error"]["message"]
    _alive(daemon)


@pytest.mark.clock
def test_notification_gets_no_answer_but_runs(daemon: Daemon) -> None:
    request = {"jsonrpc": "2.0", "method": "pause", "params": {"duration": "1h"}}
    assert _raw(daemon.socket, json.dumps(request).encode() + b"\n") == []
    assert daemon.call("status")["paused_until"] is not None


def test_several_requests_on_one_connection(daemon: Daemon) -> None:
    lines = b"".join(
        json.dumps({"jsonrpc": "2.0", "id": n, "method": "ping"}).encode() + b"\n" for n in range(5)
    )
    answers = _raw(daemon.socket, b"\n" + lines)
    assert [(a["id"], a["result"]) for a in answers] == [(n, "pong") for n in range(5)]


def test_two_mib_line_is_refused(daemon: Daemon) -> None:
    big = (
        b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "'
        + b"a" * (2 * 1024 * 1024)
        + b'"}}\n'
    )
    answers = _raw(daemon.socket, big)
    if answers:  # the daemon may close before the client has written everything
        assert answers[0]["error"]["code"] == -32600
        assert "request too large" in answers[0]["error"]["message"]
    _alive(daemon)


def test_fifty_concurrent_clients(daemon: Daemon) -> None:
    results: list[Any] = []
    errors: list[BaseException] = []

    def client(number: int) -> None:
        try:
            if number % 2:
                results.append(ipc.call(daemon.socket, "status")["running"])
            else:
                results.append(ipc.call(daemon.socket, "done", {"habit": "walk"})["habit"])
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(map(str, results)) == sorted(["True"] * 25 + ["walk"] * 25)
    assert len([e for e in daemon.call("history") if e["event"] == "done"]) == 25


def test_silent_and_slow_clients_do_not_block_others(daemon: Daemon) -> None:
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.connect(daemon.socket)
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.connect(daemon.socket)
    slow.sendall(b'{"jsonrpc": "2.0", "id": 9, "meth')  # and then nothing for a while
    for _ in range(5):
        _alive(daemon)
    slow.sendall(b'od": "ping"}\n')
    slow.settimeout(10)
    assert json.loads(slow.recv(4096))["result"] == "pong"
    silent.close()
    slow.close()
    _alive(daemon)


def test_client_reports_no_daemon(env: Env) -> None:
    with pytest.raises(ipc.NoDaemon):
        ipc.call(env.socket, "status")
