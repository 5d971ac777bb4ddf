"""The patient API under load: 10,000 patients on PostgreSQL, 100 concurrent keep-alive clients on 127.0.0.1.

What it does, in one run:

1. creates a fresh schema in the PostgreSQL database of ``ENGRAFT_BENCH_POSTGRES_URL`` (default the local
   test database) and loads ``--patients`` synthetic patients (fixed seed; centre, sex, birth date, ABO/RhD,
   CMV, height, weight, HLA typing for most, identifying fields for all) with one bulk insert;
2. for each server, "current" (``engraft serve`` of this checkout, worker processes as ``serve`` chooses)
   and the peer (``engraft serve`` of ``--peer-commit``, default 0b5a58d, the code before the load work,
   installed from ``git archive`` into its own virtual environment under /tmp, or ``--peer-python``):
   starts the server on a free port of 127.0.0.1, waits for ``/api/health``, then drives each scenario
   for ``--duration`` seconds after ``--warmup`` seconds with ``--clients`` connections, each sending its
   next request as soon as the last answer is read (closed loop, like wrk; ``--think-ms`` adds a random
   pause, exponential with that mean, as a person reading the page would):

   * ``list``: ``GET /api/patients?limit=50&offset=<random page>``
   * ``record``: ``GET /api/patients/<random patient id>``

3. prints requests/s, latency p50/p90/p99/max, errors, the CPU time per request of the server's processes
   and of the PostgreSQL backends serving it (``application_name`` tells them apart; read from /proc, so
   the database must run on this machine), the load generator's own CPU use and the load average; then
   drops the schema.

The load generator is a small asyncio HTTP/1.1 client on raw sockets (keep-alive, Content-Length bodies),
kept lean because it shares the machine's cores with the server and the database. Every loop is bounded:
by duration, by ``--max-requests`` per scenario and by ``--timeout`` per request. Only loopback addresses
are accepted.
Usage:

    python benchmarks/bench_api.py [--patients 10000] [--clients 100] [--duration 20] [--warmup 3]
        [--workers N] [--think-ms 0] [--peer-commit 0b5a58d | --peer-python PATH | --skip-peer]
        [--order peer,current] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import ipaddress
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, insert, select, text

from engraft.demo.cohort_tables import FAMILY, GIVEN_FEMALE, GIVEN_MALE, HLA_ALLELES
from engraft.registry.database import make_engine
from engraft.registry.models import Centre, Patient, PatientIdentity

REPO = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PEER_COMMIT = "0b5a58d"
HOST = "127.0.0.1"
CENTRES = (
    ("BENCH-NORTH", "North Bench Hospital (synthetic)", "GB"),
    ("BENCH-EAST", "East Bench Clinic (synthetic)", "DE"),
    ("BENCH-WEST", "West Bench Centre (synthetic)", "FR"),
)


# ---- data -----------------------------------------------------------------------------------
def synthetic_patients(
    n: int, centre_ids: list[int], seed: int
) -> tuple[list[dict[str, object]], list[tuple[str, str]]]:
    """``n`` patient rows and their (given, family) names: adults and children, HSCT-like mix, fixed seed."""
    rng = np.random.default_rng(seed)
    today = dt.date(2026, 11, 1)
    now = dt.datetime.now(dt.UTC)
    codes = rng.choice(16**8, size=n, replace=False)
    rows: list[dict[str, object]] = []
    names: list[tuple[str, str]] = []
    for i in range(n):
        male = rng.random() < 0.58
        age = int(rng.integers(1, 18)) if rng.random() < 0.12 else int(rng.integers(18, 76))
        birth = today - dt.timedelta(days=365 * age + int(rng.integers(0, 365)))
        if age < 18:
            height = round(float(rng.normal(70 + 5.5 * age, 8)), 1)
            weight = round(float(max(6.0, rng.normal(4 + 2.8 * age, 4))), 1)
        else:
            height = round(float(rng.normal(177 if male else 164, 7)), 1)
            weight = round(float(rng.normal(82 if male else 68, 13)), 1)
        hla = None
        if rng.random() < 0.8:
            loci = []
            for locus, alleles in HLA_ALLELES.items():
                pair = sorted(str(rng.choice(alleles)) for _ in range(2))
                loci.append("+".join(f"HLA-{locus}*{a}" for a in pair))
            hla = "^".join(loci)
        rows.append(
            {
                "registry_id": f"ENG-{int(codes[i]):08X}",
                "centre_id": centre_ids[int(rng.integers(0, len(centre_ids)))],
                "sex": "male" if male else "female",
                "birth_date": birth,
                "abo": str(rng.choice(["O", "A", "B", "AB"], p=[0.44, 0.42, 0.10, 0.04])),
                "rh": "positive" if rng.random() < 0.85 else "negative",
                "cmv_serostatus": str(rng.choice(["positive", "negative", "unknown"], p=[0.55, 0.40, 0.05])),
                "height_cm": min(max(height, 45.0), 215.0),
                "weight_kg": min(max(weight, 3.0), 180.0),
                "hla_gl_string": hla,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        given = GIVEN_MALE if male else GIVEN_FEMALE
        names.append((str(rng.choice(given)), str(rng.choice(FAMILY))))
    return rows, names


def migrate_with(python: str, url: str) -> None:
    """Bring the empty schema to the newest migration of the Engraft that ``python`` runs.

    Each server gets a schema migrated by its own code: today's code cannot open a schema at a revision it
    does not know. The patient, centre and identity tables the benchmark loads are the same in both.
    """
    subprocess.run([python, "-m", "engraft", "db", "upgrade", "--database", url], check=True, capture_output=True)


def load_patients(url: str, n: int, seed: int) -> list[int]:
    """Bulk-insert ``n`` patients with identities into the migrated schema; returns their ids."""
    engine = make_engine(url)
    try:
        now = dt.datetime.now(dt.UTC)
        with engine.begin() as conn:
            centre_ids = [
                conn.execute(
                    insert(Centre)
                    .values(code=c, name=name, country=country, created_at=now, updated_at=now)
                    .returning(Centre.id)
                ).scalar_one()
                for c, name, country in CENTRES
            ]
            rows, names = synthetic_patients(n, centre_ids, seed)
            conn.execute(insert(Patient), rows)
            stored = conn.execute(select(Patient.id, Patient.centre_id).order_by(Patient.id)).all()
            identities = [
                {
                    "patient_id": pid,
                    "centre_id": centre_id,
                    "given_name": given,
                    "family_name": family,
                    "mrn": f"MRN{pid:07d}",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for (pid, centre_id), (given, family) in zip(stored, names, strict=True)
            ]
            conn.execute(insert(PatientIdentity), identities)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # what autovacuum would soon do: statistics, and the visibility map for index-only scans
            conn.execute(text("VACUUM ANALYZE centre, patient, patient_identity"))
        return [pid for pid, _ in stored]
    finally:
        engine.dispose()


@contextmanager
def fresh_schema(base_url: str) -> Iterator[str]:
    """A new schema in ``base_url``'s database (dropped afterwards); yields a URL whose search_path is it."""
    schema = f"bench_api_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


