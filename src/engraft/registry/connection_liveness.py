"""Checking a pooled PostgreSQL connection is alive only when it has been idle, not at every check-out.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` at every check-out: one more database round trip for every
unit of work. Under a result feed's load that is one round trip in every evaluation, every stored message and
every request's token check, waited for while the other threads of the process hold the interpreter lock.
A connection that was in use a moment ago is alive unless the server went away within that moment, so
:func:`ping_after_idle` pings only a connection idle for at least :data:`IDLE_PING_SECONDS` (as the pre-ping
did: a connection found dead is discarded and the check-out takes a fresh one, the caller never sees it).

What it gives up: a connection returned less than that long ago, whose server restarted or whose backend was
ended in between, fails at its first statement. SQLAlchemy then recognises the disconnection and discards the
pool's connections; that one unit of work fails and is refused as such (an API request answered 503, an HL7
message negatively acknowledged for its sender to send again), and nothing is half-written, since its
transaction never committed.
"""

from __future__ import annotations

import time
from typing import Any, Final

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

IDLE_PING_SECONDS: Final = 1.0
"""A connection idle at least this long is pinged before it is handed out."""
_IDLE_SINCE: Final = "engraft_idle_since"


def ping_after_idle(engine: Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Ping ``engine``'s pooled connections at check-out once idle ``idle_seconds`` or more (instead of
    ``pool_pre_ping``'s every check-out); a dead one is replaced by a fresh connection."""
    dialect = engine.dialect

    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def handed_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # just connected, or in use a moment ago
        if not dialect._do_ping_w_event(dbapi_connection):  # SQLAlchemy's own pre-ping step
            raise DisconnectionError("the pooled connection was found closed; the pool connects again")

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", handed_out)
