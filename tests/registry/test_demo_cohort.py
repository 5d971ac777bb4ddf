"""The synthetic demo cohort: seeded, consistent with the registry rules and clinically plausible."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from engraft.grading import (
    CountMeasurement,
    CountSeries,
    EngraftmentResult,
    OrganStages,
    grade_acute_gvhd,
    neutrophil_engraftment,
    platelet_engraftment,
)
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.models import Patient
from engraft.registry.schemas.clinical import EventOut, FollowUpOut
from engraft.registry.schemas.episode import EpisodeOut
from engraft.registry.service import RegistryService
from tests.demo_cohort import (
    DEMO_CENTRES,
    DEMO_SEED,
    DEMO_TRANSPLANTS,
    PLATELET_TRANSFUSION_TRIGGER,
    DemoCohort,
    DemoSummary,
    load_demo_cohort,
)

SMALL = DEMO_TRANSPLANTS
CENTRES = DEMO_CENTRES
LARGE = 200
SEED = DEMO_SEED
END = dt.date(2026, 6, 30)
POST_INFUSION = {"neutrophil engraftment", "platelet engraftment", "acute GVHD", "chronic GVHD", "graft failure"}


def _all_events(service: RegistryService) -> list[EventOut]:
    items: list[EventOut] = []
    while True:
        page = service.list_events(limit=1000, offset=len(items))
        items.extend(page.items)
        if len(items) >= page.total:
            return items


def _all_follow_ups(service: RegistryService) -> list[FollowUpOut]:
    items: list[FollowUpOut] = []
    while True:
        page = service.list_follow_ups(limit=1000, offset=len(items))
        items.extend(page.items)
        if len(items) >= page.total:
            return items


def _episodes(service: RegistryService) -> list[EpisodeOut]:
    return service.list_episodes(limit=1000).items


def _series(engine: Engine, loincs: tuple[str, ...]) -> dict[int, dict[int, float]]:
    """episode id -> {day from day 0: canonical value} for the given LOINC codes."""
    sql = text(
        "SELECT o.episode_id, o.observed_at, o.value_canonical, e.day0 FROM observation o "
        "JOIN transplant_episode e ON e.id = o.episode_id WHERE o.loinc IN ("
        + ", ".join(f"'{code}'" for code in loincs)
        + ")"
    )
    out: dict[int, dict[int, float]] = defaultdict(dict)
    with engine.connect() as conn:
        for episode_id, observed_at, value, day0 in conn.execute(sql):
            when = observed_at if isinstance(observed_at, dt.datetime) else dt.datetime.fromisoformat(observed_at)
            when = when.astimezone(dt.UTC) if when.tzinfo is not None else when  # SQLite stores naive UTC
            start = day0 if isinstance(day0, dt.date) else dt.date.fromisoformat(day0)
            out[episode_id][(when.date() - start).days] = value
    return out


def _engraftment(kind: str, values: dict[int, float]) -> EngraftmentResult:
    """The real rule (engraft.grading) applied to the stored counts; platelet transfusions follow the demo's policy."""
    series = CountSeries(
        measurements=tuple(CountMeasurement(day=day, value=value, unit="10*9/L") for day, value in values.items())
    )
    if kind == "neutrophil engraftment":
        return neutrophil_engraftment(series)
    transfusions = [day for day, value in values.items() if value <= PLATELET_TRANSFUSION_TRIGGER]
    return platelet_engraftment(series, transfusions)


def test_small_cohort_on_each_database(demo_cohort_readonly: DemoCohort, tmp_path: Path, hla_release: str) -> None:
    """The shared demo cohort (one load per run and database: loading is the slow part), from several sides."""
    service, engine, summary = demo_cohort_readonly.service, demo_cohort_readonly.engine, demo_cohort_readonly.summary
    assert demo_cohort_readonly.load.progress == [(i, SMALL) for i in range(1, SMALL + 1)]
    _check_summary_matches_what_was_stored(service, summary)
    _check_same_seed_gives_the_same_cohort(service, engine, summary, tmp_path)
    _check_every_episode_has_daily_labs_from_day_minus_7(service, engine)
    _check_engraftment_events_follow_the_grading_rules(service, engine)
    _check_events_and_visits_respect_registry_rules(service)


