"""CPU and database round trips of one monitoring evaluation of an episode (``evaluate_episode`` as the worker runs it).

On a private PostgreSQL database (created and dropped here) a ward of ``--patients`` patients is stored as the live
benchmark stores it (``monitoring_live.load_ward``: the results before the cut day) and every episode is evaluated
once (its alerts on file). Then ``--evaluations`` evaluations are run one after the other in this thread, each of
an episode in turn with the scope of the ward's commonest message (its four vital signs), the way the monitoring
worker runs them after a message is stored. Nothing new arrives between them, so they write nothing: the steady
cost of an evaluation. Printed: process CPU and wall time per evaluation, statements and COMMITs per evaluation
(SQLAlchemy events: on PostgreSQL an evaluation's reads are texts on the driver's cursor, not counted); with
``--profile`` the top functions by cumulative time (cProfile).

Command: ``cd benchmarks && ../.venv/bin/python profile_evaluation.py [--evaluations 600] [--message labs]
[--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import time
from collections import Counter
from typing import Any

from sqlalchemy import event

from engraft.registry.audit import Actor
from engraft.registry.database import make_engine
from engraft.registry.monitoring_scope import EvaluationScope
from engraft.registry.monitoring_service import evaluate_episode
from monitoring_live import evaluate_all, load_ward, plan, private_database
from monitoring_ward import make_ward

MESSAGE_CODES = frozenset({"8310-5", "8867-4", "8480-6", "8462-4"})
"""The codes of the benchmark ward's commonest message: vital signs (temperature, heart rate, blood pressure)."""
LAB_CODES = frozenset({"751-8", "777-3", "1975-2", "2160-0"})
"""The codes of a morning laboratory message of the ward (ANC, platelets, bilirubin, creatinine): the rules they reach
(count recovery, graft failure, organ toxicity, SOS/VOD...) make the costliest evaluations (``--message labs``)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--evaluations", type=int, default=600)
    parser.add_argument("--cut-day", type=int, default=10)
    parser.add_argument("--message", choices=("vitals", "labs"), default="vitals", help="the scope evaluated")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime, ...")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ward = make_ward(args.patients, 100)
    live = plan(ward, 500.0, 60.0, args.cut_day, dt.datetime.now(dt.UTC))
    with private_database(args.postgres) as url:
        engine = make_engine(url)
        try:
            service = load_ward(engine, live)
            evaluate_all(service, ward.patients)
            monitoring = service.for_actor(Actor.system("monitoring"))
            counts: Counter[str] = Counter()

            def on_execute(*_: Any) -> None:
                counts["statements"] += 1

            def on_commit(*_: Any) -> None:
                counts["commits"] += 1

            event.listen(engine, "before_cursor_execute", on_execute)
            event.listen(engine, "commit", on_commit)
            scope = EvaluationScope.of_codes(MESSAGE_CODES if args.message == "vitals" else LAB_CODES)
            for k in range(50):  # warm the caches (rule sets, statement compilation)
                evaluate_episode(monitoring, k % ward.patients + 1, scope=scope)
            counts.clear()
            profiler = cProfile.Profile() if args.profile else None
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            for k in range(args.evaluations):
                evaluate_episode(monitoring, k % ward.patients + 1, scope=scope)
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            n = args.evaluations
            print(
                f"{n} evaluations ({args.message}): CPU {cpu / n * 1000:.2f} ms, "
                f"wall {wall / n * 1000:.2f} ms per evaluation; "
                f"SQLAlchemy statements {counts['statements'] / n:.1f} (texts run on the driver's cursor not counted), "
                f"commits {counts['commits'] / n:.2f} per evaluation"
            )
            if profiler:
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(35)
        finally:
            engine.dispose()
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