# ---- servers --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def prepare_peer(commit: str, root: Path) -> Path:
    """The peer's Python: ``git archive`` of ``commit`` installed into its own venv under ``root`` (once)."""
    python = root / ".venv" / "bin" / "python"
    marker = root / ".bench-peer-ready"
    if marker.exists() and marker.read_text() == commit and python.exists():
        return python
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive.stdout, check=True)
    print(f"installing the peer ({commit}) into {root}/.venv ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(root / ".venv")], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(root)], check=True)
    marker.write_text(commit)
    return python


@dataclass
class Server:
    name: str
    python: str
    extra_args: list[str] = field(default_factory=list)


@contextmanager
def running(server: Server, url: str, home: Path) -> Iterator[tuple[int, int]]:
    """``engraft serve`` of ``server`` on a free loopback port; stopped (SIGINT, then SIGKILL) on exit."""
    port = free_port()
    env = {**os.environ, "ENGRAFT_HOME": str(home), "ENGRAFT_DATABASE_URL": url}
    log = (home / f"{server.name}.log").open("wb")
    command = [server.python, "-m", "engraft", "serve", "--database", url, "--host", HOST, "--port", str(port)]
    process = subprocess.Popen([*command, *server.extra_args], env=env, cwd=home, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                log.flush()
                tail = "\n".join(Path(log.name).read_text(errors="replace").splitlines()[-20:])
                raise RuntimeError(f"{server.name} server exited with {process.returncode}:\n{tail}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{port}/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} server did not answer /api/health in 180 s")
            time.sleep(0.3)
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()


# ---- CPU accounting -------------------------------------------------------------------------
TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return pids
    for child in children:
        pids.extend(_tree(int(child)))
    return pids


def server_cpu_s(pid: int) -> dict[int, float]:
    """CPU seconds of the server process and its worker processes, by pid."""
    return {p: _process_cpu_s(p) for p in _tree(pid)}


def postgres_cpu_s(url: str, application_name: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving ``application_name`` (same machine), by pid."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            pids = conn.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"), {"name": application_name}
            ).all()
    finally:
        engine.dispose()
    return {int(p): _process_cpu_s(int(p)) for p in pids}


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after[p] - before.get(p, 0.0) for p in after)