def _check_summary_matches_what_was_stored(service: RegistryService, summary: DemoSummary) -> None:
    assert summary.transplants == SMALL == summary.patients
    assert summary.centres == CENTRES == len(service.list_centres())
    with service.read_snapshot() as session:  # a count hands out no identifying data, so it is not audited
        assert session.scalar(select(func.count()).select_from(Patient)) == SMALL
    assert service.list_donors(limit=1).total == summary.donors
    episodes = _episodes(service)
    assert {t: sum(e.transplant_type.value == t for e in episodes) for t in summary.episodes} == summary.episodes
    events = _all_events(service)
    assert {t: sum(e.event_type.value == t for e in events) for t in summary.events} == summary.events
    assert len(events) == sum(summary.events.values())
    assert len(_all_follow_ups(service)) == summary.follow_ups
    assert service.list_observations(limit=1).total == summary.observations
    assert summary.observations > SMALL * 9 * 50


def _check_same_seed_gives_the_same_cohort(
    service: RegistryService, engine: Engine, summary: DemoSummary, tmp_path: Path
) -> None:
    other = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    upgrade(other)
    try:
        again = RegistryService(make_session_factory(other), actor="test")
        assert load_demo_cohort(again, transplants=SMALL, centres=CENTRES, seed=SEED) == summary
        first = [(e.event_type, e.event_date, e.details) for e in _all_events(service)]
        second = [(e.event_type, e.event_date, e.details) for e in _all_events(again)]
        assert first == second
        checksum = text("SELECT COUNT(*), SUM(value_canonical), COUNT(DISTINCT source_id) FROM observation")
        with engine.connect() as a, other.connect() as b:
            (n1, total1, ids1), (n2, total2, ids2) = a.execute(checksum).one(), b.execute(checksum).one()
        assert n1 == n2 == ids1 == ids2 and total1 == pytest.approx(total2, rel=1e-9)
    finally:
        other.dispose()


def _check_every_episode_has_daily_labs_from_day_minus_7(service: RegistryService, engine: Engine) -> None:
    episodes = _episodes(service)
    anc = _series(engine, ("751-8",))
    bilirubin = _series(engine, ("1975-2", "14631-6"))
    temperature = _series(engine, ("8310-5",))
    for episode in episodes:
        days = sorted(anc[episode.id])
        assert days[0] == -7 and 0 in days, episode.id
        assert days == list(range(-7, days[-1] + 1)), "one ANC a day, no gaps"
        assert days[-1] <= 100
        assert sorted(bilirubin[episode.id]) == days
        assert sorted(temperature[episode.id]) == days
        aplasia = [anc[episode.id][d] for d in range(5, 9) if d in anc[episode.id]]
        assert not aplasia or min(aplasia) < 0.2, "neutrophil nadir near zero in the first week"
    with engine.connect() as conn:
        pairs = set(conn.execute(text("SELECT DISTINCT loinc, unit FROM observation")).all())
    assert {("751-8", "10*9/L"), ("777-3", "10*9/L"), ("718-7", "g/dL"), ("8310-5", "Cel")} <= pairs
    assert {("1975-2", "mg/dL"), ("14631-6", "umol/L"), ("2160-0", "mg/dL"), ("14682-9", "umol/L")} <= pairs
    bilirubin_units = {unit for loinc, unit in pairs if loinc in ("1975-2", "14631-6")}
    assert bilirubin_units <= {"mg/dL", "umol/L"}
    assert ("1975-2", "umol/L") not in pairs and ("14631-6", "mg/dL") not in pairs


def _check_engraftment_events_follow_the_grading_rules(service: RegistryService, engine: Engine) -> None:
    episodes = {e.id: e for e in _episodes(service)}
    anc = _series(engine, ("751-8",))
    platelets = _series(engine, ("777-3",))
    by_episode: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for event in _all_events(service):
        assert event.episode_id is not None
        by_episode[event.episode_id].setdefault(event.event_type.value, event.event_date)
    engrafted = 0
    for episode_id, episode in episodes.items():
        recorded = by_episode[episode_id]
        if "graft failure" in recorded:
            assert "neutrophil engraftment" not in recorded
            continue
        for kind, series in (("neutrophil engraftment", anc), ("platelet engraftment", platelets)):
            day = _engraftment(kind, series[episode_id]).day
            expected = None if day is None else episode.day0 + dt.timedelta(days=day)
            assert recorded.get(kind) == expected, (episode_id, kind)
        if "neutrophil engraftment" in recorded:
            engrafted += 1
            day = (recorded["neutrophil engraftment"] - episode.day0).days
            low, high = (8, 18) if episode.transplant_type.value == "autologous" else (10, 45)
            assert low <= day <= high, (episode_id, day)
    assert engrafted >= 0.85 * len(episodes)


