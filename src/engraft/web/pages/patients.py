"""The transplant team's patient pages: the list at ``/patients`` and one patient at ``/patients/{id}``.

Both need :attr:`Permission.PATIENT_READ`. Names, MRNs and exact birth dates appear only for a principal
with :attr:`Permission.PATIENT_IDENTITY_READ` (``principal.sees_identity``); for anyone else the search box
is not on the page and the name and MRN sorts are refused. The registry reads act for the signed-in
principal (:func:`engraft.api.auth.acting_registry`), so the audit log names who read what: a list page
with identity is one audit entry, a patient page one (:meth:`RegistryService.get_patient`).

The list is a GET form: filters, sort and paging are query parameters, so every state has a URL and works
without JavaScript. With htmx the form and the links fetch only the results (``HX-Request``; the response
is the ``_results.html`` fragment) and push the URL.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from engraft.access import Permission, Principal
from engraft.api.auth import acting_registry
from engraft.registry.consent_records import list_consent_records
from engraft.registry.errors import InvalidRecord, RecordNotFound
from engraft.registry.patient_list import PatientListPage, centre_codes, list_patients_for
from engraft.registry.patient_list_query import DISEASE_GROUPS, CarePhase, PatientListQuery, PatientSort
from engraft.registry.patient_record import read_chart_series, read_patient_record
from engraft.registry.schemas.common import MAX_RECORD_ID
from engraft.registry.service import MAX_PAGE
from engraft.vocabulary import EventType
from engraft.web.core_text import core_wording
from engraft.web.error_pages import error_page
from engraft.web.i18n import N_
from engraft.web.pages.consent import DECISION_LABELS
from engraft.web.pages.patient_words import PATIENT_WORDS, PHASE_LABELS, episode_kinds, kind_numbers, phase_label
from engraft.web.pages.patients_course import episode_course, event_label
from engraft.web.pages.patients_hla import hla_rows
from engraft.web.pages.patients_labs import CHART_LOINCS, CHARTS_BY_KEY, EARLY_WINDOW, lab_table, unit_display
from engraft.web.pages.patients_panels import AlertContext, collect_alerts
from engraft.web.pages.patients_wording import Wording, derived_mark
from engraft.web.pages_common import require_page
from engraft.web.sections import Section, register
from engraft.web.templating import date_text, decimal_text, language_of, render, translate

SECTION = register(
    Section(
        "patients",
        N_("Patients"),
        "/patients",
        Permission.PATIENT_READ,
        order=10,
        summary=N_("Find a patient; open the record with its transplant course, lab charts, donor and HLA typing."),
    )
)

router = APIRouter(include_in_schema=False)

PAGE_SIZES: Final = (25, 50, 100)
SORT_LABELS: Final[dict[PatientSort, str]] = {
    PatientSort.LATEST_TRANSPLANT: N_("Latest transplant or infusion"),
    PatientSort.NAME: N_("Name"),
    PatientSort.MRN: N_("MRN"),
    PatientSort.REGISTRY_ID: N_("Registry ID"),
}
GROUP_LABELS: Final[dict[str, str]] = {
    "AML": N_("AML"),
    "ALL": N_("ALL"),
    "CML": N_("CML"),
    "CLL": N_("CLL"),
    "MDS/MPN": N_("MDS/MPN"),
    "Other leukaemia": N_("Other leukaemia"),
    "Plasma cell disorders": N_("Plasma cell disorders"),
    "Hodgkin lymphoma": N_("Hodgkin lymphoma"),
    "Non-Hodgkin lymphoma": N_("Non-Hodgkin lymphoma"),
    "Bone marrow failure": N_("Bone marrow failure"),
    "Haemoglobinopathies": N_("Haemoglobinopathies"),
    "Primary immune deficiencies": N_("Primary immune deficiencies"),
    "Autoimmune disease": N_("Autoimmune disease"),
    "Inherited disorders of metabolism": N_("Inherited disorders of metabolism"),
    "Solid tumours": N_("Solid tumours"),
    "Other": N_("Other diagnosis"),
    "missing": N_("No diagnosis recorded"),
}
VALUE_LABELS: Final[dict[str, str]] = {
    # enumeration values as the record pages print them
    "male": N_("male"),
    "female": N_("female"),
    "other": N_("other"),
    "unknown": N_("unknown"),
    "positive": N_("positive"),
    "negative": N_("negative"),
    "equivocal": N_("equivocal"),
    "autologous": N_("autologous"),
    "allogeneic": N_("allogeneic"),
    "bone marrow": N_("bone marrow"),
    "peripheral blood": N_("peripheral blood"),
    "cord blood": N_("cord blood"),
    "haematopoietic cell transplant": N_("haematopoietic cell transplant"),
    "immune effector cell therapy": N_("immune effector cells (CAR-T)"),
    "matched sibling": N_("matched sibling"),
    "haploidentical": N_("haploidentical"),
    "other related": N_("other related"),
    "matched unrelated": N_("matched unrelated"),
    "mismatched unrelated": N_("mismatched unrelated"),
    "cord blood unit": N_("cord blood unit"),
    "eligible": N_("eligible"),
    "ineligible": N_("ineligible"),
}

PatientId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
EpisodeId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]


def _wording(request: Request) -> Wording:
    """The page language's gettext and formats, for text built in Python (chart labels and tooltips)."""
    locale = language_of(request).locale
    return Wording(
        gettext=lambda message: translate(request, message),
        number=lambda value: decimal_text(value, None, locale),
        date=lambda value: date_text(value, "medium", locale),
    )


