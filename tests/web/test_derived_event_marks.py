"""The patient page marks the events the monitoring derived (source ``derived``) as derived, never as entered.

Two patients with the same events: one's written by the monitoring (inserted into ``clinical_event`` as the
engine writes them), the other's entered by a clinician. The course list, the timeline's tooltips, the engraftment
days and the events outside any episode say "derived by monitoring" for the first patient only; a derived graft
failure (a met laboratory criterion) also says it is still to be confirmed.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from engraft.access import Role
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.models import ClinicalEvent
from engraft.registry.schemas.clinical import EventIn, EventOut
from engraft.registry.schemas.episode import EpisodeIn
from engraft.registry.schemas.patient import CentreIn, IdentityIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import EventSource, EventType, GraftSource, Sex, TransplantType
from engraft.web.application import create_application
from engraft.web.i18n import LANGUAGE_COOKIE
from engraft.web.pages.patients_course import event_label
from engraft.web.pages.patients_engraftment import recorded_engraftment
from engraft.web.pages.patients_wording import Wording
from tests.auth_clients import signed_in_client

DAY0 = dt.date.today() - dt.timedelta(days=60)
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
IDENTITY = Wording(gettext=lambda m: m, number=lambda v: f"{v:g}", date=lambda d: d.isoformat())

EVENTS: tuple[tuple[EventType, int, dict[str, Any]], ...] = (
    (EventType.NEUTROPHIL_ENGRAFTMENT, 15, {}),
    (EventType.PLATELET_ENGRAFTMENT, 22, {}),
    (EventType.ACUTE_GVHD, 25, {"grade": 2}),
    (EventType.GRAFT_FAILURE, 30, {"kind": "secondary"}),
)
UNLINKED_DAY = 40  # a relapse outside any episode (post-infusion events belong to one)

MARKS = {
    "en": ("(derived by monitoring)", "(derived by monitoring, to be confirmed)"),
    "zh_Hans": ("（由监测系统推导）", "（由监测系统推导，待确认）"),
}
NAMES = {
    "en": {
        EventType.NEUTROPHIL_ENGRAFTMENT: "Neutrophil engraftment",
        EventType.PLATELET_ENGRAFTMENT: "Platelet engraftment",
        EventType.ACUTE_GVHD: "Acute GVHD",
        EventType.GRAFT_FAILURE: "Graft failure",
    },
    "zh_Hans": {
        EventType.NEUTROPHIL_ENGRAFTMENT: "中性粒细胞植入",
        EventType.PLATELET_ENGRAFTMENT: "血小板植入",
        EventType.ACUTE_GVHD: "急性移植物抗宿主病",
        EventType.GRAFT_FAILURE: "植入失败",
    },
}


@dataclass(frozen=True)
class Registry:
    app: FastAPI
    engine: Engine
    derived: int
    entered: int


def _insert_derived(engine: Engine, patient: int, episode: int | None, kind: EventType, day: int, details: Any) -> None:
    with engine.begin() as connection:  # as the monitoring writes its events
        connection.execute(
            ClinicalEvent.__table__.insert().values(
                patient_id=patient,
                episode_id=episode,
                event_type=kind,
                event_date=DAY0 + dt.timedelta(days=day),
                source=EventSource.DERIVED,
                details=details,
                version=1,
            )
        )


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('derived') / 'engraft.db'}")
    app = create_application(engine, validate_hla=False)
    service = RegistryService(make_session_factory(engine), actor="test", typing_validator=lambda _gl: None)
    service.create_centre(CentreIn(code="C1", name="Centre One", country="GB"))
    ids = {}
    for who in ("derived", "entered"):
        patient = service.create_patient(
            PatientIn(
                centre="C1",
                sex=Sex.FEMALE,
                birth_date=dt.date(1975, 3, 4),
                identity=IdentityIn(given_name=who.title(), family_name="Example", mrn=f"MRN-{who}"),
            )
        ).id
        episode = service.create_episode(
            EpisodeIn(
                patient_id=patient,
                centre="C1",
                transplant_type=TransplantType.AUTOLOGOUS,
                graft_source=GraftSource.PERIPHERAL_BLOOD,
                day0=DAY0,
            )
        ).id
        placed = [(episode, kind, day, details) for kind, day, details in EVENTS]
        placed.append((None, EventType.RELAPSE, UNLINKED_DAY, {}))
        for episode_id, kind, day, details in placed:
            if who == "derived":
                _insert_derived(engine, patient, episode_id, kind, day, details)
            else:
                service.create_event(
                    EventIn(
                        patient_id=patient,
                        episode_id=episode_id,
                        event_type=kind,
                        event_date=DAY0 + dt.timedelta(days=day),
                        source=EventSource.MANUAL,
                        details=details,
                    )
                )
        ids[who] = patient
    yield Registry(app, engine, ids["derived"], ids["entered"])
    engine.dispose()


@pytest.fixture(scope="module")
def physician(registry: Registry) -> Iterator[TestClient]:
    with ExitStack() as stack:
        yield stack.enter_context(signed_in_client(registry.app, Role.PHYSICIAN))


def _page(client: TestClient, patient: int, locale: str) -> str:
    client.cookies.set(LANGUAGE_COOKIE, locale)
    response = client.get(f"/patients/{patient}?window=all")
    assert response.status_code == 200
    return html.unescape(response.text)


def _course_rows(text: str) -> dict[int, str]:
    """The course list's "What" by day (the events' rows: the only ones on these pages)."""
    rows = re.findall(r'<tr><td class="number">([^<]+)</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td></tr>', text)
    return {int(day.replace("+", "")): what for day, what in rows}


def _event(kind: EventType, source: EventSource, details: dict[str, Any]) -> EventOut:
    return EventOut(
        id=1,
        version=1,
        created_at=NOW,
        updated_at=NOW,
        patient_id=1,
        episode_id=1,
        event_type=kind,
        event_date=DAY0,
        source=source,
        details=details,
    )


@pytest.mark.parametrize(
    ("kind", "source", "details", "expected"),
    [
        pytest.param(EventType.GRAFT_FAILURE, EventSource.DERIVED, {"kind": "primary"},
                     "Graft failure (derived by monitoring, to be confirmed)", id="graft-failure-derived"),
        pytest.param(EventType.GRAFT_FAILURE, EventSource.MANUAL, {"kind": "primary"}, "Graft failure",
                     id="graft-failure-entered"),
        pytest.param(EventType.GRAFT_FAILURE, EventSource.REGISTRY_IMPORT, {"kind": "primary"}, "Graft failure",
                     id="graft-failure-imported"),
        pytest.param(EventType.NEUTROPHIL_ENGRAFTMENT, EventSource.DERIVED, {},
                     "Neutrophil engraftment (derived by monitoring)", id="neutrophil-derived"),
        pytest.param(EventType.PLATELET_ENGRAFTMENT, EventSource.DERIVED, {},
                     "Platelet engraftment (derived by monitoring)", id="platelet-derived"),
        pytest.param(EventType.ACUTE_GVHD, EventSource.DERIVED, {"grade": 3},
                     "Acute GVHD (grade 3) (derived by monitoring)", id="acute-gvhd-derived"),
        pytest.param(EventType.ACUTE_GVHD, EventSource.MANUAL, {"grade": 3}, "Acute GVHD (grade 3)",
                     id="acute-gvhd-entered"),
    ],
)  # fmt: skip
def test_event_label_says_whether_the_monitoring_derived_it(
    kind: EventType, source: EventSource, details: dict[str, Any], expected: str
) -> None:
    assert event_label(_event(kind, source, details), IDENTITY) == expected


LOCALES = [pytest.param("en", id="en"), pytest.param("zh_Hans", id="zh_Hans")]
CASES = [pytest.param(kind, day, id=kind.value.replace(" ", "-")) for kind, day, _details in EVENTS]


@pytest.mark.parametrize(("kind", "day"), CASES)
@pytest.mark.parametrize("locale", LOCALES)
def test_course_list_and_timeline_mark_derived_events_only(
    physician: TestClient, registry: Registry, locale: str, kind: EventType, day: int
) -> None:
    derived_mark, to_confirm_mark = MARKS[locale]
    mark = to_confirm_mark if kind is EventType.GRAFT_FAILURE else derived_mark
    name = NAMES[locale][kind]
    derived = _page(physician, registry.derived, locale)
    entered = _page(physician, registry.entered, locale)
    derived_what, entered_what = _course_rows(derived)[day], _course_rows(entered)[day]
    assert derived_what.startswith(name) and derived_what.endswith(mark)
    assert entered_what.startswith(name) and derived_mark not in entered_what and to_confirm_mark not in entered_what
    tooltip = re.compile(rf"<title>\+{day}: ([^<]*)</title>")
    assert [t for t in tooltip.findall(derived) if t.startswith(name)] == [derived_what]  # the timeline (SVG)
    assert [t for t in tooltip.findall(entered) if t.startswith(name)] == [entered_what]


@pytest.mark.parametrize("locale", LOCALES)
def test_engraftment_days_and_unlinked_events_mark_derived_ones_only(
    physician: TestClient, registry: Registry, locale: str
) -> None:
    derived_mark, to_confirm_mark = MARKS[locale]
    derived = _page(physician, registry.derived, locale)
    entered = _page(physician, registry.entered, locale)
    engraftment = re.compile(r'<div class="engraftment">.*?</dl>', re.S)
    derived_days, entered_days = engraftment.findall(derived)[0], engraftment.findall(entered)[0]
    assert derived_days.count(derived_mark) == 2  # neutrophil and platelet
    assert derived_mark not in entered_days
    unlinked = re.compile(r'<section aria-labelledby="other-events-heading">.*?</ul>', re.S)
    relapse = {"en": "Relapse", "zh_Hans": "复发"}[locale]
    assert f": {relapse} {derived_mark}</li>" in unlinked.findall(derived)[0]
    assert f": {relapse}</li>" in unlinked.findall(entered)[0]
    for mark in (derived_mark, to_confirm_mark):
        assert mark not in entered


def test_a_derived_engraftment_day_gives_way_to_an_entered_one() -> None:
    derived = _event(EventType.NEUTROPHIL_ENGRAFTMENT, EventSource.DERIVED, {})
    entered = _event(EventType.NEUTROPHIL_ENGRAFTMENT, EventSource.MANUAL, {}).model_copy(
        update={"event_date": DAY0 + dt.timedelta(days=3)}
    )
    only_derived = recorded_engraftment([derived], DAY0, EventType.NEUTROPHIL_ENGRAFTMENT)
    assert only_derived is not None and only_derived.derived and only_derived.day == 0
    both = recorded_engraftment([derived, entered], DAY0, EventType.NEUTROPHIL_ENGRAFTMENT)
    assert both is not None and not both.derived and both.day == 3
