"""The live half of the monitoring benchmark: the ward's results sent to real servers, alerts heard on the stream.

On a private PostgreSQL database (created and dropped here) the ward's patients and episodes are stored,
with day 0 moved so that the results sent live are of the last days before now. The results before the cut
(``cut_day``, 00:00) are stored with their episode through the bulk loader and every episode is evaluated once
(the alerts on file before the run). Then ``engraft serve`` (alert stream, FHIR) and, for HL7,
``engraft monitor listen --mllp`` (which runs the monitoring worker on its result hooks) are started as
processes, a client subscribes to ``GET /api/alerts/stream`` with an API token, and the next results in time
order are sent at a fixed rate: one ORU^R01 over MLLP, or one FHIR transaction Bundle to ``POST /api/fhir``, per
patient and half hour of results, over several connections, each message scheduled when the results before it
have been sent at the rate.

Expected alerts: the pure evaluator over each episode's stored and sent results as of the end of the run, less
the alerts on file before it. Latency of an alert: from the send of the message carrying the result that
made its condition true (a threshold: the first result of the run; a rise: that and the baseline; the other
kinds: every result it rests on, the last one sent) to its event on the stream. Lost: expected and never
heard; duplicated: a second alert for the same episode and occurrence, or the same alert version heard twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import multiprocessing
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import psycopg
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from engraft.access import Role
from engraft.io.mllp import MllpClient
from engraft.monitoring import EpisodeContext, MonitoredObservation, RuleKind, TransitionKind, evaluate, load_rule_set
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_schemas import NewToken, NewUser
from engraft.registry.audit import Actor
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.models import Centre, MonitoringAlert, Observation, Patient, TransplantEpisode
from engraft.registry.monitoring_service import evaluate_episode
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.service import RegistryService
from engraft.vocabulary import GraftSource, ObservationSource, TransplantType
from monitoring_ward import CODES, DAY0, GRAFT_SOURCES, Ward

_US_PER_DAY = 86_400_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MESSAGE_SPAN_US = 30 * 60 * 1_000_000
_SENDER = ("WARDSIM", "BENCH")


@dataclass(frozen=True, slots=True)
class LivePlan:
    """What is stored before the run, what is sent, and in which messages."""

    ward: Ward
    day0: dt.date
    shift_us: int
    history: npt.NDArray[np.intp]
    """Ward positions stored before the run."""
    messages: list[npt.NDArray[np.intp]]
    """Ward positions of each message, in sending order."""
    starts_s: npt.NDArray[np.float64]
    """When each message is due, seconds from the start, at the rate."""

    def moment(self, position: int) -> dt.datetime:
        return _EPOCH + dt.timedelta(microseconds=int(self.ward.observed_us[position]) + self.shift_us)

    def busiest(self, window_s: float = 0.5) -> tuple[int, float]:
        """The most messages due in one ``window_s`` window (windows from the start) and where it begins: the rate
        is constant in results, not in messages, so moments when many patients have one result each (a round
        of vital signs) are bursts of small messages."""
        counts = np.bincount((self.starts_s // window_s).astype(np.intp))
        busiest = int(np.argmax(counts))
        return int(counts[busiest]), busiest * window_s


def plan(ward: Ward, rate: float, seconds: float, cut_day: int, now: dt.datetime) -> LivePlan:
    """Cut the ward at ``cut_day`` 00:00 and take the next ``rate * seconds`` results in time order."""
    wanted = int(rate * seconds)
    order = np.lexsort((ward.episode, ward.observed_us))
    cut_us = int(dt.datetime(DAY0.year, DAY0.month, DAY0.day, tzinfo=dt.UTC).timestamp()) * 1_000_000
    cut_us += cut_day * _US_PER_DAY
    first = int(np.searchsorted(ward.observed_us[order], cut_us))
    live = order[first : first + wanted]
    if len(live) < wanted:
        raise ValueError(f"the ward has {len(live)} results after day {cut_day}; {wanted} are needed")
    last_us = int(ward.observed_us[live[-1]])
    now_us = int(now.timestamp() * 1_000_000) - 3_600_000_000
    shift_days = (now_us - last_us) // _US_PER_DAY
    history = order[:first]
    # one message per episode and half hour, sent in the order of its first result
    keys = ward.episode[live].astype(np.int64) * 1_000_000 + ward.observed_us[live] // _MESSAGE_SPAN_US
    groups: dict[int, list[int]] = {}
    for key, position in zip(keys.tolist(), live.tolist(), strict=True):
        groups.setdefault(key, []).append(position)
    messages = [np.array(v, np.intp) for v in groups.values()]
    sizes = np.array([len(m) for m in messages], np.float64)
    starts = np.concatenate(([0.0], np.cumsum(sizes)[:-1])) / rate
    return LivePlan(
        ward, DAY0 + dt.timedelta(days=int(shift_days)), shift_days * _US_PER_DAY, history, messages, starts
    )


# ---------------------------------------------------------------------------------------------------- database


@contextmanager
def private_database(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database beside ``admin_url``'s (SQLAlchemy URL), dropped on exit."""
    name = f"engraft_benchmon_{uuid.uuid4().hex[:10]}"
    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_ward(engine: Engine, live: LivePlan) -> RegistryService:
    """Patients, episodes (ids = ward index + 1) and the results before the cut, stored with their episode."""
    upgrade(engine)
    ward = live.ward
    with Session(engine) as session, session.begin():
        centre = Centre(code="BENCH", name="Benchmark ward", country="GB")
        session.add(centre)
        session.flush()
        session.add_all(
            Patient(
                id=i + 1,
                registry_id=f"W{i:06d}",
                centre_id=centre.id,
                sex="female",
                birth_date=live.day0 - dt.timedelta(days=int(ward.age[i]) * 366 + 30),
                cmv_serostatus="unknown",
            )
            for i in range(ward.patients)
        )
        session.flush()
        session.add_all(
            TransplantEpisode(
                id=i + 1,
                patient_id=i + 1,
                centre_id=centre.id,
                sequence_number=1,
                transplant_type="allogeneic" if ward.allogeneic[i] else "autologous",
                graft_source=GRAFT_SOURCES[ward.graft[i]],
                day0=live.day0,
            )
            for i in range(ward.patients)
        )
        session.flush()
        if engine.dialect.name == "postgresql":
            for table in ("patient", "transplant_episode"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {ward.patients})"))
    service = RegistryService(make_session_factory(engine), actor="benchmark")
    rows = [
        ObservationRow(
            int(ward.episode[p]) + 1,
            int(ward.episode[p]) + 1,
            live.moment(p),
            CODES[ward.code[p]][0],
            float(ward.value[p]),
            CODES[ward.code[p]][1],
            ObservationSource.LAB_FEED.value,
            f"h{p}",
            "benchmark-history",
        )
        for p in live.history.tolist()
    ]
    for lo in range(0, len(rows), 100_000):
        add_observations(service, rows[lo : lo + 100_000])
    return service


