"""Monitoring engine benchmark (issue 11): a synthetic ward replayed in batch, and sent live to real servers.

Batch (targets: >= 1,000,000 observations/s evaluated): the ward of ``--patients`` x ``--days`` of vital
signs and laboratory results (:mod:`monitoring_ward`, fixed seed) through
:func:`engraft.monitoring.evaluate_columns`, once per episode, with the shipped rule set (building the columns is
timed apart; ``--from-rows`` also times building them from Python rows, ``--typed`` also builds typed
observations and times :func:`engraft.monitoring.evaluate`); the peer in the same process: the four centre
threshold rules
written directly in NumPy (:mod:`monitoring_batch`), against the engine on the same four rules, with the
occurrences both find compared. ``--per-rule`` times the engine on each rule alone (where the time goes).

Live (targets: 500 observations/s for 60 s, ingest-to-alert p99 < 50 ms, 0 lost, 0 duplicated): see
:mod:`monitoring_live`. ``--transport`` picks the paths: ``mllp`` (HL7 ORU^R01 to ``engraft monitor
listen``), ``fhir`` (``POST /api/fhir`` to ``engraft serve``), ``bulk`` (``POST
/api/observations/bulk`` with the episode; the server evaluates what it stored, as for a feed). PostgreSQL
only: the stream hears another process's alerts through LISTEN/NOTIFY. Usage:

    python benchmarks/bench_monitoring.py [--patients 1000] [--days 100] [--skip-batch] [--skip-live]
        [--transport mllp,fhir,bulk] [--rate 500] [--seconds 60] [--live-patients 1000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from engraft.monitoring import RuleSet, evaluate

sys.path.insert(0, str(Path(__file__).resolve().parent))

from monitoring_batch import (
    PEER_RULES,
    BatchInput,
    _as_of,
    build_columns,
    build_columns_from_rows,
    build_contexts,
    build_input,
    default_rules,
    only,
    run_engine,
    run_peer,
    ward_rows,
)
from monitoring_live import LiveResult, plan, run_live
from monitoring_ward import Ward, make_ward, subset


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"nproc {os.cpu_count()}, {model}, Python {platform.python_version()}, load {load}"


def batch(args: argparse.Namespace) -> None:
    ward = make_ward(args.patients, args.days, args.seed)
    print(f"ward: {ward.patients:,} patients x {args.days} days = {ward.size:,} observations (seed {args.seed})")
    start = time.perf_counter()
    contexts = build_contexts(ward)
    columns = build_columns(ward)
    built = time.perf_counter() - start
    print(f"inputs: contexts and ObservationColumns from the ward's arrays built in {built:.3f} s; load {machine()}")
    if args.from_rows:
        rows = ward_rows(ward)
        start = time.perf_counter()
        build_columns_from_rows(rows)
        from_rows = time.perf_counter() - start
        print(
            f"ObservationColumns.from_rows (a row of Python values per result, as a driver returns them; making "
            f"the rows not timed): "
            f"{from_rows:.2f} s ({ward.size / from_rows:,.0f} rows/s); load {machine()}"
        )
    data = BatchInput(contexts, [], columns, _as_of(ward))
    rules = default_rules()
    full = run_engine(rules, data, repeat=args.repeat)
    four = run_engine(only(rules, PEER_RULES), data, repeat=args.repeat)
    peers = [run_peer(ward) for _ in range(max(args.repeat, 1))]
    peer_s, peer_cpu = min(p[0] for p in peers), min(p[1] for p in peers)
    peer_found = peers[0][2]
    agree = peer_found == four.occurrences
    print(f"load after the engine runs: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.repeat > 1:
        print(f"best of {args.repeat} runs each (wall and CPU time apart)")
    print()
    print(
        "| run | rules | observations | seconds | observations/s | CPU seconds | observations per CPU second | "
        "detections | alerts raised |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| engine (evaluate_columns), shipped rule set | {len(rules.rules)} | {ward.size:,} | {full.seconds:.3f} | "
        f"{ward.size / full.seconds:,.0f} | {full.cpu_seconds:.3f} | {ward.size / full.cpu_seconds:,.0f} | "
        f"{sum(full.detections.values()):,} | {full.raised:,} |"
    )
    print(
        f"| engine (evaluate_columns), the 4 threshold rules | 4 | {ward.size:,} | {four.seconds:.3f} | "
        f"{ward.size / four.seconds:,.0f} | {four.cpu_seconds:.3f} | {ward.size / four.cpu_seconds:,.0f} | "
        f"{sum(four.detections.values()):,} | {four.raised:,} |"
    )
    print(
        f"| peer: NumPy, the 4 threshold rules | 4 | {ward.size:,} | {peer_s:.4f} | "
        f"{ward.size / peer_s:,.0f} | {peer_cpu:.4f} | {ward.size / peer_cpu:,.0f} | {len(peer_found):,} | |"
    )
    if args.typed:
        start = time.perf_counter()
        typed = build_input(ward)
        typed_s = time.perf_counter() - start
        print(f"\ntyped inputs (MonitoredObservation per result) built in {typed_s:.2f} s; load {machine()}")
        typed_run = run_engine(rules, typed, typed=True)
        same = typed_run.occurrences == full.occurrences and typed_run.detections == full.detections
        print(
            f"| engine (evaluate, typed observations), shipped rule set | {len(rules.rules)} | {ward.size:,} | "
            f"{typed_run.seconds:.3f} | {ward.size / typed_run.seconds:,.0f} | "
            f"{sum(typed_run.detections.values()):,} | {typed_run.raised:,} |"
        )
        print(f"evaluate (typed) and evaluate_columns found the same detections: {same}")
    print()
    print(
        f"ratio engine / peer time on the same 4 rules: {four.seconds / peer_s:,.1f}x wall, "
        f"{four.cpu_seconds / peer_cpu:,.1f}x CPU"
    )
    print(
        f"sha256 of every evaluation (detections with explanations, evidence ids, citations; transitions): "
        f"{full.digest}"
    )
    print(f"occurrences identical: {agree} (engine {len(four.occurrences):,}, peer {len(peer_found):,})")
    print("detections by rule: " + ", ".join(f"{k} {v:,}" for k, v in sorted(full.detections.items())))
    if args.reference:
        reference(args, ward, rules)
    if args.per_rule:
        print()
        print("| rule alone | seconds | share of the sum |")
        print("|---|---:|---:|")
        times = {rule.id: run_engine(only(rules, (rule.id,)), data).seconds for rule in rules.rules}
        times["(no rule: EpisodeSeries and the evaluator only)"] = run_engine(only(rules, ()), data).seconds
        total = sum(times.values())
        for rule_id, seconds in sorted(times.items(), key=lambda kv: -kv[1]):
            print(f"| {rule_id} | {seconds:.3f} | {seconds / total:.0%} |")
        print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def reference(args: argparse.Namespace, ward: Ward, rules: RuleSet) -> None:
    """The engine before the column-wise evaluation (``tests/monitoring/reference_engine``) against the engine now,
    on the first ``--reference`` patients, both from the same typed observations, in this process."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.monitoring.reference_engine.evaluator import evaluate as reference_evaluate

    part = subset(ward, args.reference)
    data = build_input(part)
    start = time.perf_counter()
    before = [reference_evaluate(rules, c, o, data.as_of) for c, o in zip(data.contexts, data.series, strict=True)]
    before_s = time.perf_counter() - start
    now = run_engine(rules, data, typed=True)
    columns = run_engine(rules, data)
    same = all(
        b == evaluate(rules, c, o, data.as_of) for b, c, o in zip(before, data.contexts, data.series, strict=True)
    )
    print()
    print(f"before / now, the first {part.patients:,} patients ({part.size:,} observations), shipped rule set:")
    print("| engine | seconds | observations/s |")
    print("|---|---:|---:|")
    print(f"| before (reference, evaluate) | {before_s:.3f} | {part.size / before_s:,.0f} |")
    print(f"| now, evaluate (typed) | {now.seconds:.3f} | {part.size / now.seconds:,.0f} |")
    print(f"| now, evaluate_columns | {columns.seconds:.3f} | {part.size / columns.seconds:,.0f} |")
    print(f"same evaluations (detections and transitions) before and now: {same}; load {machine()}")