def _list_url(params: dict[str, Any], **changes: Any) -> str:
    """The list's URL with ``params`` changed by ``changes`` (empty values and page 1 left out)."""
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v not in (None, "") and not (k == "page" and v == 1)}
    return "/patients" + (f"?{urlencode(kept)}" if kept else "")


@router.get("/patients", response_class=HTMLResponse, name="patient_list")
def patient_list(
    request: Request,
    principal: Annotated[Principal, Depends(require_page(Permission.PATIENT_READ))],
    q: Annotated[str, Query(max_length=200)] = "",
    centre: Annotated[str, Query(max_length=32)] = "",
    group: Annotated[str, Query(max_length=64)] = "",
    phase: Annotated[str, Query(max_length=32)] = "",
    sort: Annotated[str, Query(max_length=32)] = "",
    order: Annotated[str, Query(max_length=4)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE_SIZES[0],
) -> HTMLResponse:
    """The patient list: search (identity only), filters, sort and paging; htmx gets the results alone."""
    sees_identity = principal.sees_identity
    registry = acting_registry(request)
    params: dict[str, Any] = {
        "q": q.strip() if sees_identity else "",
        "centre": centre,
        "group": group,
        "phase": phase,
        "sort": sort,
        "order": order,
        "size": size if size != PAGE_SIZES[0] else None,
    }
    problems: list[str] = []
    result: PatientListPage | None = None
    chosen_sort = _choice(PatientSort, sort, PatientSort.LATEST_TRANSPLANT, "sort", problems)
    chosen_phase = _choice(CarePhase, phase, None, "phase", problems)
    if size not in PAGE_SIZES:
        problems.append(f"size={size}: expected one of {', '.join(map(str, PAGE_SIZES))}")
    if order not in ("", "asc", "desc"):
        problems.append(f"order={order!r}: expected asc or desc")
    if q.strip() and not sees_identity:
        problems.append("q: searching by name or MRN needs the right to see identity")
    descending = order == "desc" if order else chosen_sort is PatientSort.LATEST_TRANSPLANT
    if not problems:
        try:
            query = PatientListQuery(
                as_of=dt.date.today(),
                include_identity=sees_identity,
                search=q or None,
                centre=centre or None,
                disease_group=group or None,
                phase=chosen_phase,
                sort=chosen_sort,
                descending=descending,
                limit=size,
                offset=(page - 1) * size,
            )
            result = list_patients_for(registry, query)
        except InvalidRecord as exc:
            problems.extend(f"{p.field}={p.value!r}: expected {p.expected}" for p in exc.problems)
    context = {
        "result": result,
        "problems": problems,
        "params": params,
        "page": page,
        "size": size,
        "page_sizes": PAGE_SIZES,
        "sees_identity": sees_identity,
        "centres": centre_codes(registry),
        "groups": [(g, GROUP_LABELS[g]) for g in DISEASE_GROUPS],
        "phases": [(p.value, PHASE_LABELS[p]) for p in CarePhase],
        "phase_label": lambda row: phase_label(row.phase, row.latest_day0, row.latest_cell_therapy),
        "sort": chosen_sort.value,
        "descending": descending,
        "sort_labels": {s.value: label for s, label in SORT_LABELS.items()},
        "list_url": lambda **changes: _list_url({**params, "page": page}, **changes),
        "value_labels": VALUE_LABELS,
    }
    status = 400 if problems else 200
    fragment = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "patient-results"
    template = "patients/_results.html" if fragment else "patients/list.html"
    return render(request, template, context, status_code=status, headers={"Vary": "HX-Request"})


def _choice(enum: Any, value: str, default: Any, name: str, problems: list[str]) -> Any:
    if not value:
        return default
    try:
        return enum(value)
    except ValueError:
        problems.append(f"{name}={value!r}: expected one of {', '.join(m.value for m in enum)}")
        return default


@router.get("/patients/{patient_id}", response_class=HTMLResponse, name="patient_record")
def patient_record(
    request: Request,
    patient_id: PatientId,
    principal: Annotated[Principal, Depends(require_page(Permission.PATIENT_READ))],
    window: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    """One patient: identity (when allowed), diagnoses, each transplant's course, labs, donor, graft and HLA."""
    registry = acting_registry(request)
    try:  # one connection for the whole record; the identifying read audited once
        record = read_patient_record(registry, patient_id, principal.sees_identity, CHART_LOINCS)
    except RecordNotFound:
        return error_page(request, 404)
    patient, episodes, events, donors = record.patient, record.episodes, record.events, record.donors
    visits, assessments, observations = record.visits, record.assessments, record.observations
    chosen_window = None if window == "all" else EARLY_WINDOW
    wording = _wording(request)
    numbers = kind_numbers(episodes)
    courses = []
    for episode in episodes:
        course = episode_course(
            episode,
            observations,
            [e for e in events if e.episode_id == episode.id],
            [v for v in visits if v.episode_id == episode.id],
            [a for a in assessments if a.episode_id == episode.id],
            wording,
            window=chosen_window,
            single_episode=len(episodes) == 1,
            number=numbers[episode.id],
        )
        episode_donors = [donors[d] for d in episode.donor_ids]
        hla = hla_rows(patient.hla_gl_string, [d.hla_gl_string for d in episode_donors])
        consents = list_consent_records(registry, episode.id)
        courses.append(
            {
                "episode": episode,
                "number": numbers[episode.id],
                "course": course,
                "donors": episode_donors,
                "hla": hla,
                "consents": consents,
            }
        )
    unlinked_events = [e for e in events if e.episode_id is None]
    deaths = sorted((e for e in events if e.event_type is EventType.DEATH), key=lambda e: e.event_date)
    alerts = collect_alerts(
        AlertContext(
            principal,
            registry,
            patient_id,
            [e.id for e in episodes],
            lambda m: translate(request, m),
            core_wording(language_of(request).code),
        )
    )
    today = dt.date.today()
    context = {
        "patient": patient,
        "sees_identity": principal.sees_identity,
        "may_assess": principal.may(Permission.RISK_ASSESS),
        "may_search_donors": principal.may(Permission.DONOR_SEARCH),
        "may_record_consent": principal.may(Permission.PATIENT_WRITE),
        "decision_labels": DECISION_LABELS,
        "diagnoses": record.diagnoses,
        "courses": courses,
        "patient_words": PATIENT_WORDS[episode_kinds(e.cell_therapy for e in episodes)],
        "unlinked_events": unlinked_events,
        "death": deaths[0] if deaths else None,
        "alerts": alerts,
        "window": "all" if chosen_window is None else "",
        "early_window": EARLY_WINDOW,
        "today": today,
        "value_labels": VALUE_LABELS,
        "event_label": lambda event: event_label(event, wording),
        "derived_mark": derived_mark,
        "unit_display": unit_display,
        "day_label": wording.day,
        "age": _age(patient.birth_date, today),
        "language_code": language_of(request).code,
    }
    return render(request, "patients/record.html", context)


@router.get(
    "/patients/{patient_id}/episodes/{episode_id}/labs/{chart}", response_class=HTMLResponse, name="patient_lab_values"
)
def patient_lab_values(
    request: Request,
    patient_id: PatientId,
    episode_id: EpisodeId,
    chart: Annotated[str, Path(max_length=32)],
    principal: Annotated[Principal, Depends(require_page(Permission.PATIENT_READ))],
    window: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    """One lab chart's values as a table, on request: the patient page's "Values as a table" fetches it with
    htmx (``HX-Request``: the table alone); without JavaScript its link opens it as a page.

    It shows lab values by day and no identity (not even the registry ID), so it is not an identifying read
    and writes no audit entry: the patient page that links here wrote the one of the view."""
    spec = CHARTS_BY_KEY.get(chart)
    if spec is None:
        return error_page(request, 404)
    episodes, observations = read_chart_series(acting_registry(request), patient_id, spec.loincs)
    episode = next((e for e in episodes if e.id == episode_id), None)
    if episode is None:
        return error_page(request, 404)
    chosen_window = None if window == "all" else EARLY_WINDOW
    table = lab_table(
        chart, episode, observations, _wording(request), window=chosen_window, single_episode=len(episodes) == 1
    )
    if table is None:  # pragma: no cover - the key was checked above
        return error_page(request, 404)
    fragment = request.headers.get("hx-request") == "true"
    context = {
        "table": table,
        "episode": episode,
        "number": kind_numbers(episodes)[episode.id],
        "patient_id": patient_id,
        "window": "all" if chosen_window is None else "",
        "early_window": EARLY_WINDOW,
        "day_label": _wording(request).day,
    }
    template = "patients/_lab_values.html" if fragment else "patients/lab_values.html"
    return render(request, template, context, headers={"Vary": "HX-Request"})


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