def evaluate_all(service: RegistryService, episodes: int) -> None:
    monitoring = service.for_actor(Actor.system("monitoring"))
    for episode_id in range(1, episodes + 1):
        evaluate_episode(monitoring, episode_id)


def alerts_on_file(engine: Engine) -> set[tuple[int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(select(MonitoringAlert.episode_id, MonitoringAlert.dedup_key))
        return {(int(e), str(k)) for e, k in rows}


def describe_alerts(engine: Engine, keys: set[tuple[int, str]]) -> list[str]:
    """Each alert of ``keys`` as stored (rule, key, state, created) with its triggering results (observed and
    recorded times, value, source id)."""
    lines = []
    with engine.connect() as connection:
        for episode_id, dedup_key in sorted(keys):
            alert = connection.execute(
                select(
                    MonitoringAlert.id,
                    MonitoringAlert.state,
                    MonitoringAlert.detected_at,
                    MonitoringAlert.created_at,
                    MonitoringAlert.resolution,
                    MonitoringAlert.triggering_observation_ids,
                ).where(MonitoringAlert.episode_id == episode_id, MonitoringAlert.dedup_key == dedup_key)
            ).one()
            lines.append(
                f"episode {episode_id} {dedup_key}: alert {alert.id} {alert.state} detected {alert.detected_at} "
                f"created {alert.created_at} resolution {alert.resolution!r}"
            )
            ids = [int(i) for i in alert.triggering_observation_ids]
            rows = connection.execute(
                select(
                    Observation.id,
                    Observation.observed_at,
                    Observation.recorded_at,
                    Observation.loinc,
                    Observation.value,
                    Observation.source_id,
                ).where(Observation.id.in_(ids))
            )
            lines += [f"  result {tuple(row)}" for row in rows]
            codes = connection.scalars(select(Observation.loinc).where(Observation.id.in_(ids))).all()
            nearby = connection.execute(
                select(
                    Observation.id,
                    Observation.observed_at,
                    Observation.recorded_at,
                    Observation.loinc,
                    Observation.value,
                    Observation.source_system,
                )
                .where(
                    Observation.episode_id == episode_id,
                    Observation.loinc.in_(codes),
                    Observation.observed_at >= alert.detected_at - dt.timedelta(days=2),
                )
                .order_by(Observation.observed_at)
            )
            lines += [f"  same code, 2 days before on: {tuple(row)}" for row in nearby]
            others = connection.execute(
                select(MonitoringAlert.dedup_key, MonitoringAlert.state, MonitoringAlert.created_at).where(
                    MonitoringAlert.episode_id == episode_id,
                    MonitoringAlert.rule_id == dedup_key.split("/")[0],
                )
            )
            lines += [f"  alert of the rule: {tuple(row)}" for row in others]
    return lines


def _without_episode(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(Observation).where(Observation.episode_id.is_(None))
            ).scalar_one()
        )


def issue_token(service: RegistryService) -> str:
    accounts = AccountService(service)
    admin = accounts.create_user(NewUser(username="bench.admin", display_name="Bench Admin", role=Role.ADMIN), None)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    issued = accounts.issue_token(NewToken(name="ward-bench", role=Role.PHYSICIAN, expires_at=expires), admin.user.id)
    return issued.secret


# ---------------------------------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` and its living descendants (Linux ``/proc``; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    children: dict[int, list[int]] = defaultdict(list)
    times: dict[int, float] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children[int(fields[1])].append(int(entry.name))
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo.extend(children.get(current, ()))
    return total


def postgres_cpu_seconds() -> float:
    """User and system CPU seconds of every ``postgres`` process on this machine (the server and its backends;
    Linux ``/proc``; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            name, rest = (entry / "stat").read_text().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, ValueError):
            continue
        if name == "postgres":
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _cpu_now(pids: list[int]) -> dict[str, float]:
    """CPU seconds so far of ``serve`` (``pids[0]``), ``listen`` (``pids[1]`` if given), this benchmark process
    (the senders and its threads: ``client``) and PostgreSQL."""
    now = {"serve": cpu_seconds(pids[0]), "client": time.process_time(), "postgres": postgres_cpu_seconds()}
    if len(pids) > 1:
        now["listen"] = cpu_seconds(pids[1])
    return now


@contextmanager
def process(
    command: list[str], home: Path, ready: re.Pattern[str] | None, log_name: str, pids: list[int] | None = None
) -> Iterator[str]:
    """Run ``command`` (its output to a log file under ``home``); yields the first line matching ``ready``; its
    process id is appended to ``pids``."""
    env = {**os.environ, "ENGRAFT_HOME": str(home)}
    log_path = home / log_name
    with open(log_path, "w", encoding="utf-8") as log:
        child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)
        if pids is not None:
            pids.append(child.pid)
        try:
            deadline = time.monotonic() + 90
            found = ""
            while ready is not None and time.monotonic() < deadline:
                if child.poll() is not None:
                    raise RuntimeError(f"{command[:4]} exited: {log_path.read_text()[-2000:]}")
                match = ready.search(log_path.read_text())
                if match:
                    found = match.group(0)
                    break
                time.sleep(0.2)
            else:
                if ready is not None:
                    raise RuntimeError(f"{command[:4]} not ready in 90 s: {log_path.read_text()[-2000:]}")
            yield found
        finally:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def wait_http(url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in 90 s")


# ---------------------------------------------------------------------------------------------------- stream


def _listen_stream(base_url: str, token: str, found: multiprocessing.Queue, stop: EventType) -> None:  # type: ignore[type-arg]
    """The stream listener's process: ("subscribed", t), ("event", t, data) per event, or ("error", text)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(5, read=None)) as client,
            client.stream("GET", f"{base_url}/api/alerts/stream", headers=headers) as answer,
        ):
            if answer.status_code != 200:
                found.put(("error", f"stream answered {answer.status_code}: {answer.read()[:300]!r}"))
                return
            for line in answer.iter_lines():
                if line.startswith(": subscribed"):
                    found.put(("subscribed", time.perf_counter()))
                elif line.startswith("data: "):
                    found.put(("event", time.perf_counter(), line[6:]))
                if stop.is_set():
                    return
    except httpx.HTTPError as exc:
        if not stop.is_set():
            found.put(("error", f"stream: {exc}"))


