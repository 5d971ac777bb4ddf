"""Health of the API: ``/api/health`` (liveness, no database) and ``/api/health/ready`` (readiness).

Liveness answers from what the process already knows (version, database dialect, HLA release), so a
monitor polling it costs no database round trip and it stays fast when the API is under load.
Readiness asks the database, but at most once every :data:`READINESS_INTERVAL_S` seconds per worker
process; between checks it answers with the last result and the time it was taken, so a flood of
probes cannot become a flood of database queries.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from engraft.access import Permission
from engraft.api.auth import require

READINESS_INTERVAL_S = 2.0
NO_HLA_RELEASE = "not configured: HLA typings are refused (run `engraft hla install`)"

router = APIRouter(prefix="/api/health", tags=["health"], dependencies=[require(Permission.PUBLIC)])


class Health(BaseModel):
    """What a live API process reports about itself; no database is asked."""

    model_config = ConfigDict(frozen=True)

    status: Literal["ok"] = "ok"
    version: str = Field(description="Engraft version")
    database: str = Field(description="SQLAlchemy dialect of the registry database: sqlite or postgresql")
    hla_release: str = Field(
        description="IPD-IMGT/HLA release that validates stored typings, or why typings are checked for syntax only"
    )


class Readiness(BaseModel):
    """Whether the registry database answered the last check, and when that check ran."""

    status: Literal["ready", "unavailable"]
    database: str
    checked_at: dt.datetime = Field(description="when the database was last asked (UTC)")
    problem: str | None = Field(default=None, description="why the database check failed")


class DatabaseProbe:
    """``SELECT 1`` on the engine, run at most once per ``interval_s``; callers in between share the result.

    Thread-safe: concurrent callers wait for the one check in flight instead of starting their own.
    """

    def __init__(
        self,
        engine: Engine,
        interval_s: float = READINESS_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._last: Readiness | None = None
        self._last_at = 0.0
        self.checks = 0
        """How many times the database was actually asked (for tests and diagnostics)."""

    def readiness(self) -> Readiness:
        with self._lock:
            now = self._clock()
            if self._last is None or now - self._last_at >= self.interval_s:
                self._last = self._check()
                self._last_at = now
            return self._last

    def _check(self) -> Readiness:
        self.checks += 1
        checked_at = dt.datetime.now(dt.UTC)
        dialect = self.engine.dialect.name
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            problem = f"the {dialect} database did not answer ({type(cause).__name__})"
            return Readiness(status="unavailable", database=dialect, checked_at=checked_at, problem=problem)
        return Readiness(status="ready", database=dialect, checked_at=checked_at)


def health_of(engine: Engine, version: str, hla_release: str | None) -> Health:
    return Health(version=version, database=engine.dialect.name, hla_release=hla_release or NO_HLA_RELEASE)


@router.get("")
async def health(request: Request) -> Health:
    """Liveness: the process serves requests. Asks no database (see ``/api/health/ready``)."""
    report: Health = request.app.state.health
    return report


@router.get("/ready", responses={503: {"model": Readiness, "description": "the database did not answer"}})
def ready(request: Request, response: Response) -> Readiness:
    """Readiness: the registry database answers. Checked at most every 2 s per worker process."""
    probe: DatabaseProbe = request.app.state.database_probe
    readiness = probe.readiness()
    if readiness.status != "ready":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return readiness
