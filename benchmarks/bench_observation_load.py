"""Bulk observation load: 1 M synthetic observations into SQLite and PostgreSQL.

Measures ``engraft.registry.observations.add_observations`` (validation, unit conversion,
parent checks, binary ``COPY`` or staging, insert, audit) end to end, then the idempotent re-send
of the same results. Data: fixed seed, 1,000 patients with one episode each, 1 M observations over
8 LOINC codes in mixed units. The peer, in the same run: the same rows (already converted, no
checks) inserted with SQLAlchemy Core ``insert()`` and a list of dicts (psycopg's pipelined
``executemany``), the usual way to bulk-insert through SQLAlchemy, on ``--peer-rows`` rows. Usage:

    python benchmarks/bench_observation_load.py [--rows 1000000] [--batch 100000] [--peer-rows 200000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--skip-sqlite] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.models import Centre, Observation, Patient, TransplantEpisode
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.service import RegistryService

CODES = [
    ("751-8", "10*9/L"),
    ("777-3", "10*9/L"),
    ("718-7", "g/dL"),
    ("1975-2", "umol/L"),
    ("2160-0", "mg/dL"),
    ("8310-5", "Cel"),
    ("8867-4", "/min"),
    ("59408-5", "%"),
]
RANGES = {
    "751-8": (0, 10),
    "777-3": (5, 300),
    "718-7": (6, 15),
    "1975-2": (5, 80),
    "2160-0": (0.4, 3),
    "8310-5": (36, 40),
    "8867-4": (50, 140),
    "59408-5": (85, 100),
}


def make_rows(n: int, patients: int, seed: int = 1) -> list[ObservationRow]:
    rng = np.random.default_rng(seed)
    pid = rng.integers(1, patients + 1, n)
    code_idx = rng.integers(0, len(CODES), n)
    minutes = rng.integers(0, 100 * 24 * 60, n)
    u = rng.random(n)
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows = []
    for i in range(n):
        loinc, unit = CODES[code_idx[i]]
        lo, hi = RANGES[loinc]
        rows.append(
            ObservationRow(
                int(pid[i]),
                int(pid[i]),
                base + dt.timedelta(minutes=int(minutes[i])),
                loinc,
                round(lo + (hi - lo) * float(u[i]), 2),
                unit,
                "lab feed",
                f"bench-{i}",
            )
        )
    return rows


def prepare(url: str, patients: int) -> BenchService:
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        centre = Centre(code="BENCH", name="Benchmark", country="GB")
        session.add(centre)
        session.flush()
        for i in range(patients):
            p = Patient(
                registry_id=f"B{i:07d}",
                centre_id=centre.id,
                sex="female",
                birth_date=dt.date(1970, 1, 1),
                cmv_serostatus="unknown",
            )
            session.add(p)
        session.flush()
        for i in range(patients):
            session.add(
                TransplantEpisode(
                    patient_id=i + 1,
                    centre_id=centre.id,
                    sequence_number=1,
                    transplant_type="autologous",
                    graft_source="peripheral blood",
                    day0=dt.date(2024, 1, 10),
                )
            )
    return BenchService(sessions, engine)


class BenchService(RegistryService):
    def __init__(self, sessions: sessionmaker[Session], engine: Engine) -> None:
        super().__init__(sessions, actor="bench")
        self.engine = engine


def load(service: RegistryService, rows: list[ObservationRow], batch: int) -> float:
    start = time.perf_counter()
    for lo in range(0, len(rows), batch):
        add_observations(service, rows[lo : lo + batch])
    return time.perf_counter() - start


def peer_load(url: str, rows: list[ObservationRow], patients: int, batch: int) -> float:
    """SQLAlchemy Core ``insert()`` with a list of dicts, one transaction per batch (no checks)."""
    engine = prepare(url, patients).engine
    start = time.perf_counter()
    for lo in range(0, len(rows), batch):
        now = dt.datetime.now(dt.UTC)
        values = [
            {
                "patient_id": r.patient_id,
                "episode_id": r.episode_id,
                "observed_at": r.observed_at,
                "loinc": r.loinc,
                "value": r.value,
                "unit": r.unit,
                "value_canonical": r.value,
                "source": r.source,
                "source_id": r.source_id,
                "recorded_at": now,
            }
            for r in rows[lo : lo + batch]
        ]
        with engine.begin() as connection:
            connection.execute(insert(Observation), values)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def run(label: str, url: str, rows: list[ObservationRow], patients: int, batch: int) -> None:
    service = prepare(url, patients)
    first = load(service, rows, batch)
    again = load(service, rows, batch)
    n = len(rows)
    service.engine.dispose()
    print(
        f"{label}: first load {n:,} rows in {first:.1f} s = {n / first:,.0f} obs/s; "
        f"identical re-send {again:.1f} s = {n / again:,.0f} obs/s (batch {batch:,})"
    )


def run_peer(label: str, url: str, rows: list[ObservationRow], patients: int, batch: int) -> None:
    elapsed = peer_load(url, rows, patients, batch)
    print(
        f"{label} peer (SQLAlchemy Core insert, no checks): {len(rows):,} rows in {elapsed:.1f} s "
        f"= {len(rows) / elapsed:,.0f} obs/s"
    )


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--peer-rows", type=int, default=200_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.node()} {platform.machine()} {platform.processor() or ''}; "
        f"python {platform.python_version()}; date {dt.date.today()}"
    )
    t0 = time.perf_counter()
    rows = make_rows(args.rows, args.patients)
    print(f"generated {len(rows):,} rows in {time.perf_counter() - t0:.1f} s (not counted)")
    peer_rows = rows[: args.peer_rows]
    if not args.skip_postgres:
        with postgres_schema(args.postgres) as url:
            run("PostgreSQL", url, rows, args.patients, args.batch)
        with postgres_schema(args.postgres) as url:
            run_peer("PostgreSQL", url, peer_rows, args.patients, args.batch)
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite (WAL)", f"sqlite:///{Path(tmp) / 'bench.db'}", rows, args.patients, args.batch)
        with tempfile.TemporaryDirectory() as tmp:
            run_peer("SQLite (WAL)", f"sqlite:///{Path(tmp) / 'peer.db'}", peer_rows, args.patients, args.batch)


if __name__ == "__main__":
    main()
