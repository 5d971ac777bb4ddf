"""store_results: one transaction per message, never half-written; transfusions; MRN scoping; the hooks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from engraft.registry.errors import InvalidRecord
from engraft.registry.ingest import (
    IncomingObservation,
    IncomingTransfusion,
    MessageKey,
    PatientKey,
    message_already_stored,
    store_results,
)
from engraft.registry.models import AuditEntry, InboundMessage, Observation, Transfusion
from engraft.registry.result_hooks import CommittedResults, ResultHooks
from engraft.registry.service import RegistryService
from engraft.registry.transfusions import patient_transfusions
from engraft.vocabulary import InboundProtocol, TransfusionProduct
from tests.io.feeds import register_patient

AT = dt.datetime(2024, 10, 1, 8, tzinfo=dt.UTC)
MRN = PatientKey(mrn="MRN-100")


def _observation(n: int, patient: PatientKey = MRN, value: float = 0.4, loinc: str = "751-8") -> IncomingObservation:
    return IncomingObservation(n, f"item[{n}]", patient, AT, loinc, value, "10*9/L", "urn:lab", f"obs-{n}")


def _platelets(n: int, at: dt.datetime = AT, patient: PatientKey = MRN) -> IncomingTransfusion:
    return IncomingTransfusion(n, f"item[{n}]", patient, TransfusionProduct.PLATELETS, at, "urn:bank", f"tx-{n}")


def _count(service: RegistryService, model: type[object]) -> int:
    with service.read_snapshot() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _key(control_id: str) -> MessageKey:
    return MessageKey(InboundProtocol.FHIR, "urn:lab:bundles", control_id)


def test_results_and_the_message_key_are_stored_together_with_one_audit_row(service: RegistryService) -> None:
    register_patient(service)
    outcome = store_results(
        service, [_observation(1), _observation(2)], [_platelets(3)], _key("m-1"), hooks=ResultHooks()
    )
    assert (outcome.already_stored, outcome.observations_inserted, outcome.transfusions_inserted) == (False, 2, 1)
    assert message_already_stored(service, _key("m-1"))
    again = store_results(
        service, [_observation(1), _observation(2)], [_platelets(3)], _key("m-1"), hooks=ResultHooks()
    )
    assert again.already_stored and again.committed == ()
    assert (_count(service, Observation), _count(service, Transfusion), _count(service, InboundMessage)) == (2, 1, 1)
    with service.read_snapshot() as session:
        audits = session.execute(
            select(AuditEntry.entity, AuditEntry.changes).where(AuditEntry.action == "bulk insert")
        )
        ((entity, changes),) = audits.all()
    assert entity == "inbound message" and changes["control_id"] == "m-1" and changes["transfusions_inserted"] == 1


def _bulk_entries(service: RegistryService) -> list[tuple[str, int | None, dict[str, object]]]:
    with service.read_snapshot() as session:
        rows = session.execute(
            select(AuditEntry.actor, AuditEntry.entity_id, AuditEntry.changes)
            .where(AuditEntry.action == "bulk insert", AuditEntry.entity == "inbound message")
            .order_by(AuditEntry.id)
        )
        return [(actor, entity_id, dict(changes)) for actor, entity_id, changes in rows]


@pytest.mark.parametrize(
    ("observations", "transfusions", "inserted"),
    [
        pytest.param([_observation(1), _observation(5)], [], 1, id="one-result-already-stored"),
        pytest.param([_observation(1)], [], 0, id="every-result-already-stored"),
        pytest.param([], [_platelets(6)], 0, id="transfusions-only"),
    ],
)
def test_the_audit_entry_counts_only_the_results_the_message_inserted(
    service: RegistryService,
    observations: list[IncomingObservation],
    transfusions: list[IncomingTransfusion],
    inserted: int,
) -> None:
    """The entry is written with the results (on PostgreSQL in the same statement) and names what was new."""
    register_patient(service)
    store_results(service, [_observation(1)], [], _key("first"), hooks=ResultHooks())
    store_results(service, observations, transfusions, _key("second"), hooks=ResultHooks())
    with service.read_snapshot() as session:
        message_id = session.scalar(select(InboundMessage.id).where(InboundMessage.control_id == "second"))
    assert _bulk_entries(service)[-1] == (
        "test",
        message_id,
        {
            "protocol": "fhir",
            "observations_received": len(observations),
            "observations_inserted": inserted,
            "transfusions_received": len(transfusions),
            "transfusions_inserted": len(transfusions),
            "sender": "urn:lab:bundles",
            "control_id": "second",
        },
    )
    assert len(_bulk_entries(service)) == 2


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(("mrn", "mrn"), id="by-mrn"),
        pytest.param(("id", "id"), id="by-engraft-id"),
        pytest.param(("mrn", "id"), id="by-both-kinds-of-key"),
    ],
)
@pytest.mark.parametrize("centre", [pytest.param("C1", id="centre"), pytest.param(None, id="no-centre")])
def test_each_result_goes_to_the_patient_its_key_names(
    service: RegistryService, keys: tuple[str, str], centre: str | None
) -> None:
    """The patients are resolved with the message's key (PostgreSQL: in the claim's statement when one kind of
    key names them all; both kinds: one look-up per kind), each result stored for its own patient."""
    ids = [register_patient(service, mrn="MRN-A"), register_patient(service, mrn="MRN-B")]
    named = [
        PatientKey(mrn=mrn) if kind == "mrn" else PatientKey(engraft_id=pid)
        for kind, mrn, pid in zip(keys, ("MRN-A", "MRN-B"), ids, strict=True)
    ]
    results = [_observation(1, named[0]), _observation(2, named[1])]
    outcome = store_results(service, results, [], _key("two-patients"), centre=centre, hooks=ResultHooks())
    assert outcome.observations_inserted == 2
    with service.read_snapshot() as session:
        stored = dict(session.execute(select(Observation.source_id, Observation.patient_id)).tuples().all())
    assert stored == {"obs-1": ids[0], "obs-2": ids[1]}


def test_a_message_refused_after_its_insert_leaves_no_audit_entry(service: RegistryService) -> None:
    """A result re-sent with other content is refused after the insert statement (which on PostgreSQL wrote the
    entry too): the whole transaction rolls back, entry and message key included."""
    register_patient(service)
    store_results(service, [_observation(1)], [], _key("first"), hooks=ResultHooks())
    with pytest.raises(InvalidRecord):
        store_results(service, [_observation(2), _observation(1, value=0.9)], [], _key("changed"), hooks=ResultHooks())
    assert len(_bulk_entries(service)) == 1
    assert not message_already_stored(service, _key("changed"))
    assert _count(service, Observation) == 1


@pytest.mark.parametrize(
    ("observations", "transfusions", "field"),
    [
        pytest.param([_observation(1), _observation(2, value=-1)], [_platelets(3)], "item[2] value", id="bad-value"),
        pytest.param(
            [_observation(1)], [_platelets(2, at=dt.datetime(2024, 10, 1, 8))], "item[2] time", id="zone-less-time"
        ),
        pytest.param(
            [_observation(1)], [_platelets(2, at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))], "item[2] time", id="future"
        ),
        pytest.param([_observation(1, PatientKey(mrn="nobody"))], [_platelets(2)], "item[1] patient", id="stranger"),
        pytest.param([_observation(1, PatientKey(engraft_id=99999))], [], "item[1] patient", id="unknown-engraft-id"),
    ],
)
def test_any_bad_item_refuses_the_whole_message(
    service: RegistryService,
    observations: list[IncomingObservation],
    transfusions: list[IncomingTransfusion],
    field: str,
) -> None:
    register_patient(service)
    with pytest.raises(InvalidRecord) as refused:
        store_results(service, observations, transfusions, _key("bad"), hooks=ResultHooks())
    assert [p.field for p in refused.value.problems] == [field]
    assert (_count(service, Observation), _count(service, Transfusion), _count(service, InboundMessage)) == (0, 0, 0)


def test_a_transfusion_identifier_reused_for_other_content_is_refused(service: RegistryService) -> None:
    register_patient(service)
    store_results(service, [], [_platelets(1)], hooks=ResultHooks())
    changed = IncomingTransfusion(1, "item[1]", MRN, TransfusionProduct.RED_CELLS, AT, "urn:bank", "tx-1")
    with pytest.raises(InvalidRecord, match="already stored under that identifier"):
        store_results(service, [_observation(2)], [changed], hooks=ResultHooks())
    assert (_count(service, Observation), _count(service, Transfusion)) == (0, 1)
    assert store_results(service, [], [_platelets(1)], hooks=ResultHooks()).transfusions_inserted == 0


def test_an_mrn_used_at_two_centres_needs_the_feeds_centre(service: RegistryService) -> None:
    first = register_patient(service, mrn="SHARED-1", centre="C1")
    register_patient(service, mrn="SHARED-1", centre="C2")
    shared = PatientKey(mrn="SHARED-1")
    with pytest.raises(InvalidRecord, match="several centres"):
        store_results(service, [_observation(1, shared)], hooks=ResultHooks())
    outcome = store_results(service, [_observation(1, shared)], centre="C1", hooks=ResultHooks())
    assert [c.patient_id for c in outcome.committed] == [first]


def test_hooks_run_after_the_commit_once_per_patient_and_a_failing_listener_harms_no_other(
    service: RegistryService,
) -> None:
    first = register_patient(service, mrn="MRN-100")
    second = register_patient(service, mrn="MRN-200")
    hooks = ResultHooks()
    seen: list[tuple[CommittedResults, int]] = []

    def broken(_results: CommittedResults) -> None:
        raise RuntimeError("a listener's own bug")

    def visible_to_others(results: CommittedResults) -> None:
        with service.read_snapshot() as session:  # another session sees the rows: they are committed
            count = session.scalar(select(func.count()).where(Observation.id.in_(results.observation_ids)))
        seen.append((results, int(count or 0)))

    hooks.register(broken)
    unregister = hooks.register(visible_to_others)
    items = [_observation(1), _observation(2, PatientKey(mrn="MRN-200")), _observation(3)]
    store_results(service, items, [_platelets(4)], _key("h-1"), hooks=hooks)
    assert [(r.patient_id, len(r.observation_ids), len(r.transfusion_ids), n) for r, n in seen] == [
        (first, 2, 1, 2),
        (second, 1, 0, 1),
    ]
    unregister()
    store_results(service, [_observation(5)], [], _key("h-2"), hooks=hooks)
    assert len(seen) == 2


def test_a_patients_platelet_transfusions_are_read_oldest_first(service: RegistryService) -> None:
    patient = register_patient(service)
    later, earlier = AT + dt.timedelta(days=3), AT - dt.timedelta(days=2)
    red = IncomingTransfusion(3, "item[3]", MRN, TransfusionProduct.RED_CELLS, AT, "urn:bank", "tx-red")
    store_results(service, [], [_platelets(1, later), _platelets(2, earlier), red], hooks=ResultHooks())
    platelets = patient_transfusions(service, patient, TransfusionProduct.PLATELETS)
    assert [(t.patient_id, t.administered_at) for t in platelets] == [(patient, earlier), (patient, later)]
    assert [t.product for t in patient_transfusions(service, patient, since=AT)] == [
        TransfusionProduct.RED_CELLS,
        TransfusionProduct.PLATELETS,
    ]