class StreamListener:
    """Reads ``/api/alerts/stream`` in a process of its own (its receive times are not delayed by the senders'
    interpreter lock; ``time.perf_counter`` is the system's monotonic clock, the same in every process):
    (receive time, alert JSON) per event."""

    def __init__(self, base_url: str, token: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._found: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
        self._stop = context.Event()
        self._process = context.Process(
            target=_listen_stream, args=(base_url, token, self._found, self._stop), name="alert-stream", daemon=True
        )
        self.events: list[tuple[float, dict[str, object]]] = []
        self.error = ""

    def start(self) -> None:
        self._process.start()

    def wait_subscribed(self, timeout: float) -> None:
        """Until the stream says it is subscribed (or fails: :attr:`error`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                item = self._found.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item[0] == "subscribed":
                return
            if item[0] == "error":
                self.error = str(item[1])
                return
        self.error = self.error or f"the stream did not subscribe in {timeout} s"

    def drain(self) -> int:
        """Take the events heard so far; returns how many there are in all."""
        while True:
            try:
                item = self._found.get_nowait()
            except queue.Empty:
                return len(self.events)
            if item[0] == "event":
                self.events.append((float(item[1]), json.loads(str(item[2]))))
            elif item[0] == "error" and not self.error:
                self.error = str(item[1])

    def stop(self) -> None:
        self._stop.set()
        self.drain()
        self._process.terminate()
        self._process.join(5)
        self.drain()


# ---------------------------------------------------------------------------------------------------- senders


def _hl7_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S") + "+0000"


def _number(value: float) -> str:
    return np.format_float_positional(value, trim="-")


def oru_message(live: LivePlan, number: int, positions: npt.NDArray[np.intp], run_id: str) -> str:
    ward = live.ward
    patient = int(ward.episode[positions[0]]) + 1
    first = live.moment(int(positions[0]))
    segments = [
        f"MSH|^~\\&|{_SENDER[0]}|{_SENDER[1]}|ENGRAFT|TXU|{_hl7_time(first)}||ORU^R01^ORU_R01|{run_id}-{number}|P|2.5.1",
        f"PID|1||{patient}^^^ENGRAFT||Ward^Patient||19700101|F",
        f"OBR|1||{run_id}-F{number}|ward^Ward results^L|||{_hl7_time(first)}",
    ]
    for k, p in enumerate(positions.tolist(), start=1):
        code, unit = CODES[ward.code[p]]
        segments.append(
            f"OBX|{k}|NM|{code}^Result^LN|{k}|{_number(float(ward.value[p]))}|{unit}|||||F|||{_hl7_time(live.moment(p))}"
        )
    return "\r".join(segments) + "\r"


def fhir_bundle(live: LivePlan, number: int, positions: npt.NDArray[np.intp], run_id: str) -> dict[str, object]:
    ward = live.ward
    patient = int(ward.episode[positions[0]]) + 1
    entries = []
    for p in positions.tolist():
        code, unit = CODES[ward.code[p]]
        resource = {
            "resourceType": "Observation",
            "identifier": [{"system": "urn:wardsim:results", "value": f"{run_id}-{p}"}],
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"identifier": {"system": "urn:engraft:patient-id", "value": str(patient)}},
            "effectiveDateTime": live.moment(p).isoformat(),
            "valueQuantity": {
                "value": float(ward.value[p]),
                "unit": unit,
                "system": "http://unitsofmeasure.org",
                "code": unit,
            },
        }
        entries.append({"resource": resource, "request": {"method": "POST", "url": "Observation"}})
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "identifier": {"system": "urn:wardsim:bundles", "value": f"{run_id}-{number}"},
        "entry": entries,
    }


@dataclass
class SendLog:
    sent: npt.NDArray[np.float64]
    acked: npt.NDArray[np.float64]
    refused: list[str] = field(default_factory=list)


async def _send_all(live: LivePlan, connections: int, start: float, send_one) -> SendLog:  # type: ignore[no-untyped-def]
    n = len(live.messages)
    log = SendLog(np.full(n, np.nan), np.full(n, np.nan))

    async def lane(lane_no: int) -> None:
        async with send_one() as send:
            for j in range(lane_no, n, connections):
                delay = start + live.starts_s[j] - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                log.sent[j] = time.perf_counter()
                problem = await send(j)
                log.acked[j] = time.perf_counter()
                if problem:
                    log.refused.append(problem)

    await asyncio.gather(*(lane(k) for k in range(connections)))
    return log


def send_mllp(live: LivePlan, port: int, connections: int, start: float, run_id: str) -> SendLog:
    messages = [oru_message(live, j, m, run_id) for j, m in enumerate(live.messages)]

    @asynccontextmanager_factory
    async def session():  # type: ignore[no-untyped-def]
        client = await MllpClient.connect("127.0.0.1", port)

        async def send(j: int) -> str:
            ack = await client.exchange(messages[j])
            return "" if "MSA|AA|" in ack else ack.replace("\r", " | ")[:300]

        try:
            yield send
        finally:
            await client.close()

    return asyncio.run(_send_all(live, connections, start, session))


class _HttpConnection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams for the FHIR senders: each request is bytes made before
    the run, each answer read by its Content-Length (uvicorn gives one to every JSON answer). The senders' CPU is the
    benchmark's, not the server's: on the same two cores, httpx's ~2 ms per request was taken from the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> _HttpConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None:
            raise RuntimeError(f"an answer without Content-Length: {head[:300]!r}")
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def send_fhir(live: LivePlan, base_url: str, token: str, connections: int, start: float, run_id: str) -> SendLog:
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    requests = []
    for j, m in enumerate(live.messages):
        body = json.dumps(fhir_bundle(live, j, m, run_id)).encode()
        head = (
            f"POST /api/fhir HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/fhir+json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)

    @asynccontextmanager_factory
    async def session():  # type: ignore[no-untyped-def]
        connection = await _HttpConnection.open(host, int(port))

        async def send(j: int) -> str:
            status, answer = await connection.exchange(requests[j])
            return "" if status == 200 else f"{status}: {answer[:300]!r}"

        try:
            yield send
        finally:
            await connection.close()

    return asyncio.run(_send_all(live, connections, start, session))


def send_bulk(live: LivePlan, base_url: str, token: str, connections: int, start: float, run_id: str) -> SendLog:
    """Each message's results to ``POST /api/observations/bulk`` with their episode (the server's monitoring
    engine evaluates them once stored, as a feed's)."""
    ward = live.ward
    bodies = []
    for m in live.messages:
        episode = int(ward.episode[m[0]]) + 1
        rows = [
            {
                "patient_id": episode,
                "episode_id": episode,
                "observed_at": live.moment(p).isoformat(),
                "loinc": CODES[ward.code[p]][0],
                "value": float(ward.value[p]),
                "unit": CODES[ward.code[p]][1],
                "source_id": f"{run_id}-{p}",
            }
            for p in m.tolist()
        ]
        bodies.append(json.dumps(rows))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    @asynccontextmanager_factory
    async def session():  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:

            async def send(j: int) -> str:
                answer = await client.post("/api/observations/bulk", content=bodies[j])
                return "" if answer.status_code == 200 else f"bulk {answer.status_code}: {answer.text[:300]}"

            yield send

    return asyncio.run(_send_all(live, connections, start, session))


def asynccontextmanager_factory(function):  # type: ignore[no-untyped-def]
    from contextlib import asynccontextmanager

    return asynccontextmanager(function)


# ---------------------------------------------------------------------------------------------------- analysis


@dataclass
class LiveResult:
    transport: str
    observations: int
    messages: int
    send_seconds: float
    refused: int
    expected: int
    received: int
    lost: int
    duplicated: int
    unexpected: int
    latencies_ms: list[float]
    alert_latencies: list[tuple[float, str, int, float]]
    """Each timed alert, slowest first: latency in ms, rule, results the condition rests on, and when its last
    triggering message was sent (seconds from the run's first send)."""
    not_result_triggered: int
    ack_ms: list[float]
    ack_at_s: list[float]
    """When each acknowledged message was sent (seconds from the run's first send), as ``ack_ms``."""
    notes: list[str] = field(default_factory=list)
    stored_alerts: int = 0
    """Alerts written to the database during the run (heard on the stream or not)."""
    without_episode: int = 0
    """Results the feed stored without an episode (the monitoring worker does not evaluate those)."""
    unexpected_alerts: list[str] = field(default_factory=list)
    """The stored alerts heard but not expected, with the results they rest on (for diagnosis)."""
    cpu_s: dict[str, float] = field(default_factory=dict)
    """CPU seconds from the first send to the end of the run: ``serve`` (its worker processes), ``listen``, the
    benchmark process (``client``: the senders; the stream listener is a process of its own) and ``postgres``."""

    @property
    def rate(self) -> float:
        return self.observations / self.send_seconds if self.send_seconds else 0.0


_TRIGGER_PREFIX = {RuleKind.THRESHOLD: 1, RuleKind.RISE_FROM_BASELINE: 2}


def expected_alerts(
    live: LivePlan, before: set[tuple[int, str]], as_of: dt.datetime
) -> dict[tuple[int, str], tuple[int, ...]]:
    """(episode id, dedup key) of each alert the run should raise, with the ward positions that trigger it."""
    ward = live.ward
    rule_set = load_rule_set()
    sent = np.concatenate(live.messages) if live.messages else np.array([], np.intp)
    stored = np.sort(np.concatenate((live.history, sent)))
    by_episode: dict[int, list[MonitoredObservation]] = defaultdict(list)
    for p in stored.tolist():
        code, unit = CODES[ward.code[p]]
        by_episode[int(ward.episode[p])].append(
            MonitoredObservation(
                id=p + 1, observed_at=live.moment(p), loinc=code, value=float(ward.value[p]), unit=unit
            )
        )
    touched = {int(e) for e in ward.episode[sent].tolist()}
    expected: dict[tuple[int, str], tuple[int, ...]] = {}
    for index in sorted(touched):
        context = EpisodeContext(
            patient_id=index + 1,
            episode_id=index + 1,
            day0=live.day0,
            age_at_day0=int(ward.age[index]),
            graft_source=GraftSource(GRAFT_SOURCES[ward.graft[index]]),
            transplant_type=TransplantType.ALLOGENEIC if ward.allogeneic[index] else TransplantType.AUTOLOGOUS,
            platelet_transfusion_days=None,
        )
        result = evaluate(rule_set, context, by_episode[index], as_of)
        for t in result.transitions:
            if t.kind not in (TransitionKind.RAISED, TransitionKind.RAISED_CLEARED) or t.detection is None:
                continue
            key = (index + 1, t.dedup_key)
            if key in before:
                continue
            ids = t.detection.triggering
            prefix = _TRIGGER_PREFIX.get(t.detection.kind)
            expected[key] = tuple(i - 1 for i in (ids[:prefix] if prefix else ids))
    return expected


def analyse(
    transport: str,
    live: LivePlan,
    log: SendLog,
    events: list[tuple[float, dict[str, object]]],
    before: set[tuple[int, str]],
    expected: dict[tuple[int, str], tuple[int, ...]],
) -> LiveResult:
    message_of = {int(p): j for j, m in enumerate(live.messages) for p in m.tolist()}
    seen_versions: set[tuple[int, int]] = set()
    first_heard: dict[int, tuple[float, tuple[int, str]]] = {}
    duplicated = 0
    for at, alert in events:
        alert_id, version = int(str(alert["id"])), int(str(alert.get("version", 0)))
        key = (int(str(alert["episode_id"])), str(alert["dedup_key"]))
        if (alert_id, version) in seen_versions:
            duplicated += 1
        seen_versions.add((alert_id, version))
        if alert_id not in first_heard:
            first_heard[alert_id] = (at, key)
    raised: dict[tuple[int, str], list[float]] = defaultdict(list)
    for at, key in first_heard.values():
        if key not in before:
            raised[key].append(at)
    duplicated += sum(len(v) - 1 for v in raised.values())
    latencies, untimed = [], 0
    slowest: list[tuple[float, str, int, float]] = []
    first_send = float(np.nanmin(log.sent)) if len(log.sent) else 0.0
    for key, positions in expected.items():
        if key not in raised:
            continue
        sent_at = [log.sent[message_of[p]] for p in positions if p in message_of]
        if not sent_at:
            untimed += 1
            continue
        latencies.append((min(raised[key]) - max(sent_at)) * 1000)
        slowest.append((latencies[-1], key[1].split("/")[0], len(positions), max(sent_at) - first_send))
    ok = ~np.isnan(log.sent)
    span = float(np.nanmax(log.acked) - np.nanmin(log.sent)) if ok.any() else 0.0
    return LiveResult(
        transport=transport,
        observations=int(sum(len(live.messages[j]) for j in np.flatnonzero(ok))),
        messages=int(ok.sum()),
        send_seconds=span,
        refused=len(log.refused),
        expected=len(expected),
        received=len(set(raised) & set(expected)),
        lost=len(set(expected) - set(raised)),
        duplicated=duplicated,
        unexpected=len(set(raised) - set(expected)),
        latencies_ms=latencies,
        alert_latencies=sorted(slowest, reverse=True),
        not_result_triggered=untimed,
        ack_ms=((log.acked - log.sent)[ok] * 1000).tolist(),
        ack_at_s=(log.sent[ok] - first_send).tolist(),
        notes=log.refused[:3],
    )


def run_live(
    transport: str,
    admin_url: str,
    ward: Ward,
    *,
    rate: float,
    seconds: float,
    cut_day: int,
    connections: int,
    settle_s: float,
    home: Path,
) -> LiveResult:
    """One live run on a fresh private database (see the module's description)."""
    home.mkdir(parents=True, exist_ok=True)
    live = plan(ward, rate, seconds, cut_day, dt.datetime.now(dt.UTC))
    run_id = uuid.uuid4().hex[:8]
    with private_database(admin_url) as url:
        engine = make_engine(url)
        try:
            service = load_ward(engine, live)
            evaluate_all(service, ward.patients)
            before = alerts_on_file(engine)
            token = issue_token(service)
            http_port = free_port()
            serve = [sys.executable, "-m", "engraft", "serve", "--database", url, "--port", str(http_port)]
            pids: list[int] = []
            cpu: dict[str, float] = {}
            with process(serve, home, None, f"serve-{transport}.log", pids):
                base_url = f"http://127.0.0.1:{http_port}"
                wait_http(f"{base_url}/api/health")
                stream = StreamListener(base_url, token)
                stream.start()
                stream.wait_subscribed(30)
                if stream.error:
                    raise RuntimeError(stream.error)
                time.sleep(2.0)  # the server's LISTEN thread starts with the first subscriber
                if transport == "mllp":
                    listen = [sys.executable, "-m", "engraft", "monitor", "listen", "--mllp", "0", "--database", url]
                    ready = re.compile(r"on 127\.0\.0\.1:(\d+)")
                    with process(listen, home, ready, "mllp.log", pids) as line:
                        port = int(line.rsplit(":", 1)[1])
                        first = _cpu_now(pids)
                        log = send_mllp(live, port, connections, time.perf_counter() + 0.5, run_id)
                        _settle(stream, settle_s)
                        cpu = {k: v - first[k] for k, v in _cpu_now(pids).items()}
                elif transport == "fhir":
                    first = _cpu_now(pids)
                    log = send_fhir(live, base_url, token, connections, time.perf_counter() + 0.5, run_id)
                    _settle(stream, settle_s)
                    cpu = {k: v - first[k] for k, v in _cpu_now(pids).items()}
                else:
                    log = send_bulk(live, base_url, token, connections, time.perf_counter() + 0.5, run_id)
                    _settle(stream, settle_s)
                stream.stop()
            as_of = dt.datetime.now(dt.UTC)
            expected = expected_alerts(live, before, as_of)
            result = analyse(transport, live, log, list(stream.events), before, expected)
            result.cpu_s = cpu
            result.stored_alerts = len(alerts_on_file(engine) - before)
            result.without_episode = _without_episode(engine)
            result.unexpected_alerts = describe_alerts(engine, set(alerts_on_file(engine)) - before - set(expected))
            return result
        finally:
            engine.dispose()


def _settle(stream: StreamListener, settle_s: float) -> None:
    """Wait until no event has come for ``settle_s`` (at most 10 x that)."""
    deadline = time.perf_counter() + 10 * settle_s
    last = stream.drain()
    quiet_since = time.perf_counter()
    while time.perf_counter() < deadline:
        time.sleep(0.25)
        if stream.drain() != last:
            last, quiet_since = stream.drain(), time.perf_counter()
        elif time.perf_counter() - quiet_since >= settle_s:
            return
