"""CPU of one ``POST /api/fhir`` request in the server process (the FHIR path of the live monitoring benchmark).

On a private PostgreSQL database (created and dropped here) a ward of ``--patients`` patients is stored as the live
benchmark stores it (``monitoring_live.load_ward``) with an API token; the app (``create_app``, no monitoring
worker: storing and answering only) is driven in this process through httpx's ASGI transport, one request after
the other: ``--requests`` FHIR transaction Bundles of the ward's next results (the live benchmark's bodies, one per
patient and half hour), after 100 to warm up. Printed: process CPU and wall time per request (the httpx client in
this process included), beside ``GET /api/health`` (no database, no token: the client, the middleware stack and
a route) and ``read_fhir`` alone on the same bodies; with ``--profile`` the top functions (cProfile, ``--sort``;
the environment variable ``CALLERS=<function name>`` also prints who called that function).

Command: ``cd benchmarks && ../.venv/bin/python profile_fhir_request.py [--requests 600] [--profile]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import json
import os
import pstats
import time
import uuid

import httpx

from engraft.api.app import create_app
from engraft.io.fhir_results import read_fhir
from engraft.registry.database import make_engine
from monitoring_live import fhir_bundle, issue_token, load_ward, plan, private_database
from monitoring_ward import make_ward


async def _send(app: object, token: str, bodies: list[str], health: int) -> tuple[float, float, float, float]:
    """CPU and wall seconds per request of ``bodies`` (POST /api/fhir), then of ``health`` GET /api/health."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:
        for body in bodies[:100]:
            answer = await client.post("/api/fhir", content=body)
            assert answer.status_code == 200, answer.text
        cpu, wall = time.process_time(), time.perf_counter()
        for body in bodies[100:]:
            answer = await client.post("/api/fhir", content=body)
            assert answer.status_code == 200, answer.text
        n = len(bodies) - 100
        fhir = ((time.process_time() - cpu) / n, (time.perf_counter() - wall) / n)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(health):
            assert (await client.get("/api/health")).status_code == 200
        return fhir[0], fhir[1], (time.process_time() - cpu) / health, (time.perf_counter() - wall) / health


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime", help="cProfile order: cumulative, tottime, ...")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ward = make_ward(args.patients, 100)
    live = plan(ward, 500.0, (args.requests + 100) * 4 / 500.0, 3, dt.datetime.now(dt.UTC))
    run_id = uuid.uuid4().hex[:8]
    messages = live.messages[: args.requests + 100]
    bodies = [json.dumps(fhir_bundle(live, j, m, run_id)) for j, m in enumerate(messages)]
    with private_database(args.postgres) as url:
        engine = make_engine(url)
        try:
            service = load_ward(engine, live)
            token = issue_token(service)
            app = create_app(engine, migrate=False, validate_hla=False)
            profiler = cProfile.Profile(time.process_time) if args.profile else None
            if profiler is not None:
                profiler.enable()
            cpu, wall, health_cpu, health_wall = asyncio.run(_send(app, token, bodies, args.requests))
            if profiler is not None:
                profiler.disable()
            parsed = [json.loads(b) for b in bodies[100:]]
            start = time.process_time()
            for document in parsed:
                read_fhir(document)
            read_cpu = (time.process_time() - start) / len(parsed)
            results = sum(len(m) for m in messages[100:]) / len(parsed)
            print(
                f"{len(parsed)} POST /api/fhir ({results:.1f} results per Bundle): CPU {cpu * 1000:.2f} ms, "
                f"wall {wall * 1000:.2f} ms per request; GET /api/health: CPU {health_cpu * 1000:.2f} ms, wall "
                f"{health_wall * 1000:.2f} ms; read_fhir alone: CPU {read_cpu * 1000:.2f} ms per Bundle"
            )
            if profiler is not None:
                stats = pstats.Stats(profiler).sort_stats(args.sort)
                stats.print_stats(40)
                if os.environ.get("CALLERS"):
                    stats.print_callers(os.environ["CALLERS"])
        finally:
            engine.dispose()
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
