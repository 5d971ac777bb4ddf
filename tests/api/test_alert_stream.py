"""The live alert stream on a real server (uvicorn on a loopback port): a subscriber receives an alert that
another connection raises. On PostgreSQL the alert is raised by another *process* (LISTEN/NOTIFY); on SQLite
by another engine of the server's process (SQLite serves one process, which announces after commit)."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from engraft.access import Role
from engraft.api.app import create_app
from engraft.api.auth import AuthSettings
from engraft.registry.alert_notices import listener_for
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.observations import add_observation_inputs
from engraft.registry.schemas.clinical import ObservationIn
from engraft.registry.schemas.episode import EpisodeIn
from engraft.registry.schemas.patient import CentreIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import GraftSource, Sex, TransplantType
from tests.auth_clients import TEST_ACCOUNT_POLICY, http_client_signed_in

DAY0 = dt.date(2025, 1, 10)
WAIT_SECONDS = 30.0
"""How long a line may take to arrive before the test fails (not a timing assertion: a bound on hanging)."""


def _episode_with_a_low_anc(engine: Engine) -> int:
    service = RegistryService(make_session_factory(engine), actor="test")
    service.create_centre(CentreIn(code="S1", name="Stream Centre", country="GB"))
    patient = service.create_patient(PatientIn(centre="S1", sex=Sex.FEMALE, birth_date=dt.date(1980, 1, 2)))
    episode = service.create_episode(
        EpisodeIn(
            patient_id=patient.id,
            centre="S1",
            transplant_type=TransplantType.AUTOLOGOUS,
            graft_source=GraftSource.PERIPHERAL_BLOOD,
            day0=DAY0,
        )
    )
    observed = dt.datetime(2025, 1, 13, 6, tzinfo=dt.UTC)
    low = ObservationIn(
        patient_id=patient.id,
        episode_id=episode.id,
        observed_at=observed,
        loinc="751-8",
        value=0.2,
        unit="10*9/L",
        source_id="stream-1",
    )
    add_observation_inputs(service, [low])
    return episode.id


@contextmanager
def _served(engine: Engine) -> Iterator[str]:
    app = create_app(
        engine,
        migrate=False,
        validate_hla=False,
        account_policy=TEST_ACCOUNT_POLICY,
        auth_settings=AuthSettings(secure_cookie=False),
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        started = threading.Event()
        for _ in range(600):
            if server.started:
                started.set()
                break
            threading.Event().wait(0.05)
        assert started.is_set(), "the test server did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=WAIT_SECONDS)
        sock.close()


def _read_lines(client: httpx.Client, lines: queue.Queue[str], done: threading.Event) -> None:
    try:
        with client.stream("GET", "/api/alerts/stream", timeout=httpx.Timeout(10, read=None)) as answer:
            lines.put(f"status {answer.status_code}")
            for line in answer.iter_lines():
                lines.put(line)
                if done.is_set():
                    return
    except httpx.HTTPError:
        if not done.is_set():  # the server closing the stream at the end of the test is expected
            raise


def _next_event(lines: queue.Queue[str]) -> dict[str, object]:
    event: list[str] = []
    while True:
        line = lines.get(timeout=WAIT_SECONDS)
        if line == "" and event:
            fields = dict(item.split(": ", 1) for item in event if not item.startswith(":"))
            if fields.get("event") == "alert":
                return json.loads(fields["data"])  # type: ignore[no-any-return]
            event = []
        elif line:
            event.append(line)


_WRITER = """
import datetime as dt, sys
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.service import RegistryService
engine = make_engine(sys.argv[1])
service = RegistryService(make_session_factory(engine), actor="other process")
result = evaluate_episode(service, int(sys.argv[2]), as_of=dt.datetime(2025, 1, 13, 7, tzinfo=dt.UTC))
print(",".join(map(str, result.raised)))
"""


def test_a_subscriber_receives_an_alert_raised_elsewhere(engine: Engine, database_kind: str) -> None:
    url = engine.url.render_as_string(hide_password=False)
    episode_id = _episode_with_a_low_anc(engine)
    lines: queue.Queue[str] = queue.Queue()
    done = threading.Event()
    with _served(engine) as base_url, http_client_signed_in(base_url, url, Role.NURSE) as client:
        reader = threading.Thread(target=_read_lines, args=(client, lines, done), daemon=True)
        reader.start()
        assert lines.get(timeout=WAIT_SECONDS) == "status 200"
        assert lines.get(timeout=WAIT_SECONDS) == ": subscribed"
        if database_kind == "postgresql":
            listener = listener_for(engine)
            assert listener is not None and listener.listening.wait(WAIT_SECONDS)
            env = {**os.environ, "ENGRAFT_HOME": os.environ.get("ENGRAFT_HOME", "/tmp")}
            written = subprocess.run(
                [sys.executable, "-c", _WRITER, url, str(episode_id)],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=False,
            )
            assert written.returncode == 0, written.stderr
            raised = [int(i) for i in written.stdout.strip().split(",") if i]
        else:
            other = make_engine(url)
            try:
                service = RegistryService(make_session_factory(other), actor="other connection")
                raised = evaluate_episode(service, episode_id, as_of=dt.datetime(2025, 1, 13, 7, tzinfo=dt.UTC)).raised
            finally:
                other.dispose()
        assert len(raised) == 1
        alert = _next_event(lines)
        done.set()
        assert alert["id"] == raised[0]
        assert (alert["rule_id"], alert["state"], alert["episode_id"]) == ("anc-below-0-5", "open", episode_id)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
