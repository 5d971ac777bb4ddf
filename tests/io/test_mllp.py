"""A real MLLP round trip over TCP: ORU^R01 messages in, ACKs out only after the results are committed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from sqlalchemy import func, select

from engraft.io.mllp import END_BLOCK, START_BLOCK, ListenerSettings, MllpClient, MllpListener
from engraft.registry.ingest import MessageKey, message_already_stored
from engraft.registry.models import AuditEntry, InboundMessage, Observation
from engraft.registry.result_hooks import CommittedResults, ResultHooks
from engraft.registry.service import RegistryService
from engraft.vocabulary import InboundProtocol
from tests.io.feeds import obx, oru, register_patient

T = TypeVar("T")
Session = Callable[[MllpClient], Awaitable[T]]


def _with_listener(
    service: RegistryService, session: Callable[[str, int], Awaitable[T]], hooks: ResultHooks | None = None
) -> T:
    """Run ``session(host, port)`` against a listener on a free loopback port, then stop the listener."""

    async def main() -> T:
        listener = MllpListener(service, ListenerSettings(centre="C1"), hooks or ResultHooks())
        host, port = await listener.start("127.0.0.1", 0)
        try:
            return await session(host, port)
        finally:
            await listener.close()

    return asyncio.run(main())


def _segments(ack: str) -> dict[str, list[str]]:
    return {line.split("|")[0]: line.split("|") for line in ack.split("\r") if line}


def _count(service: RegistryService, model: type[Observation] | type[InboundMessage]) -> int:
    with service.read_snapshot() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def _exchange_all(host: str, port: int, messages: list[str]) -> list[str]:
    client = await MllpClient.connect(host, port)
    try:
        return [await client.exchange(message) for message in messages]
    finally:
        await client.close()


def test_each_message_is_acknowledged_aa_with_its_control_id_after_its_results_are_stored(
    service: RegistryService,
) -> None:
    register_patient(service)
    first = oru("MSG-1", obx(1, "751-8", "0.4", "x10E9/L"), obx(2, "777-3", "18", "10*9/L"))
    second = oru("MSG-2", obx(1, "14631-6", "35", "umol/L"), filler="F-2")
    acks = _with_listener(service, lambda h, p: _exchange_all(h, p, [first, second]))
    msa = [_segments(a)["MSA"] for a in acks]
    assert [(m[1], m[2]) for m in msa] == [("AA", "MSG-1"), ("AA", "MSG-2")]
    assert _segments(acks[0])["MSH"][8] == "ACK^R01^ACK"
    with service.read_snapshot() as session:
        rows = session.execute(select(Observation.loinc, Observation.unit, Observation.value_canonical)).all()
    assert sorted(rows) == [("14631-6", "umol/L", 35.0), ("751-8", "10*9/L", 0.4), ("777-3", "10*9/L", 18.0)]
    assert _count(service, InboundMessage) == 2


def test_a_message_cut_off_before_its_ack_is_stored_once_when_sent_again(service: RegistryService) -> None:
    register_patient(service)
    message = oru("MSG-CUT", obx(1), obx(2, "777-3", "25"))
    key = MessageKey(InboundProtocol.HL7V2, "LABSYS^HOSP", "MSG-CUT")

    async def session(host: str, port: int) -> str:
        _reader, writer = await asyncio.open_connection(host, port)
        writer.write(START_BLOCK + message.encode() + END_BLOCK)
        await writer.drain()
        writer.close()  # the sender goes away before the listener can answer
        await writer.wait_closed()
        deadline = time.monotonic() + 60
        while not await asyncio.to_thread(message_already_stored, service, key):
            assert time.monotonic() < deadline, "the listener never stored the message"
            await asyncio.sleep(0.05)
        (ack,) = await _exchange_all(host, port, [message])
        return ack

    ack = _with_listener(service, session)
    assert _segments(ack)["MSA"][1:3] == ["AA", "MSG-CUT"]
    assert "already stored" in _segments(ack)["MSA"][3]
    assert _count(service, Observation) == 2
    assert _count(service, InboundMessage) == 1


def test_a_duplicate_control_id_is_acknowledged_and_not_stored_twice(service: RegistryService) -> None:
    register_patient(service)
    message = oru("MSG-DUP", obx(1))
    acks = _with_listener(service, lambda h, p: _exchange_all(h, p, [message, message]))
    assert [_segments(a)["MSA"][1] for a in acks] == ["AA", "AA"]
    assert _count(service, Observation) == 1
    with service.read_snapshot() as session:
        audits = session.execute(
            select(AuditEntry.actor, AuditEntry.client_address, AuditEntry.entity).where(
                AuditEntry.action == "bulk insert"
            )
        ).all()
    assert audits == [("mllp-listener", "127.0.0.1", "inbound message")]


@pytest.mark.parametrize(
    ("message", "location", "says"),
    [
        pytest.param(
            oru("BAD-1", header="MSH|^~\\&|LABSYS|HOSP|ENGRAFT|TXU|20241001120000+0000||ADT^A01|BAD-1|P|2.5.1"),
            "MSH^1^9",
            "not a result message",
            id="not-a-result-message",
        ),
        pytest.param(
            oru("BAD-2", header="MSH|^~\\&|LABSYS|HOSP|ENGRAFT|TXU|20241001120000+0000||ORU^R01|||2.5.1"),
            "MSH^1^10",
            "control id",
            id="no-control-id",
        ),
        pytest.param(oru("BAD-3", pid="PID|1||||Example^Ann"), "PID^1^3", "medical record number", id="no-mrn"),
        pytest.param(oru("BAD-4", obx(1, code="")), "OBX^1^3", "OBX-3", id="no-observation-identifier"),
        pytest.param("this is not HL7 at all", "MSH^1^1", "not an HL7 v2 message", id="not-hl7"),
    ],
)
def test_a_malformed_message_gets_an_ar_naming_segment_and_field(
    service: RegistryService, message: str, location: str, says: str
) -> None:
    register_patient(service)
    (ack,) = _with_listener(service, lambda h, p: _exchange_all(h, p, [message]))
    segments = _segments(ack)
    assert segments["MSA"][1] == "AR"
    assert says in segments["MSA"][3]
    assert segments["ERR"][2] == location
    assert _count(service, Observation) == 0
    assert _count(service, InboundMessage) == 0


@pytest.mark.parametrize(
    ("bad", "location", "says"),
    [
        pytest.param(obx(2, code="99999-9"), "OBX^2^3", "99999-9", id="unknown-loinc"),
        pytest.param(obx(2, code="HGB", system="L"), "OBX^2^3", "local code table", id="unknown-local-code"),
        pytest.param(obx(2, unit="G/L"), "OBX^2^6", "G/L", id="unknown-unit"),
        pytest.param(obx(2, unit="mg/dL"), "OBX^2^6", "does not fit", id="unit-of-another-dimension"),
        pytest.param(obx(2, value="<0.1"), "OBX^2^5", "decimal number", id="value-with-comparator"),
        pytest.param(obx(2, time="202410011145"), "OBX^2^14", "zone", id="time-without-zone"),
        pytest.param(obx(2, value="-1"), "OBX^2^5", "canonical unit", id="impossible-value"),
        pytest.param(obx(2, time="29990101000000+0000"), "OBX^2^14", "future", id="time-in-the-future"),
    ],
)
def test_content_that_cannot_be_stored_gets_an_ae_and_nothing_of_the_message_is_stored(
    service: RegistryService, bad: str, location: str, says: str
) -> None:
    register_patient(service)
    (ack,) = _with_listener(service, lambda h, p: _exchange_all(h, p, [oru("AE-1", obx(1), bad)]))
    segments = _segments(ack)
    assert segments["MSA"][1] == "AE"
    assert says in segments["MSA"][3]
    assert segments["ERR"][2] == location
    assert _count(service, Observation) == 0


def test_an_unknown_patient_gets_an_ae_naming_pid_3(service: RegistryService) -> None:
    register_patient(service, mrn="MRN-100")
    (ack,) = _with_listener(service, lambda h, p: _exchange_all(h, p, [oru("AE-P", mrn="MRN-404")]))
    segments = _segments(ack)
    assert segments["MSA"][1] == "AE" and "MRN-404" in segments["MSA"][3]
    assert segments["ERR"][2] == "PID^1^3"
    assert _count(service, Observation) == 0 and _count(service, InboundMessage) == 0


def test_the_hook_receives_the_committed_observation_ids_once(service: RegistryService) -> None:
    patient = register_patient(service)
    hooks = ResultHooks()
    received: list[CommittedResults] = []
    hooks.register(received.append)
    message = oru("HOOK-1", obx(1), obx(2, "777-3", "25"))
    acks = _with_listener(service, lambda h, p: _exchange_all(h, p, [message, message]), hooks)
    assert [_segments(a)["MSA"][1] for a in acks] == ["AA", "AA"]
    with service.read_snapshot() as session:
        stored = tuple(sorted(session.scalars(select(Observation.id))))
    assert [(r.patient_id, r.episode_id, r.observation_ids, r.protocol) for r in received] == [
        (patient, None, stored, InboundProtocol.HL7V2)
    ]


def test_a_result_resent_in_a_new_message_is_stored_once(service: RegistryService) -> None:
    """Same filler order, code and sub-id under a new control id: the result is the same, the message new."""
    register_patient(service)
    acks = _with_listener(service, lambda h, p: _exchange_all(h, p, [oru("NEW-1", obx(1)), oru("NEW-2", obx(1))]))
    assert [_segments(a)["MSA"][1] for a in acks] == ["AA", "AA"]
    assert "0 result(s), 1 already present" in _segments(acks[1])["MSA"][3]
    assert _count(service, Observation) == 1 and _count(service, InboundMessage) == 2


def test_a_control_id_reused_for_other_results_gets_an_ae_and_stores_nothing(service: RegistryService) -> None:
    register_patient(service)
    first, other = oru("REUSED", obx(1, value="0.4")), oru("REUSED", obx(1, value="0.9"), filler="F-9")
    acks = _with_listener(service, lambda h, p: _exchange_all(h, p, [first, other]))
    assert [_segments(a)["MSA"][1] for a in acks] == ["AA", "AE"]
    assert _segments(acks[1])["ERR"][2:4] == ["MSH^1^10", "205"]
    assert _count(service, Observation) == 1
