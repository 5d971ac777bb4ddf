"""Activity report (EBMT survey layout): counts, indication groups, typed rows, years and the chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.io.figures import save_figure
from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.activity import (
    ALL_CENTRES,
    COLUMNS,
    INDICATION_ORDER,
    ActivityReport,
    activity_figure,
    activity_of_table,
    activity_report,
    disease_group,
    report_years,
)
from engraft.registry.outcome_data import load_outcome_table
from engraft.registry.service import RegistryService
from tests.outcomes.test_registry_endpoints import small_registry


@pytest.mark.parametrize(
    ("code", "group"),
    [
        pytest.param("C92.0", "AML", id="aml"),
        pytest.param("C92.1", "CML", id="cml-before-aml-prefix"),
        pytest.param("C91.0", "ALL", id="all"),
        pytest.param("C91.1", "CLL", id="cll"),
        pytest.param("D46.2", "MDS/MPN", id="mds"),
        pytest.param("D47.4", "MDS/MPN", id="myelofibrosis"),
        pytest.param("C90.0", "Plasma cell disorders", id="myeloma"),
        pytest.param("E85.8", "Plasma cell disorders", id="al-amyloidosis"),
        pytest.param("C81.9", "Hodgkin lymphoma", id="hodgkin"),
        pytest.param("C83.3", "Non-Hodgkin lymphoma", id="dlbcl"),
        pytest.param("C74.9", "Solid tumours", id="neuroblastoma"),
        pytest.param("C62.9", "Solid tumours", id="germ-cell"),
        pytest.param("D61.3", "Bone marrow failure", id="saa"),
        pytest.param("D57.1", "Haemoglobinopathies", id="sickle-cell"),
        pytest.param("D81.9", "Primary immune deficiencies", id="scid"),
        pytest.param("G35", "Autoimmune disease", id="multiple-sclerosis"),
        pytest.param("E76.0", "Inherited disorders of metabolism", id="mps"),
        pytest.param("Z99.9", "Other", id="unlisted"),
        pytest.param("  ", "missing", id="blank"),
    ],
)
def test_disease_group(code: str, group: str) -> None:
    assert disease_group(code) == group
    assert group in INDICATION_ORDER


def _example() -> dict[str, Any]:
    return {
        "centre": ["A", "A", "A", "B", "B", "B"],
        "year": [2021, 2021, 2022, 2021, 2022, 2022],
        "transplant_type": ["allogeneic", "autologous", "allogeneic", "allogeneic", "autologous", "allogeneic"],
        "donor_relation": [
            "matched sibling",
            "autologous",
            "haploidentical",
            "cord blood unit",
            "autologous",
            "mismatched unrelated",
        ],
        "graft_source": [
            "bone marrow",
            "peripheral blood",
            "peripheral blood",
            "cord blood",
            "peripheral blood",
            "peripheral blood",
        ],
        "icd10": ["C92.0", "C90.0", "C92.0", "C91.0", "C90.0", "D46.2"],
        "sequence_number": [1, 1, 2, 1, 2, 1],
    }


def test_counts_per_centre_year_and_indication() -> None:
    report = activity_report(**_example())
    assert report.years == (2021, 2022) and report.centres == ("A", "B")
    by = {(r.centre, r.year): r for r in report.by_year}
    assert by[(ALL_CENTRES, 2021)].total == 3
    assert by[(ALL_CENTRES, 2022)].auto == 1 and by[(ALL_CENTRES, 2022)].allo_total == 2
    assert by[("A", 2021)].allo_family_hla_identical == 1
    assert by[("A", 2022)].allo_family_non_identical == 1 and by[("A", 2022)].subsequent_transplant == 1
    assert by[("B", 2021)].allo_unrelated == 1 and by[("B", 2021)].cord_blood == 1
    assert by[("B", 2022)].auto_first == 0 and by[("B", 2022)].allo_first == 1
    ind = {(r.centre, r.year, r.indication): r for r in report.by_indication}
    assert ind[(ALL_CENTRES, 2022, "AML")].allo_family_non_identical == 1
    assert ind[(ALL_CENTRES, 2022, "MDS/MPN")].allo_unrelated == 1
    assert (ALL_CENTRES, 2022, "CML") not in ind, "empty cells are left out"
    only = activity_report(**_example(), years=[2022])
    assert only.years == (2022,) and all(r.year == 2022 for r in only.by_year)


def test_json_round_trip_and_figure(tmp_path: Path) -> None:
    report = activity_report(**_example())
    doc = json.loads(report.model_dump_json())
    assert doc["columns"] == list(COLUMNS) and len(doc["by_year"]) == 6
    assert {r["indication"] for r in doc["by_indication"]} == {"AML", "Plasma cell disorders", "ALL", "MDS/MPN"}
    assert ActivityReport.model_validate(doc) == report
    written = save_figure(activity_figure(report), tmp_path / "activity")
    assert [p.suffix for p in written] == [".png", ".svg"]
    assert written[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in written[1].read_text()
    with pytest.raises(OutcomeInputError, match="centre"):
        activity_figure(report, "Z")


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        pytest.param(None, None, [2019, 2020, 2021], id="years-of-the-transplants"),
        pytest.param(2020, None, [2020, 2021], id="from-first-year"),
        pytest.param(2023, None, [2023], id="first-year-after-the-data-is-one-empty-year"),
        pytest.param(None, 2018, [2018], id="last-year-before-the-data-is-one-empty-year"),
        pytest.param(None, 2020, [2019, 2020], id="to-last-year"),
        pytest.param(2017, 2018, [2017, 2018], id="both-bounds-outside-the-data"),
    ],
)
def test_report_years(first: int | None, last: int | None, expected: list[int]) -> None:
    assert report_years([2021, 2019, 2019], first, last) == expected


def test_report_years_refusals() -> None:
    with pytest.raises(OutcomeInputError, match=r"last_year: got 2019; expected a year >= first_year \(2020\)"):
        report_years([2021], 2020, 2019)
    with pytest.raises(OutcomeInputError, match="got no transplants"):
        report_years([], 2020, None)
    assert report_years([], 2020, 2021) == [2020, 2021]


def test_refuses_bad_input() -> None:
    bad = _example()
    bad["transplant_type"][0] = "xenogeneic"
    with pytest.raises(OutcomeInputError, match=r"transplant_type\[0\]"):
        activity_report(**bad)
    short = _example()
    short["centre"] = short["centre"][:-1]
    with pytest.raises(OutcomeInputError, match="centre"):
        activity_report(**short)


labels = st.sampled_from(["matched sibling", "haploidentical", "matched unrelated", "cord blood unit", ""])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.integers(2018, 2024),
            st.booleans(),
            labels,
            st.sampled_from(["bone marrow", "peripheral blood", "cord blood"]),
            st.sampled_from(["C92.0", "C90.0", "D61.3", "X00", ""]),
            st.integers(1, 3),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_counts_add_up(rows: list[tuple[Any, ...]]) -> None:
    cols = list(zip(*rows, strict=True))
    allo = np.asarray(cols[2])
    report = activity_report(
        centre=cols[0],
        year=cols[1],
        transplant_type=np.where(allo, "allogeneic", "autologous"),
        donor_relation=np.where(allo, np.asarray(cols[3]), "autologous"),
        graft_source=cols[4],
        icd10=cols[5],
        sequence_number=cols[6],
    )
    total = 0
    for r in report.by_year:
        assert r.total == r.allo_total + r.auto == r.first_transplant + r.subsequent_transplant
        assert r.allo_total == sum(getattr(r, c) for c in COLUMNS[:4])
        assert r.total == r.bone_marrow + r.peripheral_blood + r.cord_blood
        if r.centre == ALL_CENTRES:
            total += r.total
            per_centre = sum(x.total for x in report.by_year if x.year == r.year and x.centre != "ALL")
            assert per_centre == r.total
            by_ind = sum(x.total for x in report.by_indication if x.year == r.year and x.centre == "ALL")
            assert by_ind == r.total
    assert total == len(rows)


def test_activity_from_the_outcome_table(service: RegistryService, engine: Any) -> None:
    """The registry's activity counts the columns of the one outcome-table read."""
    small_registry(service)
    table = load_outcome_table(engine)
    assert len(table) == 6
    report = activity_of_table(table)
    overall = {r.year: r for r in report.by_year if r.centre == ALL_CENTRES}
    assert overall[2022].total == 6
    assert overall[2022].auto == 1 and overall[2022].allo_family_hla_identical == 4
    assert overall[2022].allo_family_non_identical == 1 and overall[2022].subsequent_transplant == 1
    only_c2 = activity_of_table(load_outcome_table(engine, centre="C2"))
    assert only_c2.centres == ("C2",) and only_c2.by_year[0].total == 2
