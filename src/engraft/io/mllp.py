"""An MLLP listener for HL7 v2 ORU^R01 lab feeds: results committed first, acknowledged after.

MLLP frames each message as ``0x0B <message> 0x1C 0x0D`` on a TCP connection. For each frame the listener
reads the message (:mod:`engraft.io.hl7_oru`), stores its results in one registry transaction
(:func:`engraft.registry.ingest.store_results`, which also records the message control id and an audit
entry) and only then answers:

- **AA** once the results are committed, or when the message (same MSH-10, MSH-3 and MSH-4) was committed
  before: a sender whose connection was cut before it read the ACK re-sends, and the message is stored once;
- **AE** when the content cannot be stored (unknown code, unit or patient; ERR names segment and field);
- **AR** when the message is malformed, or the registry could not take it now (the sender should retry).

Messages on one connection are handled in order, one at a time; connections are handled concurrently. The
registry work runs in a worker thread so the event loop keeps reading other connections. Messages that several
connections have ready at the same moment are stored in one transaction (group commit,
:class:`engraft.registry.ingest_group.GroupCommitter`), each acknowledged only after that transaction committed;
a group that cannot be stored whole is stored message by message, so each sender gets its own answer. Every
write is audited as the listener's actor (:attr:`ListenerSettings.actor`) with the sending system's address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.exc import SQLAlchemyError

from engraft.io.hl7_ack import AckCode, ErrorCode, ErrorLocation, MessageHeader, build_ack
from engraft.io.hl7_oru import Hl7Settings, MalformedMessage, OruResults, read_oru
from engraft.registry.audit import Actor
from engraft.registry.errors import DuplicateRecord, InvalidRecord, Problem, RegistryError
from engraft.registry.ingest import message_already_stored
from engraft.registry.ingest_group import FeedMessage, GroupCommitter
from engraft.registry.result_hooks import RESULT_HOOKS, ResultHooks
from engraft.registry.service import RegistryService

START_BLOCK: Final = b"\x0b"
END_BLOCK: Final = b"\x1c\x0d"
MAX_MESSAGE_BYTES: Final = 4 * 1024 * 1024
DEFAULT_ACTOR: Final = "mllp-listener"
logger = logging.getLogger(__name__)

_FIELD_OF_PROBLEM: Final = {"value": 5, "unit": 6, "observed_at": 14, "loinc": 3, "source_id": 3, "episode_id": 3}


@dataclass(frozen=True, slots=True)
class ListenerSettings:
    """What the listener stores as: its actor name in the audit log, the feed's centre and HL7 conventions."""

    actor: str = DEFAULT_ACTOR
    centre: str | None = None
    """Centre code that scopes the feed's medical record numbers (PID-3)."""
    hl7: Hl7Settings = field(default_factory=Hl7Settings)


def frame(message: str) -> bytes:
    """``message`` in an MLLP block."""
    return START_BLOCK + message.encode() + END_BLOCK