def _pct(values: list[float], q: float) -> str:
    return f"{np.percentile(values, q):,.0f}" if values else "—"


def live(args: argparse.Namespace) -> None:
    ward = make_ward(args.live_patients, args.days, args.seed)
    shape = plan(ward, args.rate, args.seconds, args.cut_day, dt.datetime.now(dt.UTC))
    peak, at = shape.busiest(0.5)
    sent = len(shape.messages)
    print(
        f"messages: {sent:,} ({args.rate * args.seconds / sent:.1f} results each, {sent / args.seconds:.0f} per "
        "second); "
        f"busiest half second: {peak} messages from {at:.1f} s ({2 * peak} per second)"
    )
    results: list[LiveResult] = []
    for transport in args.transport.split(","):
        print(f"\nlive {transport}: {args.rate:g} observations/s for {args.seconds:g} s; load before {machine()}")
        result = run_live(
            transport,
            args.postgres,
            ward,
            rate=args.rate,
            seconds=args.seconds,
            cut_day=args.cut_day,
            connections=args.connections,
            settle_s=args.settle,
            home=Path(os.environ.get("ENGRAFT_HOME", "/tmp/eh-benchmon")) / "bench-monitoring",
        )
        results.append(result)
        print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if result.cpu_s:
            spent = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.cpu_s.items())
            print(f"CPU from the first send to the end (processes and their children): {spent}")
        slow = ", ".join(f"{ms:.0f} ms {rule} (at {at:.1f} s)" for ms, rule, _, at in result.alert_latencies[:6])
        print(f"slowest alerts: {slow}")
        by_rule: dict[str, list[float]] = {}
        by_window: dict[int, list[float]] = {}
        for ms, rule, _, at in result.alert_latencies:
            by_rule.setdefault(rule, []).append(ms)
            by_window.setdefault(int(at // 5) * 5, []).append(ms)
        ranked = sorted(by_rule.items(), key=lambda item: -len(item[1]))
        per_rule = ", ".join(f"{rule} {len(v)}: {_pct(v, 50)} / {_pct(v, 99)}" for rule, v in ranked)
        print(f"alerts by rule (count: p50 / p99 ms): {per_rule}")
        windows = ", ".join(
            f"{at}-{at + 5} s {len(v)}: {_pct(v, 50)} / {max(v):.0f}" for at, v in sorted(by_window.items())
        )
        print(f"alerts by when their message was sent (count: p50 / max ms): {windows}")
        acks: dict[int, list[float]] = {}
        for ms, at in zip(result.ack_ms, result.ack_at_s, strict=True):
            acks.setdefault(int(at // 5) * 5, []).append(ms)
        acked = ", ".join(f"{at}-{at + 5} s {len(v)}: {_pct(v, 50)} / {_pct(v, 99)}" for at, v in sorted(acks.items()))
        print(f"answers by when their message was sent (count: p50 / p99 ms): {acked}")
        if result.notes:
            print("refusals (first 3): " + " / ".join(result.notes))
        if result.unexpected_alerts:
            print("alerts stored but not expected:\n" + "\n".join(result.unexpected_alerts))
    print()
    print(
        "| path | observations sent | messages | achieved obs/s | refused | expected alerts | received | lost | "
        "duplicated | unexpected | latency p50 / p95 / p99 ms | ACK p50 / p99 ms | alerts stored | "
        "results without episode |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|")
    for r in results:
        print(
            f"| {r.transport} | {r.observations:,} | {r.messages:,} | {r.rate:,.0f} | {r.refused} | {r.expected} | "
            f"{r.received} | {r.lost} | {r.duplicated} | {r.unexpected} | {_pct(r.latencies_ms, 50)} / "
            f"{_pct(r.latencies_ms, 95)} / {_pct(r.latencies_ms, 99)} | {_pct(r.ack_ms, 50)} / {_pct(r.ack_ms, 99)} | "
            f"{r.stored_alerts} | {r.without_episode:,} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--per-rule", action="store_true", help="time the engine on each rule alone")
    parser.add_argument("--repeat", type=int, default=1, help="batch: best of this many runs of each engine run")
    parser.add_argument("--typed", action="store_true", help="also build typed observations and time evaluate()")
    parser.add_argument("--from-rows", action="store_true", help="also time ObservationColumns.from_rows")
    parser.add_argument("--reference", type=int, default=0, help="time the engine before, on this many patients")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--transport", default="mllp,fhir,bulk")
    parser.add_argument("--rate", type=float, default=500.0, help="observations per second sent")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--live-patients", type=int, default=1_000)
    parser.add_argument("--cut-day", type=int, default=3, help="results from this day (00:00) on are sent live")
    parser.add_argument("--connections", type=int, default=8, help="concurrent MLLP or HTTP connections")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds without an alert event that end a run")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    print(f"bench_monitoring {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    if not args.skip_batch:
        batch(args)
    if not args.skip_live:
        live(args)


if __name__ == "__main__":
    main()
