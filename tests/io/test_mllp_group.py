"""Group commit in the MLLP listener: messages ready on several connections stored in one transaction, each
acknowledged only after that commit; a group with a message that cannot be stored is stored message by message."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

import pytest
from sqlalchemy import Engine, event, func, select

from engraft.io.mllp import ListenerSettings, MllpClient, MllpListener
from engraft.registry.audit import Actor
from engraft.registry.database import make_engine
from engraft.registry.errors import InvalidRecord
from engraft.registry.ingest import IncomingObservation, MessageKey, PatientKey
from engraft.registry.ingest_group import FeedMessage, GroupCommitter, store_group
from engraft.registry.models import AuditEntry, InboundMessage, Observation
from engraft.registry.result_hooks import CommittedResults, ResultHooks
from engraft.registry.service import RegistryService
from engraft.vocabulary import InboundProtocol
from tests.io.feeds import obx, oru, register_patient


def _segments(ack: str) -> dict[str, list[str]]:
    return {line.split("|")[0]: line.split("|") for line in ack.split("\r") if line}


def _feed(control_id: str, mrn: str, source_id: str, address: str, value: float = 0.4) -> FeedMessage:
    at = dt.datetime(2024, 10, 1, 11, 45, tzinfo=dt.UTC)
    observation = IncomingObservation(1, "OBX[1]", PatientKey(mrn=mrn), at, "751-8", value, "10*9/L", "LAB", source_id)
    key = MessageKey(InboundProtocol.HL7V2, "LAB^HOSP", control_id)
    return FeedMessage([observation], key, Actor("feed", client_address=address))


def test_a_group_is_stored_in_one_transaction_each_message_audited_under_its_own_sender(
    service: RegistryService, engine: Engine
) -> None:
    register_patient(service, mrn="MRN-1")
    register_patient(service, mrn="MRN-2")
    commits: list[int] = []
    event.listen(engine, "commit", lambda _conn: commits.append(1))
    hooks = ResultHooks()
    heard: list[CommittedResults] = []
    hooks.register(heard.append)
    group = [
        _feed("G-1", "MRN-1", "r1", "10.0.0.1"),
        _feed("G-2", "MRN-2", "r2", "10.0.0.2"),
        _feed("G-1", "MRN-1", "r1", "10.0.0.1"),  # the same message re-sent in the same group: stored once
    ]
    outcomes = store_group(service, group, centre="C1", hooks=hooks)
    assert len(commits) == 1
    assert [(o.already_stored, o.observations_inserted) for o in outcomes] == [(False, 1), (False, 1), (True, 0)]
    with service.read_snapshot() as session:
        audits = session.execute(
            select(AuditEntry.client_address, AuditEntry.entity_id).where(AuditEntry.entity == "inbound message")
        ).all()
        messages = dict(session.execute(select(InboundMessage.control_id, InboundMessage.id)).tuples().all())
        assert session.scalar(select(func.count()).select_from(Observation)) == 2
    assert sorted(audits) == [("10.0.0.1", messages["G-1"]), ("10.0.0.2", messages["G-2"])]
    assert sorted(len(c.observation_ids) for c in heard) == [1, 1]


def test_a_group_with_a_message_that_cannot_be_stored_stores_nothing(service: RegistryService) -> None:
    register_patient(service, mrn="MRN-1")
    hooks = ResultHooks()
    heard: list[CommittedResults] = []
    hooks.register(heard.append)
    group = [_feed("G-1", "MRN-1", "r1", "10.0.0.1"), _feed("G-2", "MRN-404", "r2", "10.0.0.2")]
    with pytest.raises(InvalidRecord):
        store_group(service, group, centre="C1", hooks=hooks)
    with service.read_snapshot() as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 0
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
    assert heard == []


def _store_concurrently(
    committer: GroupCommitter, engine: Engine, first: FeedMessage, others: list[FeedMessage]
) -> tuple[list[object], int]:
    """``first`` stored alone; its COMMIT held back until ``others`` (stored from threads of their own) all wait, so
    they form the next group. What each thread got (an outcome or the exception), and the COMMITs sent."""
    commits: list[int] = []
    pause, holding = threading.Event(), threading.Event()

    def hold(_conn: object) -> None:
        if not commits:
            holding.set()
            for _ in range(1200):
                if committer.waiting == len(others):
                    break
                pause.wait(0.05)
        commits.append(1)

    event.listen(engine, "commit", hold)
    got: list[object] = [None] * (len(others) + 1)

    def store(k: int, item: FeedMessage) -> None:
        try:
            got[k] = committer.store(item)
        except Exception as exc:
            got[k] = exc

    threads = [threading.Thread(target=store, args=(0, first))]
    threads[0].start()
    assert holding.wait(60)  # the first message's transaction is committing: its thread leads
    threads += [threading.Thread(target=store, args=(k + 1, item)) for k, item in enumerate(others)]
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    event.remove(engine, "commit", hold)
    return got, len(commits)


def test_messages_waiting_while_one_is_stored_are_committed_together(service: RegistryService, engine: Engine) -> None:
    for k in range(4):
        register_patient(service, mrn=f"MRN-{k}")
    committer = GroupCommitter(service, "C1", ResultHooks(), leaders=1)
    first = _feed("M-0", "MRN-0", "r0", "10.0.0.1")
    others = [_feed(f"M-{k}", f"MRN-{k}", f"r{k}", f"10.0.0.{k + 1}") for k in range(1, 4)]
    got, commits = _store_concurrently(committer, engine, first, others)
    assert [getattr(o, "observations_inserted", o) for o in got] == [1, 1, 1, 1]
    assert (commits, committer.groups) == (2, 1)  # the first alone, then the three in one transaction
    with service.read_snapshot() as session:
        audited = session.scalars(select(AuditEntry.client_address).where(AuditEntry.entity == "inbound message"))
        assert sorted(audited) == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]


def test_a_group_with_a_refused_message_answers_each_on_its_own(service: RegistryService, engine: Engine) -> None:
    for k in range(3):
        register_patient(service, mrn=f"MRN-{k}")
    committer = GroupCommitter(service, "C1", ResultHooks(), leaders=1)
    first = _feed("M-0", "MRN-0", "r0", "10.0.0.1")
    others = [
        _feed("M-1", "MRN-1", "r1", "10.0.0.2"),
        _feed("M-404", "MRN-404", "r404", "10.0.0.3"),
        _feed("M-2", "MRN-2", "r2", "10.0.0.4"),
    ]
    got, _commits = _store_concurrently(committer, engine, first, others)
    assert [type(o).__name__ for o in got] == ["IngestOutcome", "IngestOutcome", "InvalidRecord", "IngestOutcome"]
    assert committer.groups == 0
    with service.read_snapshot() as session:
        assert sorted(session.scalars(select(InboundMessage.control_id))) == ["M-0", "M-1", "M-2"]


def test_every_ack_of_concurrent_connections_comes_after_its_results_are_committed(
    service: RegistryService, engine: Engine, migrated_database_url: str
) -> None:
    """Six connections send at once; each sender, on reading its AA, finds the message and its results committed
    (read on a connection of its own), so no ACK of a group left before the group's commit. Each COMMIT is held
    back a little (an engine event before it is sent), so an ACK sent before its commit would be seen."""
    for k in range(6):
        register_patient(service, mrn=f"MRN-{k}")
    event.listen(engine, "commit", lambda _conn: time.sleep(0.05))
    reader = make_engine(migrated_database_url)

    def committed(control_id: str) -> int:
        with reader.connect() as connection:
            stored = connection.scalar(
                select(InboundMessage.observations).where(InboundMessage.control_id == control_id)
            )
            return int(stored or 0)

    async def sender(host: str, port: int, k: int) -> list[tuple[str, int]]:
        client = await MllpClient.connect(host, port)
        seen = []
        try:
            for n in range(5):
                control_id = f"C{k}-{n}"
                message = oru(
                    control_id, obx(1, value=f"0.{n + 1}"), obx(2, "777-3", "20"), mrn=f"MRN-{k}", filler=f"F-{k}-{n}"
                )
                ack = await client.exchange(message)
                seen.append((_segments(ack)["MSA"][1], await asyncio.to_thread(committed, control_id)))
        finally:
            await client.close()
        return seen

    async def main() -> list[list[tuple[str, int]]]:
        listener = MllpListener(service, ListenerSettings(centre="C1"), ResultHooks())
        host, port = await listener.start("127.0.0.1", 0)
        try:
            return await asyncio.gather(*(sender(host, port, k) for k in range(6)))
        finally:
            await listener.close()

    try:
        answers = asyncio.run(main())
    finally:
        reader.dispose()
    assert [pair for lane in answers for pair in lane] == [("AA", 2)] * 30
