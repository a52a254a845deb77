"""habitd as a systemd user service: unit files, readiness, socket activation, install."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from habitd import systemd
from habitd.testing.desktop import need

from .conftest import BASE_CONFIG, Env, wait_for

REPO = Path(__file__).resolve().parent.parent


def _verify(unit_dir: Path, tmp_path: Path, *names: str) -> subprocess.CompletedProcess[str]:
    runtime = tmp_path / "verify-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return subprocess.run(
        [need("systemd-analyze"), "--user", "verify", *(str(unit_dir / n) for n in names)],
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_units_in_the_repository_are_the_packaged_ones_and_verify(tmp_path: Path) -> None:
    for name in (systemd.UNIT, systemd.SOCKET_UNIT):
        assert (REPO / "systemd" / name).read_text() == systemd.template(name)
    done = _verify(REPO / "systemd", tmp_path, systemd.UNIT, systemd.SOCKET_UNIT)
    assert done.returncode == 0, done.stderr
    unit = systemd.template(systemd.UNIT)
    for line in (
        "Type=notify",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "PartOf=graphical-session.target",
        "After=graphical-session.target",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
    ):
        assert line in unit.splitlines()


def test_the_installed_unit_runs_this_install_and_verifies(tmp_path: Path) -> None:
    command = systemd.exec_start("/home/sam/habitd.toml")
    assert command == f"{Path(sys.executable).parent / 'habitd'} run --config /home/sam/habitd.toml"
    folder = tmp_path / "units"
    folder.mkdir()
    (folder / systemd.UNIT).write_text(systemd.render_service(command))
    assert f"ExecStart={command}" in (folder / systemd.UNIT).read_text()
    done = _verify(folder, tmp_path, systemd.UNIT)
    assert done.returncode == 0, done.stderr


def test_service_install_status_uninstall_without_a_user_manager(env: Env) -> None:
    result = env.cli("service", "install", "--now")
    assert result.rc == 1 and "habitd was not started" in result.err  # nothing started: say so
    unit = env.root / "config" / "systemd" / "user" / "habitd.service"
    assert f"wrote {unit}" in result.out
    assert "systemd --user is not available here; when it is, run:" in result.out
    assert "  systemctl --user enable --now habitd.service" in result.out
    assert "habitd run" in result.out
    assert f"ExecStart={Path(sys.executable).parent / 'habitd'} run" in unit.read_text()
    assert (env.root / "data" / "habitd").is_dir()  # created for ReadWritePaths
    status = env.ok("service", "status").out
    assert f"unit: {unit} (installed)" in status
    removed = env.ok("service", "uninstall").out
    assert f"removed {unit}" in removed
    assert not unit.exists()


def _notify_socket(tmp_path: Path) -> socket.socket:
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(tmp_path / "notify.sock"))
    receiver.settimeout(20)
    return receiver


def _next_message(receiver: socket.socket) -> dict[str, str]:
    data = receiver.recv(4096).decode()
    return dict(line.split("=", 1) for line in data.splitlines())


def test_readiness_reload_and_stopping_reach_systemd(env: Env, tmp_path: Path) -> None:
    receiver = _notify_socket(tmp_path)
    env.environ["NOTIFY_SOCKET"] = str(tmp_path / "notify.sock")
    env.write_config()
    daemon = env.start_daemon(wait=False)
    ready = _next_message(receiver)
    assert ready["READY"] == "1" and ready["MAINPID"] == str(daemon.proc.pid)
    assert ready["STATUS"] == "2 nudges, notifier log"
    assert daemon.call("ping") == "pong"  # READY means the socket answers
    env.write_config(BASE_CONFIG + '\n[[nudge]]\nid = "third"\ndate = "2100-01-02 05:00"\n')
    daemon.proc.send_signal(signal.SIGHUP)
    assert _next_message(receiver) == {"RELOADING": "1"}
    assert _next_message(receiver) == {"READY": "1", "STATUS": "3 nudges"}
    daemon.proc.send_signal(signal.SIGTERM)
    assert _next_message(receiver) == {"STOPPING": "1"}
    assert daemon.proc.wait(10) == 0


def test_socket_activation_uses_the_passed_socket(env: Env) -> None:
    env.write_config()
    folder = env.runtime / "habitd"
    folder.mkdir(mode=0o700)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(env.socket)
    listener.listen()
    log = (env.root / "activated.log").open("wb")
    proc = subprocess.Popen(
        [
            "sh",
            "-c",
            'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -m habitd run --notifier log',
            sys.executable,
        ],
        env=env.environ,
        pass_fds=(3,),
        preexec_fn=lambda: os.dup2(listener.fileno(), 3),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: env.cli("status").rc == 0)
        assert env.ok("status", "--json").json()["pid"] == proc.pid
        assert "removing a stale socket" not in (env.root / "activated.log").read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    assert os.path.exists(env.socket)  # systemd's socket: left for systemd to manage