class MllpListener:
    """Accepts MLLP connections and answers every ORU^R01 with an ACK after its results are committed."""

    def __init__(
        self,
        registry: RegistryService,
        settings: ListenerSettings = ListenerSettings(),
        hooks: ResultHooks = RESULT_HOOKS,
    ) -> None:
        self.registry = registry
        self.settings = settings
        self.hooks = hooks
        self.committer = GroupCommitter(registry, settings.centre, hooks)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Listen on ``host:port`` (0: a free port); the address actually bound."""
        self._server = await asyncio.start_server(self._accept, host, port, limit=MAX_MESSAGE_BYTES)
        bound = self._server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def serve_forever(self) -> None:
        if self._server is None:
            raise RuntimeError("start() the listener first")
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        """Stop accepting, let messages being stored finish, close connections."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else None
        try:
            while True:
                payload = await read_frame(reader)
                if payload is None:
                    break
                ack = await asyncio.to_thread(self.handle, payload, address)
                writer.write(frame(ack))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            logger.info("MLLP connection from %s ended: %s", address, exc)
        except asyncio.CancelledError:
            # the listener is closing: end quietly (a message being stored finishes in its thread, unacknowledged)
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def handle(self, payload: bytes, client_address: str | None = None) -> str:
        """The ACK for one message, after storing its results (synchronous: runs in a worker thread)."""
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            header = MessageHeader.best_effort(payload.decode("latin-1"))
            reason = "the message is not UTF-8 text"
            return build_ack(
                header, AckCode.REJECT, reason, error=ErrorCode.DATA_TYPE, location=ErrorLocation("MSH", 1, 18)
            )
        try:
            results = read_oru(text, self.settings.hl7)
        except MalformedMessage as exc:
            header = MessageHeader.best_effort(text)
            return build_ack(header, AckCode.REJECT, str(exc), error=exc.error, location=exc.location)
        except Exception as exc:  # python-hl7 on input no rule above foresaw: still an answer, never silence
            logger.warning("MLLP message could not be read: %r", exc)
            header = MessageHeader.best_effort(text)
            reason = f"the message could not be read as HL7 v2 ({type(exc).__name__})"
            return build_ack(
                header, AckCode.REJECT, reason, error=ErrorCode.SEGMENT_SEQUENCE, location=ErrorLocation("MSH", 1, 1)
            )
        if results.problems:
            location, error, _problem = results.problems[0]
            reason = _describe([p for _, _, p in results.problems], len(results.problems))
            return build_ack(results.header, AckCode.ERROR, reason, error=error, location=location)
        return self._store(results, client_address)

    def _store(self, results: OruResults, client_address: str | None) -> str:
        header = results.header
        actor = Actor(name=self.settings.actor, client_address=client_address)
        try:
            outcome = self.committer.store(FeedMessage(results.observations, results.key, actor))
        except InvalidRecord as exc:
            location, error = _location(exc.problems[0])
            return build_ack(
                header, AckCode.ERROR, _describe(exc.problems, len(exc.problems)), error=error, location=location
            )
        except DuplicateRecord:
            # the same message committed by a concurrent connection between our look-up and our insert
            if message_already_stored(self.registry, results.key):
                return build_ack(header, AckCode.ACCEPT, "message already stored")
            return _retry(header, "a concurrent write clashed with this message")
        except (RegistryError, SQLAlchemyError) as exc:
            logger.warning("MLLP message %s not stored: %s", header.control_id, exc)
            return _retry(header, str(exc))
        except Exception as exc:  # a fault of ours: nothing was committed, the sender may retry
            logger.exception("MLLP message %s not stored", header.control_id)
            return _retry(header, type(exc).__name__)
        if outcome.already_stored:
            return build_ack(header, AckCode.ACCEPT, "message already stored (re-send): nothing new written")
        text = (
            f"stored {outcome.observations_inserted} result(s), "
            f"{outcome.observations_received - outcome.observations_inserted} already present"
        )
        if results.not_final:
            text += f"; {results.not_final} OBX not final or corrected (OBX-11), not stored"
        return build_ack(header, AckCode.ACCEPT, text)


def _retry(header: MessageHeader, reason: str) -> str:
    text = f"the registry could not store the message now ({reason}); nothing was stored: send it again"
    return build_ack(header, AckCode.REJECT, text, error=ErrorCode.INTERNAL_ERROR, location=ErrorLocation("MSH", 1, 10))


def _describe(problems: list[Problem], total: int) -> str:
    shown = "; ".join(f"{p.field} {p.value!r}: expected {p.expected}" for p in problems[:3])
    more = f" (and {total - 3} more)" if total > 3 else ""
    return f"nothing stored: {shown}{more}"


def _location(problem: Problem) -> tuple[ErrorLocation, ErrorCode]:
    """Where in the message a registry problem lies (its field reads ``OBX[n] <field>``)."""
    label, _, name = problem.field.partition(" ")
    sequence = problem.row or 1
    if problem.field == "control_id":
        return ErrorLocation("MSH", 1, 10), ErrorCode.DUPLICATE_KEY
    if name == "patient":
        return ErrorLocation("PID", 1, 3), ErrorCode.UNKNOWN_KEY
    if label.startswith("OBX"):
        return ErrorLocation("OBX", sequence, _FIELD_OF_PROBLEM.get(name, 5)), ErrorCode.DATA_TYPE
    return ErrorLocation("MSH", 1, 10), ErrorCode.INTERNAL_ERROR


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """The next MLLP block's content; ``None`` at a clean end of the connection."""
    while True:
        first = await reader.read(1)
        if not first:
            return None
        if first == START_BLOCK:
            break
        if first not in b"\r\n\x1c":
            raise ValueError(f"data outside an MLLP block (byte {first!r})")
    data = await reader.readuntil(END_BLOCK)
    return data[: -len(END_BLOCK)]


class MllpClient:
    """A sending system's side: one connection, each message answered by its ACK (for tests and replays)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def connect(cls, host: str, port: int) -> MllpClient:
        reader, writer = await asyncio.open_connection(host, port, limit=MAX_MESSAGE_BYTES)
        return cls(reader, writer)

    async def send(self, message: str) -> None:
        self._writer.write(frame(message))
        await self._writer.drain()

    async def receive(self) -> str:
        payload = await read_frame(self._reader)
        if payload is None:
            raise ConnectionError("the listener closed the connection before acknowledging")
        return payload.decode("utf-8")

    async def exchange(self, message: str) -> str:
        """Send ``message`` and wait for its ACK."""
        await self.send(message)
        return await self.receive()

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()
