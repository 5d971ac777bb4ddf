"""The transplant team's patient list on 10,000 synthetic patients, on PostgreSQL: EXPLAIN ANALYZE and timings.

Data: the synthetic demo cohort's recipients (``engraft.demo.cohort.SyntheticCohort``: names, MRNs, centres,
diagnoses and day 0 dates spread over 8 years up to yesterday), written with SQLAlchemy Core inserts
(patient, identity, diagnosis, transplant episode; the list reads nothing else). Every 12th patient has
no transplant yet (pre-transplant). For each view of the list the script prints PostgreSQL's own
execution time of the page statement and of the count (``EXPLAIN (ANALYZE, BUFFERS)``), and the median
wall time of :func:`engraft.registry.patient_list.read_patient_list` (both statements, rows built) over
``--repeat`` runs. Usage:

    python benchmarks/bench_patient_list.py [--patients 10000] [--repeat 20] [--plans]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, insert, text

from engraft.demo.cohort import SyntheticCohort
from engraft.registry.database import make_engine
from engraft.registry.migrate import upgrade
from engraft.registry.models import Centre, Diagnosis, Patient, PatientIdentity, TransplantEpisode
from engraft.registry.patient_list import read_patient_list
from engraft.registry.patient_list_query import CarePhase, PatientListQuery, PatientSort
from engraft.registry.patient_list_statements import statements_for

CENTRE = "DEMO-NBH"


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


def load(engine: Engine, patients: int) -> tuple[dt.date | None, dt.date | None]:
    now = dt.datetime.now(dt.UTC)
    stamps = {"version": 1, "created_at": now, "updated_at": now}
    end = dt.date.today() - dt.timedelta(days=1)
    cohort = SyntheticCohort(transplants=patients, centres=3, end_date=end)
    with engine.begin() as conn:
        centre_ids = {}
        for site in cohort.sites:
            centre_ids[site.code] = conn.execute(
                insert(Centre.__table__).returning(Centre.__table__.c.id),
                {"code": site.code, "name": site.name, "country": site.country, **stamps},
            ).scalar_one()
        rows: dict[str, list[dict[str, Any]]] = {"patient": [], "identity": [], "diagnosis": [], "episode": []}
        first = last = None
        for t in cohort:
            plan, n = t.plan, t.number
            centre = centre_ids[plan.centre.code]
            rows["patient"].append(
                {
                    "id": n,
                    "registry_id": f"DEMO-{n:05d}",
                    "centre_id": centre,
                    "sex": plan.sex.value,
                    "birth_date": plan.birth_date,
                    "cmv_serostatus": plan.cmv.value,
                    **stamps,
                }
            )
            rows["identity"].append(
                {
                    "patient_id": n,
                    "centre_id": centre,
                    "given_name": t.given_name,
                    "family_name": t.family_name,
                    "mrn": t.mrn,
                    **stamps,
                }
            )
            rows["diagnosis"].append(
                {
                    "id": n,
                    "patient_id": n,
                    "who_name": plan.indication.who_name,
                    "icd10": plan.indication.icd10,
                    "diagnosis_date": plan.diagnosis_date,
                    **stamps,
                }
            )
            if n % 12:
                rows["episode"].append(
                    {
                        "patient_id": n,
                        "diagnosis_id": n,
                        "centre_id": centre,
                        "sequence_number": 1,
                        "transplant_type": plan.transplant_type.value,
                        "graft_source": plan.graft_source.value,
                        "day0": plan.day0,
                        "gvhd_prophylaxis": [],
                        **stamps,
                    }
                )
            first = first or plan.day0
            last = plan.day0
        conn.execute(insert(Patient.__table__), rows["patient"])
        conn.execute(insert(PatientIdentity.__table__), rows["identity"])
        conn.execute(insert(Diagnosis.__table__), rows["diagnosis"])
        conn.execute(insert(TransplantEpisode.__table__), rows["episode"])
        conn.execute(text("SELECT setval(pg_get_serial_sequence('patient', 'id'), (SELECT max(id) FROM patient))"))
        conn.execute(text("ANALYZE"))
    return first, last


def explain(conn: Connection, statement: Any, parameters: dict[str, Any], options: str) -> tuple[float, str]:
    compiled = statement.compile(dialect=conn.dialect)
    bound = compiled.construct_params(parameters)
    plan = conn.exec_driver_sql(f"EXPLAIN ({options}) {compiled}", bound).scalars().all()
    execution = next(line for line in plan if line.startswith("Execution Time"))
    return float(execution.split(":")[1].split()[0]), "\n".join(plan)


def views(as_of: dt.date, patients: int) -> list[tuple[str, PatientListQuery]]:
    base: dict[str, Any] = {"as_of": as_of, "include_identity": True, "limit": 25}
    return [
        ("newest transplant first, page 1", PatientListQuery(**base)),
        ("by name, page 1", PatientListQuery(**base, sort=PatientSort.NAME, descending=False)),
        ("by name, last page", PatientListQuery(**base, sort=PatientSort.NAME, offset=patients - 25)),
        ("search 'ann' (substring of names/MRNs)", PatientListQuery(**base, search="ann")),
        ("search one MRN-like string", PatientListQuery(**base, search="NB05050")),
        ("phase day 0-100", PatientListQuery(**base, phase=CarePhase.EARLY)),
        ("phase pre-transplant", PatientListQuery(**base, phase=CarePhase.PRE_TRANSPLANT)),
        (
            "centre + AML + follow-up",
            PatientListQuery(**base, centre=CENTRE, disease_group="AML", phase=CarePhase.FOLLOW_UP),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--plans", action="store_true", help="print the full plans")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with postgres_schema(args.postgres) as url:
        engine = make_engine(url)
        upgrade(engine)
        start = time.perf_counter()
        first, last = load(engine, args.patients)
        print(f"loaded {args.patients} patients in {time.perf_counter() - start:.1f} s (day 0 {first} .. {last})")
        as_of = dt.date.today()
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar()
            print(f"PostgreSQL {version}; as of {as_of}")
            print(
                "| view | rows | total | page: execution (timing off / on) | count: execution (timing off / on) "
                "| read_patient_list median |"
            )
            print("|---|---|---|---|---|---|")
            for name, query in views(as_of, args.patients):
                page, count, parameters = statements_for(query)
                page_ms, page_plan = explain(conn, page, parameters, "ANALYZE, BUFFERS")
                count_ms, count_plan = explain(conn, count, parameters, "ANALYZE, BUFFERS")
                page_fast = min(explain(conn, page, parameters, "ANALYZE, TIMING OFF")[0] for _ in range(5))
                count_fast = min(explain(conn, count, parameters, "ANALYZE, TIMING OFF")[0] for _ in range(5))
                read_patient_list(conn, query)  # warm
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    result = read_patient_list(conn, query)
                    times.append((time.perf_counter() - t0) * 1000)
                print(
                    f"| {name} | {len(result.rows)} | {result.total} | {page_fast:.2f} / {page_ms:.2f} ms "
                    f"| {count_fast:.2f} / {count_ms:.2f} ms "
                    f"| {statistics.median(times):.2f} ms |"
                )
                if args.plans:
                    print(f"\n--- {name}: page\n{page_plan}\n--- count\n{count_plan}\n")
        engine.dispose()


if __name__ == "__main__":
    main()
