"""The patient list query: phase boundaries, filters, search, sorting, paging and its audit, on both databases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, literal, select

from engraft.outcomes.activity import INDICATION_RULES, disease_group
from engraft.registry.audit import AuditAction
from engraft.registry.errors import InvalidRecord
from engraft.registry.models import AuditEntry
from engraft.registry.patient_list import centre_codes, list_patients_for, read_patient_list
from engraft.registry.patient_list_query import DISEASE_GROUPS, CarePhase, PatientListQuery, PatientSort, care_phase
from engraft.registry.patient_list_statements import disease_group_condition
from engraft.registry.schemas.clinical import EventIn
from engraft.registry.schemas.episode import EpisodeIn
from engraft.registry.schemas.patient import ICD10_PATTERN, CentreIn, DiagnosisIn, IdentityIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import CellTherapy, EventSource, EventType, GraftSource, Sex, TransplantType

AS_OF = dt.date.today() - dt.timedelta(days=10)
EXTRA = 23


@dataclass(frozen=True)
class Cohort:
    ids: dict[str, int]
    service: RegistryService
    engine: Engine


def _patient(
    service: RegistryService,
    mrn: str,
    given: str,
    family: str,
    centre: str,
    icd10: str | None = None,
    day0s: tuple[int, ...] = (),
) -> int:
    patient = service.create_patient(
        PatientIn(
            centre=centre,
            sex=Sex.FEMALE,
            birth_date=dt.date(1970, 5, 17),
            identity=IdentityIn(given_name=given, family_name=family, mrn=mrn),
        )
    )
    if icd10 is not None:
        service.create_diagnosis(
            DiagnosisIn(
                patient_id=patient.id, who_name=f"disease {icd10}", icd10=icd10, diagnosis_date=dt.date(2020, 1, 1)
            )
        )
    for offset in day0s:
        service.create_episode(
            EpisodeIn(
                patient_id=patient.id,
                centre=centre,
                transplant_type=TransplantType.AUTOLOGOUS,
                graft_source=GraftSource.PERIPHERAL_BLOOD,
                day0=AS_OF + dt.timedelta(days=offset),
            )
        )
    return patient.id


@pytest.fixture
def cohort(service: RegistryService, engine: Engine) -> Cohort:
    service.create_centre(CentreIn(code="C1", name="Centre One", country="GB"))
    service.create_centre(CentreIn(code="C2", name="Centre Two", country="FR"))
    ids = {
        "day0": _patient(service, "MRN-001", "Ada", "Lovelace", "C1", "C92.0", (0,)),
        "day100": _patient(service, "MRN-002", "Bob", "Builder", "C1", "C91.0", (-100,)),
        "day101": _patient(service, "MRN-003", "Cy", "Twombly", "C2", "C92.1", (-101,)),
        "no-episode": _patient(service, "MRN-004", "Dee", "de Vries", "C2", "C81.1"),
        "before-day0": _patient(service, "MRN-005", "Eve", "O'Neill", "C1", None, (1,)),
        "second-transplant": _patient(service, "MRN-006", "Fay", "Wray", "C1", "D46.9", (-400, -50)),
    }
    for n in range(EXTRA):
        ids[f"extra-{n}"] = _patient(service, f"X-{n:03d}", f"Zed{n:02d}", "Zulu", "C2")
    service.create_event(
        EventIn(
            patient_id=ids["day101"],
            event_type=EventType.DEATH,
            event_date=AS_OF - dt.timedelta(days=5),
            source=EventSource.MANUAL,
            details={"primary_cause": "primary disease"},
        )
    )
    return Cohort(ids, service, engine)


def page(cohort: Cohort, **kwargs: object) -> list[int]:
    query = PatientListQuery(as_of=AS_OF, include_identity=True, **kwargs)  # type: ignore[arg-type]
    with cohort.engine.connect() as conn:
        return [row.id for row in read_patient_list(conn, query).rows]


def named(cohort: Cohort, *names: str) -> set[int]:
    return {cohort.ids[n] for n in names}


HCT, CAR_T = CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT, CellTherapy.IMMUNE_EFFECTOR_CELLS


@pytest.mark.parametrize(
    ("episodes", "number"),
    [
        pytest.param((HCT, CAR_T), 1, id="transplant-then-first-infusion"),
        pytest.param((HCT, CAR_T, CAR_T), 2, id="second-infusion-after-a-transplant"),
        pytest.param((CAR_T, HCT), 1, id="infusion-then-first-transplant"),
        pytest.param((HCT, CAR_T, HCT), 2, id="second-transplant-after-an-infusion"),
    ],
)
def test_the_newest_episode_is_numbered_among_those_of_its_kind(
    service: RegistryService, engine: Engine, episodes: tuple[CellTherapy, ...], number: int
) -> None:
    service.create_centre(CentreIn(code="C1", name="Centre One", country="GB"))
    patient = _patient(service, "MRN-K", "Kay", "Kind", "C1")
    for n, cell_therapy in enumerate(episodes):
        service.create_episode(
            EpisodeIn(
                patient_id=patient,
                centre="C1",
                transplant_type=TransplantType.AUTOLOGOUS,
                graft_source=GraftSource.PERIPHERAL_BLOOD,
                cell_therapy=cell_therapy,
                day0=AS_OF - dt.timedelta(days=300 - 100 * n),
            )
        )
    with engine.connect() as conn:
        (row,) = read_patient_list(conn, PatientListQuery(as_of=AS_OF, include_identity=False)).rows
    assert (row.latest_cell_therapy, row.latest_kind_number, row.transplants) == (episodes[-1], number, len(episodes))


@pytest.mark.parametrize(
    ("day0", "phase"),
    [
        pytest.param(None, CarePhase.PRE_TRANSPLANT, id="no-transplant"),
        pytest.param(AS_OF + dt.timedelta(days=1), CarePhase.PRE_TRANSPLANT, id="day-minus-1"),
        pytest.param(AS_OF, CarePhase.EARLY, id="day-0"),
        pytest.param(AS_OF - dt.timedelta(days=100), CarePhase.EARLY, id="day-100"),
        pytest.param(AS_OF - dt.timedelta(days=101), CarePhase.FOLLOW_UP, id="day-101"),
    ],
)
def test_care_phase_boundaries(day0: dt.date | None, phase: CarePhase) -> None:
    assert care_phase(day0, AS_OF) is phase


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        pytest.param(CarePhase.PRE_TRANSPLANT, ("no-episode", "before-day0"), id="pre-transplant"),
        pytest.param(CarePhase.EARLY, ("day0", "day100", "second-transplant"), id="day-0-100"),
        pytest.param(CarePhase.FOLLOW_UP, ("day101",), id="follow-up"),
    ],
)
def test_phase_filter_at_its_boundaries(cohort: Cohort, phase: CarePhase, expected: tuple[str, ...]) -> None:
    found = set(page(cohort, phase=phase, limit=200))
    extras = {i for n, i in cohort.ids.items() if n.startswith("extra")}
    assert found - extras == named(cohort, *expected)
    assert (extras <= found) is (phase is CarePhase.PRE_TRANSPLANT)


def test_rows_carry_phase_and_day(cohort: Cohort) -> None:
    query = PatientListQuery(as_of=AS_OF, include_identity=True, limit=200)
    with cohort.engine.connect() as conn:
        rows = {r.id: r for r in read_patient_list(conn, query).rows}
    second = rows[cohort.ids["second-transplant"]]
    assert (second.phase, second.day, second.transplants, second.latest_kind_number) == (CarePhase.EARLY, 50, 2, 2)
    assert second.latest_transplant_type is TransplantType.AUTOLOGOUS
    assert second.diagnosis == "disease D46.9"
    before = rows[cohort.ids["before-day0"]]
    assert (before.phase, before.day, before.diagnosis) == (CarePhase.PRE_TRANSPLANT, -1, None)
    assert rows[cohort.ids["day101"]].deceased and not second.deceased
    none = rows[cohort.ids["no-episode"]]
    assert (none.day, none.latest_day0, none.transplants, none.latest_kind_number) == (None, None, 0, 0)
    assert none.identity is not None and none.identity.mrn == "MRN-004"


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        pytest.param("AML", ("day0",), id="aml-not-cml"),
        pytest.param("CML", ("day101",), id="cml"),
        pytest.param("ALL", ("day100",), id="all"),
        pytest.param("MDS/MPN", ("second-transplant",), id="mds"),
        pytest.param("Hodgkin lymphoma", ("no-episode",), id="hodgkin"),
        pytest.param("Solid tumours", (), id="none-match"),
    ],
)
def test_disease_group_filter(cohort: Cohort, group: str, expected: tuple[str, ...]) -> None:
    assert set(page(cohort, disease_group=group)) == named(cohort, *expected)


def test_missing_diagnosis_group(cohort: Cohort) -> None:
    found = set(page(cohort, disease_group="missing", limit=200))
    assert cohort.ids["before-day0"] in found
    assert len(found) == EXTRA + 1


def test_centre_filter(cohort: Cohort) -> None:
    assert set(page(cohort, centre="C1")) == named(cohort, "day0", "day100", "before-day0", "second-transplant")
    assert page(cohort, centre="NOPE") == []
    assert centre_codes(cohort.service) == ["C1", "C2"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        pytest.param("lovelace", ("day0",), id="family-name-any-case"),
        pytest.param("ADA", ("day0",), id="given-name"),
        pytest.param("MRN-003", ("day101",), id="mrn"),
        pytest.param("bob builder", ("day100",), id="two-words"),
        pytest.param("o'neill", ("before-day0",), id="apostrophe"),
        pytest.param("  wray  ", ("second-transplant",), id="stripped"),
        pytest.param("%", (), id="percent-is-literal"),
        pytest.param("_", (), id="underscore-is-literal"),
        pytest.param("ada bob", (), id="every-word-must-match"),
    ],
)
def test_search_by_name_or_mrn(cohort: Cohort, search: str, expected: tuple[str, ...]) -> None:
    assert set(page(cohort, search=search)) == named(cohort, *expected)


def test_filters_combine(cohort: Cohort) -> None:
    assert page(cohort, centre="C1", phase=CarePhase.EARLY, search="MRN-00", disease_group="ALL") == [
        cohort.ids["day100"]
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"search": "ada"}, id="search"),
        pytest.param({"sort": PatientSort.NAME}, id="sort-by-name"),
        pytest.param({"sort": PatientSort.MRN}, id="sort-by-mrn"),
    ],
)
def test_identity_features_need_identity(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidRecord, match="identity"):
        PatientListQuery(as_of=AS_OF, include_identity=False, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"limit": 0}, id="limit-0"),
        pytest.param({"limit": 201}, id="limit-201"),
        pytest.param({"offset": -1}, id="negative-offset"),
        pytest.param({"disease_group": "Flu"}, id="unknown-group"),
        pytest.param({"search": "x" * 101}, id="long-search"),
    ],
)
def test_bad_queries_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidRecord):
        PatientListQuery(as_of=AS_OF, include_identity=True, **kwargs)  # type: ignore[arg-type]


def test_blank_search_is_no_search() -> None:
    assert PatientListQuery(as_of=AS_OF, include_identity=False, search="   ").search is None


def test_without_identity_rows_carry_none(cohort: Cohort) -> None:
    query = PatientListQuery(as_of=AS_OF, include_identity=False, limit=200)
    with cohort.engine.connect() as conn:
        result = read_patient_list(conn, query)
    assert result.total == len(cohort.ids)
    assert all(r.identity is None for r in result.rows)
    assert "Lovelace" not in repr(result) and "MRN-001" not in repr(result)


def test_paging_boundaries(cohort: Cohort) -> None:
    total = len(cohort.ids)  # 29
    seen: list[int] = []
    for offset in range(0, total, 10):
        query = PatientListQuery(as_of=AS_OF, include_identity=True, limit=10, offset=offset)
        with cohort.engine.connect() as conn:
            result = read_patient_list(conn, query)
        assert result.total == total
        seen += [r.id for r in result.rows]
        assert result.has_next is (offset + 10 < total)
        assert result.has_previous is (offset > 0)
    assert sorted(seen) == sorted(cohort.ids.values())  # every patient once, none twice
    last = PatientListQuery(as_of=AS_OF, include_identity=True, limit=10, offset=20)
    with cohort.engine.connect() as conn:
        result = read_patient_list(conn, last)
    assert (result.first, result.last, result.page_number, result.page_count) == (21, total, 3, 3)
    past_end = PatientListQuery(as_of=AS_OF, include_identity=True, limit=10, offset=100)
    with cohort.engine.connect() as conn:
        empty = read_patient_list(conn, past_end)
    assert (empty.rows, empty.total, empty.first, empty.has_next) == ([], total, 0, False)


def test_empty_result_has_total_zero(cohort: Cohort) -> None:
    query = PatientListQuery(as_of=AS_OF, include_identity=True, search="nobody-is-called-this")
    with cohort.engine.connect() as conn:
        result = read_patient_list(conn, query)
    assert (result.rows, result.total, result.page_count) == ([], 0, 1)


def test_exact_page_size(cohort: Cohort) -> None:
    query = PatientListQuery(as_of=AS_OF, include_identity=True, limit=len(cohort.ids))
    with cohort.engine.connect() as conn:
        result = read_patient_list(conn, query)
    assert (len(result.rows), result.total, result.has_next) == (len(cohort.ids), len(cohort.ids), False)


def test_sort_by_latest_transplant(cohort: Cohort) -> None:
    newest_first = page(cohort, limit=200)
    assert newest_first[:5] == [cohort.ids[n] for n in ("before-day0", "day0", "second-transplant", "day100", "day101")]
    oldest_first = page(cohort, limit=200, descending=False)
    assert oldest_first[:5] == [cohort.ids[n] for n in ("day101", "day100", "second-transplant", "day0", "before-day0")]
    # patients without a transplant come last both ways
    no_transplant = {cohort.ids["no-episode"]} | {i for n, i in cohort.ids.items() if n.startswith("extra")}
    assert set(newest_first[5:]) == no_transplant == set(oldest_first[5:])


def test_sort_by_name_and_mrn(cohort: Cohort) -> None:
    by_name = page(cohort, sort=PatientSort.NAME, descending=False, limit=6)
    assert by_name == [
        cohort.ids[n] for n in ("day100", "no-episode", "day0", "before-day0", "day101", "second-transplant")
    ]
    assert page(cohort, sort=PatientSort.NAME, limit=200)[-1] == cohort.ids["day100"]
    by_mrn = page(cohort, sort=PatientSort.MRN, descending=False, limit=2)
    assert by_mrn == [cohort.ids["day0"], cohort.ids["day100"]]
    by_registry = page(cohort, sort=PatientSort.REGISTRY_ID, descending=False, limit=200)
    assert len(by_registry) == len(cohort.ids)


def _audit_reads(engine: Engine) -> list[AuditEntry]:
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEntry.__table__).where(AuditEntry.action == AuditAction.READ)).all()
    return list(rows)  # type: ignore[arg-type]


def test_identity_list_is_audited_once(cohort: Cohort) -> None:
    before = len(_audit_reads(cohort.engine))
    result = list_patients_for(cohort.service, PatientListQuery(as_of=AS_OF, include_identity=True, limit=5))
    entries = _audit_reads(cohort.engine)[before:]
    assert len(entries) == 1
    assert entries[0].changes["ids"] == [r.id for r in result.rows]  # type: ignore[attr-defined]


def test_list_without_identity_or_rows_is_not_audited(cohort: Cohort) -> None:
    before = len(_audit_reads(cohort.engine))
    list_patients_for(cohort.service, PatientListQuery(as_of=AS_OF, include_identity=False))
    list_patients_for(cohort.service, PatientListQuery(as_of=AS_OF, include_identity=True, search="nobody"))
    assert len(_audit_reads(cohort.engine)) == before


CODES = [code for _, prefixes in INDICATION_RULES for code in prefixes] + [
    "C92.0",
    "C92.1",
    "C92.10",
    "D46.9",
    "C91.1",
    "C91.0",
    "C93.0",
    "C93.1",
    "Z99",
    "",
]


@given(code=st.one_of(st.sampled_from(CODES), st.from_regex(ICD10_PATTERN, fullmatch=True)))
def test_sql_disease_group_agrees_with_the_activity_report(code: str) -> None:
    engine = _memory_engine()
    with engine.connect() as conn:
        groups = [
            g
            for g in DISEASE_GROUPS
            if g != "missing" and conn.scalar(select(disease_group_condition(g, literal(code))))
        ]
    expected = disease_group(code)
    assert groups == ([expected] if expected != "missing" else [])


_ENGINE: list[Engine] = []


def _memory_engine() -> Engine:
    if not _ENGINE:
        _ENGINE.append(create_engine("sqlite://"))
    return _ENGINE[0]


def test_the_count_matches_the_rows(cohort: Cohort) -> None:
    query = PatientListQuery(as_of=AS_OF, include_identity=True, centre="C2", limit=200)
    with cohort.engine.connect() as conn:
        result = read_patient_list(conn, query)
    assert result.total == len(result.rows) == EXTRA + 2
    assert {r.centre for r in result.rows} == {"C2"}
