"""``engraft serve --workers N``: each worker accepts on its own ``SO_REUSEPORT`` socket (Linux), so connections
opened together are spread over the workers; a worker that dies is replaced; a port in use is refused."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engraft.cli.serve_workers import balanced_workers_supported, reuse_port_socket
from tests.cli.test_serve_demo import _free_port, _wait_for_health

pytestmark = pytest.mark.skipif(not balanced_workers_supported(), reason="SO_REUSEPORT worker sockets are Linux-only")

_STARTED = re.compile(r"started worker process \[(\d+)\]")


@contextmanager
def _serving(tmp_path: Path, port: int, workers: int = 2) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """``engraft serve`` on a new SQLite file with ``workers`` processes; yields the process and its log file."""
    log_path = tmp_path / "serve.log"
    env = {**os.environ, "ENGRAFT_HOME": str(tmp_path)}
    database = f"sqlite:///{tmp_path / 'serve.db'}"
    command = [sys.executable, "-m", "engraft", "serve", "--database", database, "--port", str(port)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen([*command, "--workers", str(workers)], env=env, stdout=log, stderr=log)
    try:
        _wait_for_health(f"http://127.0.0.1:{port}/api/health", process, limit_s=120)
        _wait_for_log(log_path, "Application startup complete", workers)  # every worker's socket listening
        yield process, log_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


def _wait_for_log(log_path: Path, line: str, times: int, limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while log_path.read_text().count(line) < times:
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.2)


def _connection_owners(port: int, pids: list[int]) -> dict[int, int]:
    """How many established connections to ``port`` each of ``pids`` holds (Linux ``/proc``)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # ESTABLISHED, the server's end
                inodes.add(fields[9])
    owners = dict.fromkeys(pids, 0)
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                owners[pid] += 1
    return owners


def test_connections_opened_together_are_spread_over_the_workers(tmp_path: Path) -> None:
    port = _free_port()
    with _serving(tmp_path, port) as (process, log_path):
        pids = [int(p) for p in _STARTED.findall(log_path.read_text())]
        assert len(pids) == 2
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(32)]
        for connection in connections:  # all open before any request, as a feed's pool opens them
            connection.connect()
        for connection in connections:
            connection.request("GET", "/api/health")
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200
        owners = _connection_owners(port, pids)
        for connection in connections:
            connection.close()
        assert sum(owners.values()) == 32, owners
        # one shared socket gave all of them to one worker; a hash spreads 32 over both (all on one: p = 2**-31)
        assert min(owners.values()) >= 1, owners
    assert process.returncode == 0
    log = log_path.read_text()
    assert len(re.findall(r"Finished server process \[(\d+)\]", log)) == 2, log


def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    port = _free_port()
    with _serving(tmp_path, port) as (process, log_path):
        first = [int(p) for p in _STARTED.findall(log_path.read_text())]
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(_STARTED.findall(log_path.read_text())) < 3:
            time.sleep(0.2)
        started = [int(p) for p in _STARTED.findall(log_path.read_text())]
        assert len(started) == 3, log_path.read_text()
        replacement = started[2]
        _wait_for_log(log_path, "Application startup complete", 3)
        deadline = time.monotonic() + 90
        answered = set()
        while time.monotonic() < deadline and len(answered) < 2:  # both live workers take connections again
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/api/health")
            assert connection.getresponse().status == 200
            answered |= {pid for pid, n in _connection_owners(port, [first[1], replacement]).items() if n}
            connection.close()
        assert answered == {first[1], replacement}
        assert process.poll() is None


def test_a_port_in_use_is_refused_before_any_worker_starts(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = int(taken.getsockname()[1])
    try:
        env = {**os.environ, "ENGRAFT_HOME": str(tmp_path)}
        command = [sys.executable, "-m", "engraft", "serve", "--database", f"sqlite:///{tmp_path / 'x.db'}"]
        done = subprocess.run(
            [*command, "--port", str(port), "--workers", "2"], env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        taken.close()
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "started worker process" not in done.stderr


def test_port_zero_is_resolved_once_and_shared() -> None:
    first = reuse_port_socket("127.0.0.1", 0)
    try:
        port = int(first.getsockname()[1])
        second = reuse_port_socket("127.0.0.1", port)  # a worker binds the port its supervisor found
        second.close()
    finally:
        first.close()
    assert port > 0
