"""Endpoints derived from the registry: SQL extraction (SQLite and PostgreSQL) and pure derivation.

The helpers ``Course``/``add_course`` build small registries through :class:`RegistryService`
and are reused by the CLI and API tests of the outcomes module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.outcomes._validation import NothingToAnalyse, OutcomeQueryError
from engraft.outcomes.registry_endpoints import (
    ENDPOINTS,
    analysis_rows,
    derive_endpoint,
    derive_endpoints,
    group_labels,
)
from engraft.outcomes.results import Provenance
from engraft.outcomes.summaries import cif_summary, survival_summary
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.outcome_data import OutcomeTable, empty_outcome_table, load_outcome_table
from engraft.registry.schemas.clinical import EventIn, FollowUpIn
from engraft.registry.schemas.donor import DonorIn
from engraft.registry.schemas.episode import EpisodeIn
from engraft.registry.schemas.patient import CentreIn, DiagnosisIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import EventType
from tests.demo_cohort import DEMO_TRANSPLANTS, DemoCohort

BASE_DAY0 = dt.date(2022, 3, 1)


@dataclass
class Course:
    """One synthetic transplant: what happened on which day after day 0."""

    centre: str = "C1"
    transplant_type: str = "allogeneic"
    relation: str | None = "matched sibling"
    graft_source: str = "peripheral blood"
    day0: dt.date = BASE_DAY0
    icd10: str = "C92.0"
    status: str | None = "CR1"
    birth: dt.date = dt.date(1970, 1, 1)
    events: list[tuple[int, EventType, dict[str, Any]]] = field(default_factory=list)
    death_day: int | None = None
    visits: list[int] = field(default_factory=list)
    conditioning: list[dict[str, Any]] = field(default_factory=list)


_counter = {"n": 0}


def ensure_centre(registry: RegistryService, code: str) -> None:
    if code not in {c.code for c in registry.list_centres()}:
        registry.create_centre(CentreIn(code=code, name=f"Centre {code}", country="GB"))


def add_course(registry: RegistryService, course: Course, patient_id: int | None = None) -> tuple[int, int]:
    """Register ``course`` (a new patient unless ``patient_id``); returns (patient id, episode id)."""
    _counter["n"] += 1
    k = _counter["n"]
    ensure_centre(registry, course.centre)
    if patient_id is None:
        patient_id = registry.create_patient(
            PatientIn(centre=course.centre, sex="female", birth_date=course.birth, cmv_serostatus="positive")
        ).id
    diagnosis = registry.create_diagnosis(
        DiagnosisIn(
            patient_id=patient_id,
            who_name="Test disease",
            icd10=course.icd10,
            diagnosis_date=course.day0 - dt.timedelta(days=120),
            status_at_transplant=course.status,
        )
    )
    donors: list[int] = []
    if course.relation is not None:
        donors = [
            registry.create_donor(
                DonorIn(donor_code=f"D-{k}-{patient_id}", relation=course.relation, cmv_serostatus="negative")
            ).id
        ]
    episode = registry.create_episode(
        EpisodeIn(
            patient_id=patient_id,
            diagnosis_id=diagnosis.id,
            centre=course.centre,
            transplant_type=course.transplant_type,
            graft_source=course.graft_source,
            day0=course.day0,
            donor_ids=donors,
            conditioning=course.conditioning,
        )
    )
    day = dt.timedelta
    for offset, kind, details in course.events:
        registry.create_event(
            EventIn(
                patient_id=patient_id,
                episode_id=episode.id,
                event_type=kind,
                event_date=course.day0 + day(days=offset),
                details=details,
            )
        )
    for offset in course.visits:
        registry.create_follow_up(
            FollowUpIn(
                patient_id=patient_id,
                episode_id=episode.id,
                visit_date=course.day0 + day(days=offset),
                vital_status="alive",
            )
        )
    if course.death_day is not None:
        registry.create_event(
            EventIn(
                patient_id=patient_id,
                episode_id=episode.id,
                event_type=EventType.DEATH,
                event_date=course.day0 + day(days=course.death_day),
                details={"primary_cause": "infection"},
            )
        )
    return patient_id, episode.id


AGVHD3 = (EventType.ACUTE_GVHD, {"grade": 3, "skin_stage": 3, "lower_gi_stage": 2})
AGVHD2 = (EventType.ACUTE_GVHD, {"grade": 2, "skin_stage": 3})
CGVHD_SYS = (EventType.CHRONIC_GVHD, {"severity": "moderate", "systemic_treatment": True})
CGVHD_MILD = (EventType.CHRONIC_GVHD, {"severity": "mild", "systemic_treatment": False})
ANC = (EventType.NEUTROPHIL_ENGRAFTMENT, {})
PLT = (EventType.PLATELET_ENGRAFTMENT, {})
RELAPSE = (EventType.RELAPSE, {"method": "haematological"})


def small_registry(registry: RegistryService) -> dict[str, int]:
    """Five first transplants (four allo, one auto) and a second transplant of patient 'a'."""
    ids: dict[str, int] = {}
    pa, ids["a"] = add_course(
        registry,
        Course(
            events=[(14, *ANC), (30, *PLT), (40, *AGVHD2), (60, *AGVHD3), (200, *RELAPSE)],
            conditioning=[{"drug": "busulfan", "total_dose": 12.8, "unit": "mg/kg", "route": "iv"}],
            visits=[100, 180],
        ),
    )
    ids["a_patient"] = pa
    _, ids["a2"] = add_course(
        registry,
        Course(day0=BASE_DAY0 + dt.timedelta(days=250), events=[(20, *ANC)], visits=[100]),
        patient_id=pa,
    )
    _, ids["b"] = add_course(
        registry,
        Course(
            events=[(18, *ANC), (150, *CGVHD_MILD), (300, *CGVHD_SYS)],
            visits=[100, 365, 730],
            conditioning=[{"drug": "busulfan", "total_dose": 6.4, "unit": "mg/kg", "route": "iv"}],
        ),
    )
    _, ids["c"] = add_course(registry, Course(relation="haploidentical", events=[(25, *ANC)], death_day=90))
    pd, ids["d"] = add_course(registry, Course(centre="C2", events=[], visits=[400]))
    # a lab result after the last visit extends the last contact (timestamp, not a date)
    when = dt.datetime.combine(BASE_DAY0 + dt.timedelta(days=420), dt.time(7, 59), tzinfo=dt.UTC)
    add_observations(registry, [ObservationRow(pd, ids["d"], when, "26499-4", 3.1, "10*9/L", "lab feed", "obs-d-1")])
    _, ids["auto"] = add_course(
        registry,
        Course(
            centre="C2",
            transplant_type="autologous",
            relation=None,
            icd10="C90.0",
            status="PR",
            events=[(12, *ANC), (500, *RELAPSE)],
            death_day=700,
        ),
    )
    return ids


def _row(table: OutcomeTable, episode_id: int) -> dict[str, Any]:
    i = int(np.flatnonzero(table.episode_id == episode_id)[0])
    return {f.name: getattr(table, f.name)[i] for f in fields(table)}


def test_extraction_days_and_attribution(service: RegistryService, engine: Any) -> None:
    ids = small_registry(service)
    table = load_outcome_table(engine)
    assert len(table) == 6
    a = _row(table, ids["a"])
    assert a["sequence_number"] == 1 and a["donor_relation"] == "matched sibling"
    assert (a["agvhd_2_4_day"], a["agvhd_3_4_day"], a["relapse_day"]) == (40, 60, 200)
    assert (a["neutrophil_day"], a["platelet_day"], a["next_transplant_day"]) == (14, 30, 250)
    assert a["conditioning_intensity"] == "MAC" and a["year"] == 2022
    assert np.isnan(a["death_day"]) and np.isnan(a["cgvhd_day"])
    # last contact is the latest date known for the patient (a visit after the second transplant)
    assert a["last_contact_day"] == 250 + 100
    a2 = _row(table, ids["a2"])
    assert a2["sequence_number"] == 2 and a2["neutrophil_day"] == 20
    assert np.isnan(a2["relapse_day"]), "a relapse before day 0 of the second transplant is not counted"
    b = _row(table, ids["b"])
    assert (b["cgvhd_day"], b["cgvhd_systemic_day"], b["last_contact_day"]) == (150, 300, 730)
    assert b["conditioning_intensity"] == "RIC"
    assert _row(table, ids["d"])["last_contact_day"] == 420, "latest observation counts as contact"
    c = _row(table, ids["c"])
    assert c["death_day"] == 90 and c["last_contact_day"] == 90
    auto = _row(table, ids["auto"])
    assert auto["donor_relation"] == "autologous" and auto["conditioning_intensity"] == "autologous"
    assert (auto["relapse_day"], auto["death_day"]) == (500, 700)
    assert 51 < auto["age_years"] < 53
    only_c2 = load_outcome_table(engine, centre="C2")
    assert sorted(only_c2.centre.tolist()) == ["C2", "C2"]


def test_endpoints_from_registry(service: RegistryService, engine: Any) -> None:
    ids = small_registry(service)
    table = load_outcome_table(engine).first_transplants()
    assert len(table) == 5
    order = {int(e): i for i, e in enumerate(table.episode_id)}
    os_ = derive_endpoint(table, "os")
    i_auto, i_c, i_a, i_b = order[ids["auto"]], order[ids["c"]], order[ids["a"]], order[ids["b"]]
    assert (os_.time[i_auto], os_.status[i_auto]) == (700, 1)
    assert (os_.time[i_c], os_.status[i_c]) == (90, 1)
    assert (os_.time[i_a], os_.status[i_a]) == (350, 0)
    dfs = derive_endpoint(table, "dfs")
    assert (dfs.time[i_a], dfs.status[i_a]) == (200, 1)
    assert (dfs.time[i_auto], dfs.status[i_auto]) == (500, 1)
    relapse = derive_endpoint(table, "relapse")
    assert relapse.status[[i_a, i_c, i_b, i_auto]].tolist() == [1, 2, 0, 1]
    nrm = derive_endpoint(table, "nrm")
    assert nrm.status[[i_a, i_c, i_b, i_auto]].tolist() == [2, 1, 0, 2]
    allo = analysis_rows(table, "grfs")
    assert set(allo.transplant_type.tolist()) == {"allogeneic"}
    order_allo = {int(e): i for i, e in enumerate(allo.episode_id)}
    grfs = derive_endpoint(allo, "grfs")
    ia, ib = order_allo[ids["a"]], order_allo[ids["b"]]
    assert (grfs.time[ia], grfs.status[ia]) == (60, 1), "grade III-IV aGVHD first"
    assert (grfs.time[ib], grfs.status[ib]) == (300, 1), "only cGVHD needing systemic treatment counts"
    cg = derive_endpoint(allo, "cgvhd")
    assert (cg.time[ib], cg.status[ib]) == (150, 1)
    # graft endpoints are censored at the second transplant (day 250) for patient a
    cg_a = derive_endpoint(allo, "cgvhd")
    assert (cg_a.time[ia], cg_a.status[ia]) == (250, 0)
    anc = derive_endpoint(analysis_rows(table, "neutrophil_engraftment"), "neutrophil_engraftment")
    assert anc.status.tolist().count(1) == 4  # d has no engraftment recorded
    everything = derive_endpoints(table)
    assert set(everything) == set(ENDPOINTS)
    provenance = Provenance(source="registry", transplants=len(table))
    summary = survival_summary(os_, group_labels(table, "transplant_type"), landmarks=[365], provenance=provenance)
    assert {g.group for g in summary.groups} == {"allogeneic", "autologous"}
    assert summary.test is not None and summary.test.name == "log-rank"


def test_all_transplants_option(service: RegistryService, engine: Any) -> None:
    small_registry(service)
    table = load_outcome_table(engine)
    assert len(table) == 6 and len(table.first_transplants()) == 5
    os_all = derive_endpoint(table, "os")
    assert os_all.time.size == 6


def test_empty_registry(engine: Any) -> None:
    table = load_outcome_table(engine)
    assert len(table) == 0
    assert derive_endpoint(table, "os").time.size == 0
    with pytest.raises(NothingToAnalyse, match="no transplants"):
        survival_summary(derive_endpoint(table, "os"), provenance=Provenance(source="registry", transplants=0))


# ---- pure derivation -------------------------------------------------------------------------


def make_table(n: int, **columns: Any) -> OutcomeTable:
    """An OutcomeTable of ``n`` rows: allogeneic first transplants, no events, last contact day 400."""
    base = empty_outcome_table()
    values: dict[str, Any] = {}
    for f in fields(base):
        empty = getattr(base, f.name)
        if f.name in columns:
            values[f.name] = np.asarray(columns[f.name], dtype=np.str_ if empty.dtype.kind == "U" else empty.dtype)
        elif empty.dtype.kind == "f":
            values[f.name] = np.full(n, np.nan)
        elif empty.dtype.kind == "M":
            values[f.name] = np.full(n, np.datetime64("2022-01-01", "D"))
        elif empty.dtype.kind == "i":
            values[f.name] = np.ones(n, dtype=np.int64)
        else:
            values[f.name] = np.full(n, "", dtype=np.str_)
    if "episode_id" not in columns:
        values["episode_id"] = np.arange(1, n + 1, dtype=np.int64)
    if "last_contact_day" not in columns:
        values["last_contact_day"] = np.full(n, 400.0)
    if "transplant_type" not in columns:
        values["transplant_type"] = np.full(n, "allogeneic", dtype=np.str_)
    return OutcomeTable(**values)


@pytest.mark.parametrize(
    ("relapse", "death", "expected"),
    [
        pytest.param(np.nan, np.nan, (400, 0), id="censored-at-last-contact"),
        pytest.param(100.0, np.nan, (100, 1), id="relapse-only"),
        pytest.param(np.nan, 50.0, (50, 2), id="death-without-relapse-is-nrm"),
        pytest.param(100.0, 100.0, (100, 1), id="same-day-counts-as-relapse"),
        pytest.param(100.0, 300.0, (100, 1), id="relapse-then-death"),
    ],
)
def test_relapse_competing_codes(relapse: float, death: float, expected: tuple[int, int]) -> None:
    last = death if np.isfinite(death) else 400.0
    table = make_table(1, relapse_day=[relapse], death_day=[death], last_contact_day=[last])
    ep = derive_endpoint(table, "relapse")
    assert (ep.time[0], ep.status[0]) == expected
    nrm = derive_endpoint(table, "nrm")
    assert nrm.status[0] == {0: 0, 1: 2, 2: 1}[expected[1]]


def test_time_unit_and_unknown_endpoint() -> None:
    table = make_table(2, death_day=[365.25, np.nan], last_contact_day=[365.25, 730.5])
    ep = derive_endpoint(table, "os", time_unit="years")
    np.testing.assert_allclose(ep.time, [1.0, 2.0])
    assert ep.time_unit == "years"
    with pytest.raises(OutcomeQueryError, match="endpoint: got 'happiness'; expected one of os, dfs"):
        derive_endpoint(table, "happiness")
    with pytest.raises(OutcomeQueryError, match="group_by"):
        group_labels(table, "shoe_size")


def test_group_labels_disease_group_and_missing() -> None:
    table = make_table(3, icd10=["C92.0", "", "C90.0"], donor_relation=["haploidentical", "", "autologous"])
    assert group_labels(table, "disease_group").tolist() == ["AML", "missing", "Plasma cell disorders"]
    assert group_labels(table, "donor_relation").tolist() == ["haploidentical", "missing", "autologous"]


def test_cif_summary_reports_gray_test() -> None:
    rng = np.random.default_rng(4)
    n = 60
    relapse = np.where(rng.random(n) < 0.4, rng.integers(10, 300, n), np.nan)
    death = np.where(rng.random(n) < 0.3, rng.integers(10, 350, n), np.nan)
    last = np.fmax(np.fmax(relapse, death), 365.0)
    table = make_table(n, relapse_day=relapse, death_day=death, last_contact_day=last)
    groups = np.where(np.arange(n) % 2 == 0, "x", "y")
    provenance = Provenance(source="registry", transplants=n)
    summary = cif_summary(derive_endpoint(table, "relapse"), groups, landmarks=[365], provenance=provenance)
    assert summary.test is not None and summary.test.name == "Gray"
    assert summary.test.p_value is not None and 0 <= summary.test.p_value <= 1
    total = sum(g.events + g.competing_events for g in summary.groups)
    assert total == int(np.count_nonzero(~np.isnan(relapse) | ~np.isnan(death)))


days = st.one_of(st.just(float("nan")), st.integers(0, 1000).map(float))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(days, days, days, days, days, days, days, st.integers(0, 1000)),
        min_size=1,
        max_size=30,
    )
)
def test_endpoint_invariants(rows: list[tuple[float, ...]]) -> None:
    """Composite endpoints never come later than their components; codes are in range."""
    arr = np.asarray(rows, dtype=np.float64)
    death, relapse, a3, cgs, anc, nxt = arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 5]
    # data as the registry guarantees them: nothing after death, contact after every event
    death = np.where(np.isnan(death), np.nan, death + 1000)
    contact = np.fmax.reduce(np.vstack([death, relapse, a3, cgs, anc, arr[:, 7]]), axis=0)
    table = make_table(
        len(rows),
        death_day=death,
        relapse_day=relapse,
        agvhd_3_4_day=a3,
        agvhd_2_4_day=a3,
        cgvhd_systemic_day=cgs,
        cgvhd_day=cgs,
        neutrophil_day=anc,
        next_transplant_day=np.where(np.isnan(arr[:, 6]), np.nan, nxt),
        last_contact_day=contact,
    )
    ep = {name: derive_endpoint(table, name) for name in ENDPOINTS}
    for name, e in ep.items():
        assert np.all(e.time >= 0), name
        assert set(np.unique(e.status).tolist()) <= {0, 1, 2}, name
        if ENDPOINTS[name].kind == "survival":
            assert set(np.unique(e.status).tolist()) <= {0, 1}
    assert np.all(ep["dfs"].time <= ep["os"].time)
    assert np.all(ep["grfs"].time <= ep["dfs"].time)
    assert np.all(ep["dfs"].event >= ep["os"].event)
    # relapse + NRM partition the DFS events
    np.testing.assert_array_equal(ep["relapse"].time, ep["dfs"].time)
    np.testing.assert_array_equal(ep["relapse"].event, ep["dfs"].event)
    np.testing.assert_array_equal(ep["nrm"].status, np.where(ep["relapse"].status == 0, 0, 3 - ep["relapse"].status))
    # graft endpoints never extend beyond a subsequent transplant
    cut = table.next_transplant_day
    has_cut = ~np.isnan(cut)
    assert np.all(ep["cgvhd"].time[has_cut] <= cut[has_cut])


def test_demo_cohort_endpoints_are_consistent(demo_cohort_readonly: DemoCohort) -> None:
    """On the synthetic demo cohort, endpoint event counts agree with the events written."""
    summary = demo_cohort_readonly.summary
    table = load_outcome_table(demo_cohort_readonly.engine)
    assert len(table) == DEMO_TRANSPLANTS and np.all(table.sequence_number == 1)
    assert int(np.count_nonzero(table.transplant_type == "allogeneic")) == summary.episodes["allogeneic"]
    horizon = (np.datetime64(summary.end_date, "D") - table.day0).astype(np.int64)
    assert np.all(table.last_contact_day <= horizon)
    endpoints = derive_endpoints(table)
    assert int(endpoints["os"].event.sum()) == summary.events.get("death", 0)
    assert int(endpoints["neutrophil_engraftment"].status.tolist().count(1)) == summary.events.get(
        "neutrophil engraftment", 0
    )
    relapsed = int(np.count_nonzero(~np.isnan(table.relapse_day)))
    assert relapsed <= summary.events.get("relapse", 0) + summary.events.get("progression", 0)
    assert int(np.count_nonzero(endpoints["relapse"].status == 1)) <= relapsed
    assert int(np.count_nonzero(endpoints["agvhd_2_4"].status == 1)) <= summary.events.get("acute GVHD", 0)
    for name, ep in endpoints.items():
        assert np.all(ep.time >= 0), name
    assert endpoints["grfs"].time.size == summary.episodes["allogeneic"]


def test_benchmark_cohort_selection() -> None:
    from engraft.outcomes.benchmark_cohort import benchmark_cohort

    day0 = np.asarray(["2023-06-30", "2023-06-29", "2023-01-01", "2023-01-01", "2021-05-05"], dtype="datetime64[D]")
    table = make_table(
        5,
        day0=day0,
        year=[2023, 2023, 2023, 2023, 2021],
        transplant_type=["allogeneic", "allogeneic", "autologous", "allogeneic", "allogeneic"],
        sequence_number=[1, 1, 1, 2, 1],
        centre=["A", "A", "A", "B", "B"],
        icd10=["C92.0", "", "C90.0", "C92.0", "D46.2"],
        age_years=[50.0, 60.0, 55.0, 40.0, np.nan],
    )
    cohort = benchmark_cohort(table, as_of=dt.date(2024, 6, 30))
    # 2023-06-30 has exactly 366 days to the cut-off (leap year): included; auto and second HCT excluded
    assert cohort.table.episode_id.tolist() == [1, 2, 5]
    assert cohort.as_of == dt.date(2024, 6, 30)
    assert cohort.covariates["disease_group"].tolist() == ["AML", "missing", "MDS/MPN"]
    assert np.isnan(cohort.covariates["age_years"][2])
    one_day_earlier = benchmark_cohort(table, as_of=dt.date(2024, 6, 29))
    assert one_day_earlier.table.episode_id.tolist() == [2, 5], "day 0 exactly 365 days before: excluded"
    with pytest.raises(NothingToAnalyse, match="expected at least 2"):
        benchmark_cohort(table, as_of=dt.date(2024, 6, 29), first_year=2022)
    with pytest.raises(NothingToAnalyse, match="expected at least 2"):
        benchmark_cohort(table, as_of=dt.date(2024, 6, 30), last_year=2022)


def test_centre_filter_keeps_censoring_at_a_later_transplant_elsewhere(service: RegistryService, engine: Any) -> None:
    from engraft.registry.schemas.episode import EpisodeIn
    from engraft.registry.schemas.patient import CentreIn, PatientIn

    for code in ("C1", "C2"):
        service.create_centre(CentreIn(code=code, name=code, country="GB"))
    patient = service.create_patient(PatientIn(centre="C1", sex="female", birth_date="1980-01-01"))
    for centre, day0 in (("C1", "2020-01-10"), ("C2", "2021-01-09")):
        service.create_episode(
            EpisodeIn(
                patient_id=patient.id,
                centre=centre,
                transplant_type="autologous",
                graft_source="peripheral blood",
                day0=day0,
            )
        )
    table = load_outcome_table(engine, centre="C1")
    assert len(table) == 1
    assert table.next_transplant_day[0] == 365.0
