"""The outcomes page's answers: the same queries as the API, numbers at risk, and downloads as files."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import Engine

from engraft.outcomes.queries import CompetingRiskQuery, EndpointName, GroupField, SurvivalQuery
from engraft.registry.outcome_service import survival_analysis
from engraft.registry.service import RegistryService
from engraft.web.pages.outcomes_view import (
    Analysis,
    Download,
    DownloadFormat,
    OutcomeChoice,
    at_risk_table,
    download,
    endpoint_answer,
)
from tests.outcomes.test_registry_endpoints import small_registry


@pytest.fixture
def registry_engine(engine: Engine, service: RegistryService) -> Engine:
    small_registry(service)
    return engine


@pytest.mark.parametrize(
    ("choice", "query_type", "analysis"),
    [
        pytest.param(OutcomeChoice(), SurvivalQuery, Analysis.SURVIVAL, id="default-os"),
        pytest.param(OutcomeChoice(endpoint=EndpointName.GRFS), SurvivalQuery, Analysis.SURVIVAL, id="grfs"),
        pytest.param(
            OutcomeChoice(endpoint=EndpointName.NRM, cause=2), CompetingRiskQuery, Analysis.INCIDENCE, id="nrm-cause-2"
        ),
    ],
)
def test_choice_asks_the_typed_query(choice: OutcomeChoice, query_type: type, analysis: Analysis) -> None:
    query = choice.endpoint_query()
    assert isinstance(query, query_type) and choice.analysis is analysis
    assert query.endpoint.value == choice.endpoint.value


def test_the_page_answers_as_the_api(registry_engine: Engine) -> None:
    choice = OutcomeChoice(group_by=GroupField.TRANSPLANT_TYPE)
    answer = endpoint_answer(registry_engine, choice)
    direct = survival_analysis(registry_engine, SurvivalQuery(group_by=GroupField.TRANSPLANT_TYPE, time_unit="months"))
    assert answer.summary == direct.summary
    assert {g.group: g.n for g in answer.summary.groups} == {"allogeneic": 4, "autologous": 1}


def test_numbers_at_risk_start_with_each_groups_size(registry_engine: Engine) -> None:
    answer = endpoint_answer(registry_engine, OutcomeChoice(group_by=GroupField.TRANSPLANT_TYPE))
    table = at_risk_table(answer)
    assert table.times[0] == 0.0 and len(table.times) >= 2
    assert dict((group, counts[0]) for group, counts in table.rows) == {"allogeneic": 4, "autologous": 1}
    for _, counts in table.rows:
        assert list(counts) == sorted(counts, reverse=True), "never more at risk later"


@pytest.mark.parametrize(
    ("what", "fmt", "media_type", "filename", "magic"),
    [
        pytest.param(
            Download.CURVES, DownloadFormat.PNG, "image/png", "engraft-os-by-centre.png", b"\x89PNG", id="curves-png"
        ),
        pytest.param(
            Download.CURVES, DownloadFormat.SVG, "image/svg+xml", "engraft-os-by-centre.svg", b"<?xml", id="curves-svg"
        ),
        pytest.param(
            Download.CURVES,
            DownloadFormat.CSV,
            "text/csv; charset=utf-8",
            "engraft-os-by-centre.csv",
            b"group,time,n_risk",
            id="curves-csv",
        ),
        pytest.param(
            Download.ACTIVITY, DownloadFormat.PNG, "image/png", "engraft-activity.png", b"\x89PNG", id="activity-png"
        ),
        pytest.param(
            Download.ACTIVITY, DownloadFormat.SVG, "image/svg+xml", "engraft-activity.svg", b"<?xml", id="activity-svg"
        ),
        pytest.param(
            Download.ACTIVITY,
            DownloadFormat.CSV,
            "text/csv; charset=utf-8",
            "engraft-activity.csv",
            b"centre,year,",
            id="activity-csv",
        ),
        pytest.param(
            Download.ACTIVITY_BY_INDICATION,
            DownloadFormat.CSV,
            "text/csv; charset=utf-8",
            "engraft-activity-by-indication.csv",
            b"centre,year,indication,",
            id="activity-by-indication-csv",
        ),
        pytest.param(
            Download.BENCHMARK, DownloadFormat.PNG, "image/png", "engraft-benchmark.png", b"\x89PNG", id="benchmark-png"
        ),
        pytest.param(
            Download.BENCHMARK,
            DownloadFormat.SVG,
            "image/svg+xml",
            "engraft-benchmark.svg",
            b"<?xml",
            id="benchmark-svg",
        ),
        pytest.param(
            Download.BENCHMARK,
            DownloadFormat.CSV,
            "text/csv; charset=utf-8",
            "engraft-benchmark.csv",
            b"centre,n,",
            id="benchmark-csv",
        ),
    ],
)
def test_downloads(
    registry_engine: Engine, what: Download, fmt: DownloadFormat, media_type: str, filename: str, magic: bytes
) -> None:
    choice = OutcomeChoice(group_by=GroupField.CENTRE, n_bootstrap=200)
    file = download(registry_engine, what, fmt, choice)
    assert file.media_type == media_type and file.filename == filename
    assert file.content.startswith(magic) and len(file.content) > 100
    assert file.content_disposition == f'attachment; filename="{filename}"'
    if fmt is DownloadFormat.CSV:
        rows = list(csv.reader(io.StringIO(file.content.decode())))
        assert len(rows) >= 2


def test_activity_by_indication_is_a_table_only(registry_engine: Engine) -> None:
    with pytest.raises(ValueError, match="expected 'csv'"):
        download(registry_engine, Download.ACTIVITY_BY_INDICATION, DownloadFormat.PNG, OutcomeChoice())


@pytest.mark.parametrize(
    ("choice", "slug"),
    [
        pytest.param(OutcomeChoice(), "os", id="plain"),
        pytest.param(OutcomeChoice(endpoint=EndpointName.RELAPSE, cause=2), "relapse-cause2", id="cause"),
        pytest.param(OutcomeChoice(centre="C1", group_by=GroupField.YEAR), "os-by-year-C1", id="group-centre"),
        pytest.param(OutcomeChoice(centre="C/1:x"), "os-C_1_x", id="centre-code-made-safe"),
    ],
)
def test_file_names(choice: OutcomeChoice, slug: str) -> None:
    assert choice.slug() == slug
