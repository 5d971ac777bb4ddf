"""Bulk observation load: 1 M synthetic observations into SQLite and PostgreSQL.

Measures ``engraft.registry.observations.add_observations`` (validation, unit conversion,
staging, set-based checks, insert, audit) end to end, then the idempotent re-send of the same
results. Data: fixed seed, 1,000 patients with one episode each, 1 M observations over 8 LOINC
codes in mixed units. Usage:

    python benchmarks/bench_observation_load.py [--rows 1000000] [--batch 100000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.models import Centre, Patient, TransplantEpisode
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


def prepare(url: str, patients: int) -> RegistryService:
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
    return RegistryService(sessions, actor="bench")


def load(service: RegistryService, rows: list[ObservationRow], batch: int) -> float:
    start = time.perf_counter()
    for lo in range(0, len(rows), batch):
        add_observations(service, rows[lo : lo + batch])
    return time.perf_counter() - start


def run(label: str, url: str, rows: list[ObservationRow], patients: int, batch: int) -> None:
    service = prepare(url, patients)
    first = load(service, rows, batch)
    again = load(service, rows, batch)
    n = len(rows)
    print(
        f"{label}: first load {n:,} rows in {first:.1f} s = {n / first:,.0f} obs/s; "
        f"identical re-send {again:.1f} s = {n / again:,.0f} obs/s (batch {batch:,})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--patients", type=int, default=1000)
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
    if not args.skip_postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            run("PostgreSQL", f"{args.postgres}?options=-csearch_path%3D{schema}", rows, args.patients, args.batch)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite (WAL)", f"sqlite:///{Path(tmp) / 'bench.db'}", rows, args.patients, args.batch)


if __name__ == "__main__":
    main()
