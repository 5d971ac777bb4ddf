"""Database round trips and time of storing one lab-feed message (HL7 v2 ORU^R01 through ``MllpListener.handle``).

On a private PostgreSQL database (created and dropped here): a centre, ``--patients`` patients with an MRN and
one transplant episode each; then ``--messages`` ORU^R01 messages of four results (ANC, platelets, creatinine,
temperature), each for the next patient, are handed to ``MllpListener.handle`` one after the other in this thread
(the monitoring hooks are not registered: storing and acknowledging only). Counted per message with SQLAlchemy
events and by wrapping psycopg's cursor: statements (every execute on a psycopg cursor: through SQLAlchemy, on the
driver's cursor directly, and the pool's ``SELECT 1`` ping at each check-out, ``pool_pre_ping``), BEGIN and COMMIT;
a binary COPY is one statement of its own. Printed: the counts per message (median) and wall and process CPU time
per message. Then as many messages again from ``--connections`` threads at once (as connections of the listener
do), each waiting for its ACK: round trips and COMMITs per message (group commit shares a transaction) and messages
per second, and the CPU per message of this process and of PostgreSQL's backends (read from ``/proc``: the
server runs on this machine). ``--profile FILE`` writes a cProfile of the first part, timed in process CPU (not waits).

Command: ``cd benchmarks && ../.venv/bin/python profile_ingest.py [--messages 300]``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import os
import statistics
import threading
import time
from collections import Counter
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from engraft.io.mllp import ListenerSettings, MllpListener
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.models import Centre, Patient, PatientIdentity, TransplantEpisode
from engraft.registry.result_hooks import ResultHooks
from engraft.registry.service import RegistryService
from monitoring_live import private_database

_CODES = (("751-8", "10*9/L", "0.4"), ("777-3", "10*9/L", "18"), ("2160-0", "mg/dL", "1.1"), ("8310-5", "Cel", "37.2"))


def message(number: int, mrn: str, at: dt.datetime) -> str:
    stamp = at.strftime("%Y%m%d%H%M%S+0000")
    segments = [
        f"MSH|^~\\&|LABSYS|HOSP|ENGRAFT|TXU|{stamp}||ORU^R01^ORU_R01|P-{number}|P|2.5.1",
        f"PID|1||{mrn}^^^HOSP^MR||Example^Ann||19700517|F",
        f"OBR|1||F-{number}|58410-2^CBC panel^LN|||{stamp}",
    ]
    for k, (code, unit, value) in enumerate(_CODES, start=1):
        segments.append(f"OBX|{k}|NM|{code}^Result^LN||{value}|{unit}|||||F|||{stamp}")
    return "\r".join(segments) + "\r"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--connections", type=int, default=8, help="threads sending at once in the second part")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--profile", metavar="FILE", help="a cProfile (process CPU) of the first part to FILE")
    args = parser.parse_args()
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with private_database(args.postgres) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            day0 = dt.date.today() - dt.timedelta(days=10)
            with Session(engine) as session, session.begin():
                centre = Centre(code="C1", name="Centre", country="GB")
                session.add(centre)
                session.flush()
                for i in range(args.patients):
                    patient = Patient(
                        registry_id=f"P{i:05d}",
                        centre_id=centre.id,
                        sex="female",
                        birth_date=dt.date(1970, 5, 17),
                        cmv_serostatus="unknown",
                    )
                    session.add(patient)
                    session.flush()
                    session.add(
                        PatientIdentity(
                            patient_id=patient.id, centre_id=centre.id, given_name="A", family_name="B", mrn=f"MRN-{i}"
                        )
                    )
                    session.add(
                        TransplantEpisode(
                            patient_id=patient.id,
                            centre_id=centre.id,
                            sequence_number=1,
                            transplant_type="allogeneic",
                            graft_source="peripheral blood",
                            day0=day0,
                        )
                    )
            counts: Counter[str] = Counter()

            @event.listens_for(engine, "begin")
            def _begin(*_: Any) -> None:
                counts["begin"] += 1

            @event.listens_for(engine, "commit")
            def _commit(*_: Any) -> None:
                counts["commit"] += 1

            _count_statements(counts)
            listener = MllpListener(
                RegistryService(make_session_factory(engine), actor="profile"),
                ListenerSettings(centre="C1"),
                ResultHooks(),
            )
            start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
            per_message: list[Counter[str]] = []
            walls, cpus = [], []
            server_cpu = _server_cpu(engine)
            profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not waits
            if profiler is not None:
                profiler.enable()
            for n in range(args.messages):
                text = message(n, f"MRN-{n % args.patients}", start + dt.timedelta(seconds=n))
                counts.clear()
                wall, cpu = time.perf_counter(), time.process_time()
                ack = listener.handle(text.encode(), "127.0.0.1")
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
                if "|AA|" not in ack:
                    raise RuntimeError(ack)
                per_message.append(Counter(counts))
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
            server_cpu = _server_cpu(engine) - server_cpu
            concurrent = _concurrently(listener, args, counts, start, engine)
            keys = sorted({k for c in per_message for k in c})
            total = [sum(c.values()) for c in per_message]
            print(f"{args.messages} messages of {len(_CODES)} results, one after the other (PostgreSQL)")
            for key in keys:
                print(f"  {key}: median {statistics.median(c[key] for c in per_message):g} per message")
            print(f"  round trips in all: median {statistics.median(total):g} per message")
            print(
                f"  wall {statistics.median(walls) * 1000:.2f} ms, CPU {statistics.median(cpus) * 1000:.2f} ms "
                "per message (medians)"
            )
            print(f"  PostgreSQL CPU {server_cpu / args.messages * 1000:.2f} ms per message (its backends, mean)")
            print(concurrent)
        finally:
            engine.dispose()
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _concurrently(
    listener: MllpListener, args: argparse.Namespace, counts: Counter[str], start: dt.datetime, engine: Any
) -> str:
    """``--messages`` more messages sent from ``--connections`` threads at once, each waiting for its ACK: the
    round trips and messages per second of them all."""
    counts.clear()
    lanes = args.connections
    failures: list[str] = []

    def lane(k: int) -> None:
        for n in range(k, args.messages, lanes):
            number = args.messages + n
            text = message(number, f"MRN-{number % args.patients}", start + dt.timedelta(seconds=number))
            ack = listener.handle(text.encode(), "127.0.0.1")
            if "|AA|" not in ack:
                failures.append(ack)

    threads = [threading.Thread(target=lane, args=(k,)) for k in range(lanes)]
    wall, cpu, server_cpu = time.perf_counter(), time.process_time(), _server_cpu(engine)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    server_cpu = _server_cpu(engine) - server_cpu
    if failures:
        raise RuntimeError(failures[0])
    total = sum(counts.values())
    commits = counts["commit"]
    return (
        f"{args.messages} messages from {lanes} threads at once: {total / args.messages:.2f} round trips and "
        f"{commits / args.messages:.2f} COMMITs per message ({args.messages / max(commits, 1):.1f} messages per "
        f"transaction), {args.messages / wall:.0f} messages/s; CPU per message: process "
        f"{cpu / args.messages * 1000:.2f} ms, PostgreSQL {server_cpu / args.messages * 1000:.2f} ms"
    )


def _server_cpu(engine: Any) -> float:
    """CPU seconds used so far by the PostgreSQL backends connected to the benchmark's database (read from
    ``/proc``: the server runs on this machine); the backend of this query included."""
    with engine.connect() as connection:
        name = connection.exec_driver_sql("SELECT current_database()").scalar_one()
        pids = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = %(name)s", {"name": name}
        ).scalars()
        ticks = 0
        for pid in pids:
            with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _count_statements(counts: Counter[str]) -> None:
    """Count each statement sent on psycopg's cursor: through SQLAlchemy, on the driver's cursor directly, the
    pool's ping (``SELECT 1``), and each binary COPY."""
    import psycopg

    execute, copy = psycopg.Cursor.execute, psycopg.Cursor.copy

    def counted_execute(self: psycopg.Cursor[Any], statement: Any, *args: Any, **kwargs: Any) -> Any:
        counts["statements (pool ping included)"] += 1
        return execute(self, statement, *args, **kwargs)

    def counted_copy(self: psycopg.Cursor[Any], statement: Any, *args: Any, **kwargs: Any) -> Any:
        counts["copy"] += 1
        return copy(self, statement, *args, **kwargs)

    psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign,assignment]
    psycopg.Cursor.copy = counted_copy  # type: ignore[method-assign]


if __name__ == "__main__":
    main()