def _check_events_and_visits_respect_registry_rules(service: RegistryService) -> None:
    episodes = {e.id: e for e in _episodes(service)}
    deaths: dict[int, dt.date] = {}
    events = _all_events(service)
    for event in events:
        if event.event_type.value == "death":
            assert event.patient_id not in deaths, "one death per patient"
            deaths[event.patient_id] = event.event_date
    for event in events:
        assert event.episode_id is not None
        episode = episodes[event.episode_id]
        assert event.event_date <= END
        if event.event_type.value in POST_INFUSION:
            assert event.event_date >= episode.day0
        if event.patient_id in deaths:
            assert event.event_date <= deaths[event.patient_id]
        if event.event_type.value == "acute GVHD":
            d = event.details
            stages = OrganStages(
                skin=d["skin_stage"], liver=d["liver_stage"], upper_gi=d["upper_gi_stage"], lower_gi=d["lower_gi_stage"]
            )
            assert d["grading_system"] == "MAGIC" and d["grade"] == grade_acute_gvhd(stages).value
        if event.event_type.value == "chronic GVHD":
            assert (event.event_date - episode.day0).days >= 100
            assert event.details["systemic_treatment"] or event.details["severity"] == "mild"
    for visit in _all_follow_ups(service):
        assert visit.episode_id is not None
        assert episodes[visit.episode_id].day0 < visit.visit_date <= END
        death = deaths.get(visit.patient_id)
        if visit.vital_status.value == "alive":
            assert death is None or visit.visit_date < death
            assert visit.performance_score is not None and visit.performance_scale is not None
        else:
            assert death is not None and visit.visit_date >= death
    for episode in episodes.values():
        if episode.transplant_type.value == "allogeneic":
            assert episode.donor_ids and episode.gvhd_prophylaxis
        assert episode.conditioning and episode.cd34_per_kg is not None


def test_arguments_are_checked(service: RegistryService) -> None:
    with pytest.raises(ValueError, match="centres"):
        load_demo_cohort(service, transplants=5, centres=0)
    with pytest.raises(ValueError, match="future"):
        load_demo_cohort(service, transplants=5, end_date=dt.date.today() + dt.timedelta(days=30))


@pytest.mark.slow
def test_larger_cohort_is_clinically_plausible(tmp_path: Path, hla_release: str) -> None:
    """SQLite only: 200 transplants with the default seed, years and centres, against published bands.

    (The default 500 takes about a minute to load here, so a smaller cohort keeps the test quick.)
    """
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    try:
        service = RegistryService(make_session_factory(engine), actor="test")
        summary = load_demo_cohort(service, transplants=LARGE)
        assert summary.transplants == LARGE and summary.centres == 3
        assert 90 * LARGE <= summary.observations <= 1200 * LARGE
        episodes = {e.id: e for e in _episodes(service)}
        assert len(episodes) == LARGE
        auto_share = summary.episodes["autologous"] / LARGE
        assert 0.50 <= auto_share <= 0.65
        events = _all_events(service)
        death: dict[int, dt.date] = {}
        grades: dict[int, int] = {}
        for event in events:
            assert event.episode_id is not None
            if event.event_type.value == "death":
                death[event.episode_id] = event.event_date
            if event.event_type.value == "acute GVHD":
                grades[event.episode_id] = event.details["grade"]
        for kind, low, high in (("autologous", 0.82, 0.99), ("allogeneic", 0.62, 0.90)):
            cohort = [e for e in episodes.values() if e.transplant_type.value == kind]
            survival = _kaplan_meier_1y([(e.day0, death.get(e.id)) for e in cohort])
            assert low <= survival <= high, (kind, survival)
        allo = [e.id for e in episodes.values() if e.transplant_type.value == "allogeneic"]
        grade_2_4 = sum(grades.get(i, 0) >= 2 for i in allo) / len(allo)
        grade_3_4 = sum(grades.get(i, 0) >= 3 for i in allo) / len(allo)
        assert 0.18 <= grade_2_4 <= 0.45 and 0.03 <= grade_3_4 <= 0.22
    finally:
        engine.dispose()


def _kaplan_meier_1y(patients: list[tuple[dt.date, dt.date | None]]) -> float:
    """Kaplan-Meier survival at 365 days; patients alive are censored at the end date (deaths first at ties)."""
    observations = sorted((((death or END) - day0).days, death is None) for day0, death in patients)
    at_risk, survival = len(observations), 1.0
    for time, censored in observations:
        if time > 365:
            break
        if not censored:
            survival *= 1 - 1 / at_risk
        at_risk -= 1
    return survival