Snapshot = tuple[dict[int, float], dict[int, float]]
"""CPU seconds by pid: the server's processes, and the PostgreSQL backends serving it."""


# ---- load generator -------------------------------------------------------------------------
@dataclass
class Result:
    server: str
    scenario: str
    clients: int
    seconds: float
    requests: int
    errors: dict[str, int]
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_pct: float
    server_cpu_ms_per_request: float
    postgres_cpu_ms_per_request: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
        elif name == b"transfer-encoding":
            raise ValueError("chunked responses are not expected from this API")
    await reader.readexactly(length)
    return status, close


async def _client(
    port: int,
    next_path: Callable[[], str],
    record_from: float,
    deadline: float,
    timeout: float,
    budget: list[int],
    latencies: list[float],
    errors: Counter[str],
    think_s: float,
    rng: random.Random,
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < deadline and budget[0] > 0:
        budget[0] -= 1
        request = f"GET {next_path()} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: application/json\r\n\r\n".encode()
        start = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                for attempt in (1, 2):
                    reused = writer is not None
                    if writer is None:
                        reader, writer = await asyncio.open_connection(HOST, port)
                    assert reader is not None
                    writer.write(request)
                    try:
                        status, close = await _read_response(reader)
                        break
                    except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
                        # The server closed an idle keep-alive connection (uvicorn: after 5 s) before this
                        # request reached it: open a new one and send again once, as browsers do.
                        partial = getattr(exc, "partial", b"")
                        if not (reused and attempt == 1 and not partial):
                            raise
                        writer.close()
                        reader = writer = None
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            if start >= record_from:
                errors[type(exc).__name__] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        end = time.perf_counter()
        if start >= record_from:
            latencies.append(end - start)
            if status != 200:
                errors[f"HTTP {status}"] += 1
        if close:
            writer.close()
            reader = writer = None
        if think_s > 0:
            await asyncio.sleep(rng.expovariate(1 / think_s))
    if writer is not None:
        writer.close()


def drive(
    server: str,
    scenario: str,
    port: int,
    cpu_probe: Callable[[], Snapshot],
    next_path: Callable[[], str],
    clients: int,
    warmup: float,
    duration: float,
    timeout: float,
    max_requests: int,
    think_s: float = 0.0,
) -> Result:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    load_before = os.getloadavg()

    async def snapshot_at(moment: float) -> Snapshot:
        await asyncio.sleep(max(0.0, moment - time.perf_counter()))
        return cpu_probe()

    async def main() -> tuple[float, float, Snapshot, Snapshot]:
        begin = time.perf_counter()
        record_from = begin + warmup
        deadline = record_from + duration
        budget = [max_requests]
        first = asyncio.create_task(snapshot_at(record_from))
        tasks = [
            _client(
                port, next_path, record_from, deadline, timeout, budget, latencies, errors, think_s, random.Random(i)
            )
            for i in range(clients)
        ]
        await asyncio.gather(*tasks)
        return record_from, time.perf_counter(), await first, cpu_probe()

    cpu0 = time.process_time()
    record_from, finished, (server_before, postgres_before), (server_after, postgres_after) = asyncio.run(main())
    cpu = time.process_time() - cpu0
    served = max(1, len(latencies))
    seconds = finished - record_from
    ms = np.array(latencies) * 1000 if latencies else np.array([float("nan")])
    p50, p90, p99 = (float(v) for v in np.percentile(ms, [50, 90, 99]))
    return Result(
        server=server,
        scenario=scenario if think_s == 0 else f"{scenario}, think {think_s * 1000:.0f} ms",
        clients=clients,
        seconds=round(seconds, 2),
        requests=len(latencies),
        errors=dict(errors),
        requests_per_s=round(len(latencies) / seconds, 1),
        p50_ms=round(p50, 1),
        p90_ms=round(p90, 1),
        p99_ms=round(p99, 1),
        max_ms=round(float(ms.max()), 1),
        client_cpu_pct=round(100 * cpu / (finished - record_from + warmup), 1),
        server_cpu_ms_per_request=round(1000 * cpu_delta(server_before, server_after) / served, 2),
        postgres_cpu_ms_per_request=round(1000 * cpu_delta(postgres_before, postgres_after) / served, 2),
        load_before=load_before,
        load_after=os.getloadavg(),
    )


# ---- report ---------------------------------------------------------------------------------
def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"nproc {os.cpu_count()}, {model}, Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def table(results: list[Result]) -> str:
    lines = [
        "| server | scenario | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | requests "
        "| CPU ms/request: server, PostgreSQL | load generator CPU | load 1-min before → after |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---|---:|---|",
    ]
    for r in results:
        errors = ", ".join(f"{k} {v}" for k, v in r.errors.items()) or "0"
        lines.append(
            f"| {r.server} | {r.scenario} | {r.requests_per_s:,.0f} | {r.p50_ms} | {r.p90_ms} | {r.p99_ms} | "
            f"{r.max_ms} | {errors} | {r.requests:,} | {r.server_cpu_ms_per_request}, "
            f"{r.postgres_cpu_ms_per_request} | {r.client_cpu_pct} % | "
            f"{r.load_before[0]:.2f} → {r.load_after[0]:.2f} |"
        )
    return "\n".join(lines)


def ratios(results: list[Result]) -> str:
    by = {(r.server, r.scenario): r for r in results}
    out = []
    for scenario in sorted({r.scenario for r in results}):
        current, peer = by.get(("current", scenario)), by.get(("peer", scenario))
        if current and peer and peer.requests_per_s and current.p99_ms:
            out.append(
                f"{scenario}: {current.requests_per_s / peer.requests_per_s:.1f}× the requests/s, "
                f"p99 {peer.p99_ms / current.p99_ms:.1f}× lower"
            )
    return "; ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each scenario")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request counts as failed")
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="upper bound per scenario")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument(
        "--think-ms", type=float, default=0.0, help="mean pause of a client between requests (0: closed loop, like wrk)"
    )
    parser.add_argument("--workers", type=int, default=None, help="--workers for the current server")
    parser.add_argument("--scenarios", default="list,record")
    parser.add_argument("--peer-commit", default=PEER_COMMIT)
    parser.add_argument("--peer-python", default=None, help="python of an installed peer (else built under /tmp)")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--order", default="peer,current", help="which server runs first")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--postgres", default=os.environ.get("ENGRAFT_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    args = parser.parse_args()
    if not ipaddress.ip_address(HOST).is_loopback:  # pragma: no cover - a constant, kept as a guard
        raise SystemExit("the load generator only targets loopback addresses")

    servers = {"current": Server("current", sys.executable, ["--workers", str(args.workers)] if args.workers else [])}
    if not args.skip_peer:
        peer_python = args.peer_python or str(
            prepare_peer(args.peer_commit, Path(f"/tmp/engraft-bench-peer-{args.peer_commit}"))
        )
        servers["peer"] = Server("peer", peer_python)
    order = [name for name in args.order.split(",") if name in servers]

    print(f"# bench_api {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine()}", file=sys.stderr)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        for name in order:
            with fresh_schema(args.postgres) as url:
                migrate_with(servers[name].python, url)
                started = time.perf_counter()
                ids = load_patients(url, args.patients, args.seed)
                print(f"{name}: loaded {len(ids):,} patients in {time.perf_counter() - started:.1f} s", file=sys.stderr)
                pages = max(1, len(ids) // 50)
                rng = random.Random(args.seed)
                paths: dict[str, Callable[[], str]] = {
                    "list": lambda rng=rng, pages=pages: f"/api/patients?limit=50&offset={50 * rng.randrange(pages)}",
                    "record": lambda rng=rng, ids=ids: f"/api/patients/{rng.choice(ids)}",
                }
                home = Path(tmp) / name
                home.mkdir()
                server_url = f"{url}&application_name=bench_api_{name}"
                with running(servers[name], server_url, home) as (port, pid):

                    def probe(pid: int = pid, server_url: str = server_url, name: str = name) -> Snapshot:
                        return server_cpu_s(pid), postgres_cpu_s(server_url, f"bench_api_{name}")

                    for scenario in args.scenarios.split(","):
                        result = drive(
                            name,
                            scenario,
                            port,
                            probe,
                            paths[scenario],
                            args.clients,
                            args.warmup,
                            args.duration,
                            args.timeout,
                            args.max_requests,
                            args.think_ms / 1000,
                        )
                        results.append(result)
                        print(table([result]).splitlines()[-1], file=sys.stderr)
    print(table(results))
    if len(servers) > 1:
        print(f"\nratio current / peer: {ratios(results)}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))


if __name__ == "__main__":
    main()
