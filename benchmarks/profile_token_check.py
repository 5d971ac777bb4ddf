"""CPU and wall time of resolving an API request's bearer token (``AccountService.resolve_token``), per call.

On a private PostgreSQL database (created and dropped here): one administrator and one token; ``--calls`` calls
after 200 to warm up, three times, in this thread. Every API request with a bearer token makes this call (on a
worker thread, before its route runs).

Command: ``cd benchmarks && ../.venv/bin/python profile_token_check.py [--calls 2000]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

from engraft.access import Role
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_schemas import NewToken, NewUser
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.service import RegistryService
from monitoring_live import private_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with private_database(args.postgres) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            accounts = AccountService(RegistryService(make_session_factory(engine), actor="benchmark"))
            admin = accounts.create_user(NewUser(username="bench.admin", display_name="Bench", role=Role.ADMIN), None)
            expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
            token = NewToken(name="bench-token", role=Role.PHYSICIAN, expires_at=expires)
            secret = accounts.issue_token(token, admin.user.id).secret
            for _ in range(200):
                accounts.resolve_token(secret)
            for _ in range(3):
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(args.calls):
                    principal = accounts.resolve_token(secret)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                assert principal is not None
                per_call = f"CPU {cpu / args.calls * 1e6:.0f} µs, wall {wall / args.calls * 1e6:.0f} µs"
                print(f"resolve_token: {per_call} per call")
        finally:
            engine.dispose()
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
