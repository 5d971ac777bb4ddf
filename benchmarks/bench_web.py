"""The team's pages under load: 50 signed-in clients, 10,000 patients on PostgreSQL, on 127.0.0.1.

What it does, in one run:

1. creates a fresh schema in the PostgreSQL database of ``ENGRAFT_BENCH_POSTGRES_URL`` (default the local
   test database), migrates it, loads ``--transplants`` synthetic transplants of the demo cohort (patients
   with diagnoses, episodes, events, follow-up visits and the daily laboratory series the patient page
   charts: about 900 observations per transplant) and tops the registry up with bulk-inserted patients
   (identity, typing, no episode yet: the pre-transplant part of a list) to ``--patients`` in all;
2. creates ``--clients`` physician accounts with the production password hashing, starts ``engraft serve``
   (worker processes as ``serve`` chooses) on a free loopback port, and signs each client in through the
   real ``POST /api/auth/sign-in``: every request below carries its own session cookie, is authorised and,
   where it reads identity, audited, exactly as in use;
3. drives each scenario for ``--duration`` seconds after ``--warmup`` seconds, each client sending its next
   request when the last answer is read (closed loop) or after a pause (``--think-ms``, exponential with
   that mean, as a person reading a page):

   * ``page: patient list``: ``GET /patients?page=<random page>`` (HTML, identity shown: physician)
   * ``page: patient``: ``GET /patients/<random transplanted patient>`` (HTML with its lab charts)
   * ``api: patient list``: ``GET /api/patients?limit=50&offset=<random page>`` (the peer of the list page)
   * ``api: patient``: ``GET /api/patients/<same patients>?include_identity=true`` (the peer of the page)

   The peer of each page is the JSON API route that serves the same data from the same server in the
   same run: the page's cost over it is what the HTML, the charts and the layout add;
4. prints requests/s, latency p50/p95/p99/max, errors, and the CPU time per request of the server's
   processes and of the PostgreSQL backends serving it; then drops the schema.

Usage:

    python benchmarks/bench_web.py [--patients 10000] [--transplants 1000] [--clients 50] [--duration 20]
        [--warmup 3] [--think-ms 0] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select, text

from bench_api import (
    HOST,
    Server,
    cpu_delta,
    fresh_schema,
    machine,
    migrate_with,
    postgres_cpu_s,
    running,
    server_cpu_s,
    synthetic_patients,
)
from engraft.access import Role
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_schemas import NewUser
from engraft.registry.audit import Actor
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.models import Centre, Patient, PatientIdentity, TransplantEpisode
from engraft.registry.service import RegistryService

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench password 2026"
PAGE_SIZE = 50


# ---- data -----------------------------------------------------------------------------------
def load_registry(url: str, patients: int, transplants: int, seed: int) -> tuple[list[int], list[int]]:
    """The demo cohort's ``transplants`` plus bulk patients up to ``patients``; returns (all ids, transplanted ids)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "engraft", "demo", "--database", url, "--transplants", str(transplants)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(
        f"demo cohort of {transplants:,} transplants loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr
    )
    engine = make_engine(url)
    try:
        now = dt.datetime.now(dt.UTC)
        with engine.begin() as conn:
            centre_ids = list(conn.scalars(select(Centre.id).order_by(Centre.id)))
            have = conn.scalar(select(Patient.id).order_by(Patient.id.desc()).limit(1)) or 0
            count = conn.execute(text("SELECT count(*) FROM patient")).scalar_one()
            extra = max(0, patients - int(count))
            if extra:
                rows, names = synthetic_patients(extra, centre_ids, seed)
                conn.execute(insert(Patient), rows)
                stored = conn.execute(
                    select(Patient.id, Patient.centre_id).where(Patient.id > have).order_by(Patient.id)
                ).all()
                conn.execute(
                    insert(PatientIdentity),
                    [
                        {
                            "patient_id": pid,
                            "centre_id": centre_id,
                            "given_name": given,
                            "family_name": family,
                            "mrn": f"BMRN{pid:07d}",
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for (pid, centre_id), (given, family) in zip(stored, names, strict=True)
                    ],
                )
            all_ids = list(conn.scalars(select(Patient.id).order_by(Patient.id)))
            transplanted = list(conn.scalars(select(TransplantEpisode.patient_id).distinct()))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        return all_ids, sorted(transplanted)
    finally:
        engine.dispose()


def create_accounts(url: str, clients: int) -> list[str]:
    """``clients`` physician accounts with a known password (production hashing); returns their names."""
    engine = make_engine(url)
    try:
        registry = RegistryService(make_session_factory(engine), actor=Actor.system("bench_web"))
        accounts = AccountService(registry)
        names = [f"bench.physician{i:02d}" for i in range(clients)]
        for name in names:
            accounts.create_user(NewUser(username=name, display_name=name, role=Role.PHYSICIAN), PASSWORD)
        return names
    finally:
        engine.dispose()


def sign_in(port: int, username: str) -> str:
    """Sign in through the real route; returns the ``Cookie`` header value the client sends from then on."""
    request = urllib.request.Request(
        f"http://{HOST}:{port}/api/auth/sign-in",
        data=json.dumps({"username": username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        cookies = answer.headers.get_all("Set-Cookie") or []
    pairs = [c.split(";", 1)[0] for c in cookies]
    if not pairs:
        raise RuntimeError(f"sign-in of {username} set no cookie")
    return "; ".join(pairs)


# ---- load generator -------------------------------------------------------------------------
@dataclass
class Result:
    scenario: str
    clients: int
    think_ms: float
    seconds: float
    requests: int
    errors: dict[str, int]
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_kb: float
    server_cpu_ms_per_request: float
    postgres_cpu_ms_per_request: float


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, int]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, close, chunked = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        await reader.readexactly(length)
        return status, close, length
    size = 0
    while True:
        chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(chunk + 2)
        size += chunk
        if chunk == 0:
            return status, close, size


async def _client(
    port: int,
    cookie: str,
    next_path: Callable[[random.Random], str],
    record_from: float,
    deadline: float,
    timeout: float,
    latencies: list[float],
    sizes: list[int],
    errors: Counter[str],
    think_s: float,
    rng: random.Random,
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < deadline:
        path = next_path(rng)
        accept = "application/json" if path.startswith("/api/") else "text/html"
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: {accept}\r\nCookie: {cookie}\r\n"
            "User-Agent: engraft-bench-web\r\n\r\n"
        ).encode()
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
                        status, close, size = await _read_response(reader)
                        break
                    except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
                        # an idle keep-alive connection closed by the server: reconnect and resend once
                        if not (reused and attempt == 1 and not getattr(exc, "partial", b"")):
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
        if start >= record_from:
            latencies.append(time.perf_counter() - start)
            sizes.append(size)
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
    scenario: str,
    port: int,
    cookies: list[str],
    cpu_probe: Callable[[], tuple[dict[int, float], dict[int, float]]],
    next_path: Callable[[random.Random], str],
    warmup: float,
    duration: float,
    think_s: float,
    timeout: float = 60.0,
) -> Result:
    latencies: list[float] = []
    sizes: list[int] = []
    errors: Counter[str] = Counter()

    async def snapshot_at(moment: float) -> tuple[dict[int, float], dict[int, float]]:
        await asyncio.sleep(max(0.0, moment - time.perf_counter()))
        return cpu_probe()

    async def main() -> tuple[float, float, tuple[dict[int, float], dict[int, float]]]:
        begin = time.perf_counter()
        record_from, deadline = begin + warmup, begin + warmup + duration
        first = asyncio.create_task(snapshot_at(record_from))
        await asyncio.gather(
            *(
                _client(
                    port,
                    cookie,
                    next_path,
                    record_from,
                    deadline,
                    timeout,
                    latencies,
                    sizes,
                    errors,
                    think_s,
                    random.Random(i),
                )
                for i, cookie in enumerate(cookies)
            )
        )
        return record_from, time.perf_counter(), await first

    record_from, finished, (server_before, postgres_before) = asyncio.run(main())
    server_after, postgres_after = cpu_probe()
    served = max(1, len(latencies))
    seconds = finished - record_from
    ms = np.array(latencies) * 1000 if latencies else np.array([float("nan")])
    p50, p95, p99 = (float(v) for v in np.percentile(ms, [50, 95, 99]))
    return Result(
        scenario=scenario,
        clients=len(cookies),
        think_ms=think_s * 1000,
        seconds=round(seconds, 2),
        requests=len(latencies),
        errors=dict(errors),
        requests_per_s=round(len(latencies) / seconds, 1),
        p50_ms=round(p50, 1),
        p95_ms=round(p95, 1),
        p99_ms=round(p99, 1),
        max_ms=round(float(ms.max()), 1),
        mean_kb=round(float(np.mean(sizes)) / 1024, 1) if sizes else 0.0,
        server_cpu_ms_per_request=round(1000 * cpu_delta(server_before, server_after) / served, 2),
        postgres_cpu_ms_per_request=round(1000 * cpu_delta(postgres_before, postgres_after) / served, 2),
    )


def table(results: list[Result]) -> str:
    lines = [
        "| scenario | clients | think ms | req/s | p50 ms | p95 ms | p99 ms | max ms | KB | server CPU ms/req "
        "| PostgreSQL CPU ms/req | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        errors = ", ".join(f"{k}: {v}" for k, v in r.errors.items()) or "0"
        lines.append(
            f"| {r.scenario} | {r.clients} | {r.think_ms:.0f} | {r.requests_per_s} | {r.p50_ms} | {r.p95_ms} "
            f"| {r.p99_ms} | {r.max_ms} | {r.mean_kb} | {r.server_cpu_ms_per_request} "
            f"| {r.postgres_cpu_ms_per_request} | {errors} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=os.environ.get("ENGRAFT_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--transplants", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--think-ms", default="0", help="comma-separated mean pauses, e.g. 0,1000")
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    thinks = [float(t) / 1000 for t in args.think_ms.split(",")]
    print(machine(), file=sys.stderr)
    results: list[Result] = []
    with fresh_schema(args.postgres) as url, tempfile.TemporaryDirectory(prefix="bench-web-") as home_dir:
        home = Path(home_dir)
        migrate_with(sys.executable, url)
        all_ids, transplanted = load_registry(url, args.patients, args.transplants, args.seed)
        names = create_accounts(url, args.clients)
        pages = max(1, (len(all_ids) + PAGE_SIZE - 1) // PAGE_SIZE)
        print(f"{len(all_ids):,} patients, {len(transplanted):,} with a transplant", file=sys.stderr)
        server_url = f"{url}&application_name=bench_web"
        with running(Server("current", sys.executable), server_url, home) as (port, pid):
            cookies = [sign_in(port, name) for name in names]
            scenarios: list[tuple[str, Callable[[random.Random], str]]] = [
                ("page: patient list", lambda r: f"/patients?page={r.randint(1, pages)}"),
                ("page: patient", lambda r: f"/patients/{r.choice(transplanted)}"),
                (
                    "api: patient list",
                    lambda r: f"/api/patients?limit={PAGE_SIZE}&offset={PAGE_SIZE * r.randrange(pages)}",
                ),
                ("api: patient", lambda r: f"/api/patients/{r.choice(transplanted)}?include_identity=true"),
            ]
            for think in thinks:
                for scenario, next_path in scenarios:
                    result = drive(
                        scenario,
                        port,
                        cookies,
                        lambda: (server_cpu_s(pid), postgres_cpu_s(url, "bench_web")),
                        next_path,
                        args.warmup,
                        args.duration,
                        think,
                    )
                    print(table([result]).splitlines()[-1], file=sys.stderr)
                    results.append(result)
    print(table(results))
    for think in thinks:
        by = {r.scenario: r for r in results if r.think_ms == think * 1000}
        for page, api in (("page: patient list", "api: patient list"), ("page: patient", "api: patient")):
            print(f"think {think * 1000:.0f} ms: {page} p95 / {api} p95 = {by[page].p95_ms / by[api].p95_ms:.2f}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))


if __name__ == "__main__":
    main()
