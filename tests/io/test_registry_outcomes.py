"""Registry CSVs (CIBMTR public-dataset layout, EBMT-style export) read through a column mapping.

The BMT and cGVHD datasets of the R reference are written in each registry's layout, imported, and
analysed with the frame interface: the figures must still be R's (cmprsk::cuminc, survfit, survdiff).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.io.outcome_mapping import RegistryLayout, parse_mapping
from engraft.io.registry_outcomes import read_registry_csv
from engraft.outcomes import OutcomeInputError, cumulative_incidence_frame, kaplan_meier_frame
from tests.outcomes import _outcomes_data as data
from tests.outcomes._reference import ref

TOL = 1e-8

CIBMTR_MAPPING = """
layout = "cibmtr"
id = "pseudoid"
time_unit = "months"
missing = ["", "99"]

[endpoints.dfs]
label = "Disease-free survival"
time = "intxrel"
status = "dfs"

[endpoints.relapse]
label = "Relapse, non-relapse mortality competing"
time = "intxrel"
causes = [
    { column = "rel", label = "relapse" },
    { column = "trm", label = "non-relapse mortality" },
]

[covariates.disease]
column = "disease"
codes = { 1 = "ALL", 2 = "AML" }

[covariates.kps]
column = "kps"
codes = { 1 = "90-100", 2 = "< 90" }
"""


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def bmt_cibmtr_csv(path: Path) -> Path:
    """scikit-survival's BMT data (times in months) in the layout of a CIBMTR public dataset."""
    df = data.bmt()
    rows = [
        [
            f"P{i + 1:03d}",
            1 if dis == 0 else 2,
            f"{t:g}",
            int(s == 1),
            int(s == 2),
            int(s > 0),
            "99" if i % 7 == 3 else 1 + i % 2,
        ]
        for i, (t, s, dis) in enumerate(zip(df["time"], df["status"], df["dis"], strict=True))
    ]
    return write_csv(path, ["pseudoid", "disease", "intxrel", "rel", "trm", "dfs", "kps"], rows)


def test_cibmtr_layout_gives_cuminc_and_survfit_figures(tmp_path: Path) -> None:
    imported = read_registry_csv(bmt_cibmtr_csv(tmp_path / "bmt.csv"), parse_mapping(CIBMTR_MAPPING))
    assert imported.mapping.layout is RegistryLayout.CIBMTR and len(imported.ids) == 35
    assert imported.endpoints["relapse"].cause_labels == ("relapse", "non-relapse mortality")
    assert imported.covariates["kps"].count(None) == 5  # "99" is missing
    frame = imported.to_frame("polars")
    cif = cumulative_incidence_frame(
        frame, time="relapse_time", status="relapse_status", by="disease", time_unit="months"
    )
    for label, dis in (("ALL", 0), ("AML", 1)):
        for cause in (1, 2):
            r_time = ref("aj_bmt_dis", f"{dis}_{cause}:time")
            idx = [*range(2, r_time.size - 1, 2), r_time.size - 1]
            at = cif[label].at(r_time[idx], cause)
            np.testing.assert_allclose(at.incidence, ref("aj_bmt_dis", f"{dis}_{cause}:est")[idx], rtol=0, atol=TOL)
            np.testing.assert_allclose(at.variance, ref("aj_bmt_dis", f"{dis}_{cause}:var")[idx], rtol=0, atol=TOL)
    gray = cif.gray_test()
    np.testing.assert_allclose([t.statistic for t in gray.tests], ref("aj_bmt_dis", "test_stat"), rtol=0, atol=TOL)
    km = kaplan_meier_frame(frame, time="dfs_time", event="dfs_status", time_unit="months")
    np.testing.assert_allclose(km["All"].survival, ref("km_bmt_any", "surv"), rtol=0, atol=TOL)
    np.testing.assert_allclose(km["All"].upper, ref("km_bmt_any", "upper"), rtol=0, atol=TOL, equal_nan=True)
    by_disease = kaplan_meier_frame(frame, time="dfs_time", event="dfs_status", by="disease").logrank()
    assert by_disease.statistic == pytest.approx(ref("lr_bmt_dis", "chisq")[0], abs=TOL)


EBMT_CODES_MAPPING = """
layout = "ebmt"
id = "PATIENT_ID"
time_unit = "years"

[endpoints.first_event]
time = "FU_YEARS"
status = "FIRST_EVENT"
codes = { "None" = 0, "cGvHD" = 1, "Relapse" = 2, "Death" = 3 }
cause_labels = ["chronic GVHD", "relapse", "death"]

[covariates.graft]
column = "STEM_CELL_SOURCE"

[covariates.age]
column = "AGE"
numeric = true
"""


def test_ebmt_text_codes_give_cuminc_and_survdiff_figures(tmp_path: Path) -> None:
    df = data.cgvhd()
    names = {0: "None", 1: "cGvHD", 2: "Relapse", 3: "Death"}
    rows = [
        [f"EBMT-{i}", f"{t!r}", names[s], "PB" if pb else "BM", f"{age:g}"]
        for i, (t, s, pb, age) in enumerate(zip(df["time"], df["status"], df["tx_pb"], df["age"], strict=True))
    ]
    path = write_csv(tmp_path / "cgvhd.csv", ["PATIENT_ID", "FU_YEARS", "FIRST_EVENT", "STEM_CELL_SOURCE", "AGE"], rows)
    imported = read_registry_csv(path, parse_mapping(EBMT_CODES_MAPPING))
    frame = imported.to_frame()
    cif = cumulative_incidence_frame(
        frame, time="first_event_time", status="first_event_status", by="graft", causes=(1, 2, 3)
    )
    gray = cif.gray_test()
    np.testing.assert_allclose([t.statistic for t in gray.tests], ref("aj_cgvhd_tx", "test_stat"), rtol=0, atol=TOL)
    r_time = ref("aj_cgvhd_tx", "1_3:time")  # PB, death
    idx = [*range(2, r_time.size - 1, 2), r_time.size - 1]
    np.testing.assert_allclose(cif["PB"].at(r_time[idx], 3).variance, ref("aj_cgvhd_tx", "1_3:var")[idx], atol=TOL)
    km = kaplan_meier_frame(
        frame, time="first_event_time", event="first_event_status", by="graft", event_codes=(1, 2, 3)
    )
    assert km.logrank().statistic == pytest.approx(ref("lr_cgvhd_tx", "chisq")[0], abs=TOL)
    assert imported.endpoint("first_event", time_unit="days").time_unit == "days"


EBMT_DATES_MAPPING = """
layout = "ebmt"
id = "PATIENT_ID"
origin = "HSCT_DATE"
date_format = "%d/%m/%Y"

[endpoints.os]
end = "LAST_FU_DATE"
status = "SURVIVAL"
codes = { "Alive" = 0, "Dead" = 1 }

[endpoints.relapse]
end = "LAST_FU_DATE"
causes = [
    { column = "RELAPSE", yes = ["Yes"], no = ["No"], date = "RELAPSE_DATE", label = "relapse" },
    { column = "SURVIVAL", yes = ["Dead"], no = ["Alive"], label = "non-relapse mortality" },
]
"""
EBMT_HEADER = ["PATIENT_ID", "HSCT_DATE", "LAST_FU_DATE", "SURVIVAL", "RELAPSE", "RELAPSE_DATE"]


def test_ebmt_dates_count_days_and_take_the_first_event(tmp_path: Path) -> None:
    rows = [
        ["A", "01/03/2020", "01/03/2021", "Alive", "No", ""],  # censored at 365 days (2020 is a leap year, March on)
        ["B", "15/01/2021", "14/04/2021", "Dead", "No", ""],  # NRM on day 89
        ["C", "31/12/2019", "30/06/2020", "Dead", "Yes", "01/02/2020"],  # relapse on day 32, then death
        ["D", "01/01/2022", "01/01/2022", "Alive", "No", ""],  # follow-up ends on day 0
    ]
    imported = read_registry_csv(write_csv(tmp_path / "ebmt.csv", EBMT_HEADER, rows), parse_mapping(EBMT_DATES_MAPPING))
    os_, relapse = imported.endpoints["os"], imported.endpoints["relapse"]
    assert os_.time.tolist() == [365.0, 89.0, 182.0, 0.0] and os_.status.tolist() == [0, 1, 1, 0]
    assert relapse.time.tolist() == [365.0, 89.0, 32.0, 0.0] and relapse.status.tolist() == [0, 2, 1, 0]
    assert os_.time_unit == "days"
    text = imported.to_csv("months")
    assert text.splitlines()[0] == "transplant_id,os_time,os_status,relapse_time,relapse_status"
    c = text.splitlines()[3].split(",")
    assert c[0] == "C" and c[2] == c[4] == "1"
    assert float(c[1]) == pytest.approx(182 / 30.4375) and float(c[3]) == pytest.approx(32 / 30.4375)


def test_rows_are_named_by_line_number_without_an_id_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["t", "s"], [[1, 0], [2, 1]])
    mapping = parse_mapping('layout = "cibmtr"\n[endpoints.os]\ntime = "t"\nstatus = "s"\n')
    assert read_registry_csv(path, mapping).ids == ("2", "3")


BAD_EBMT = [
    pytest.param(
        ["E", "01/03/2020", "01/03/2021", "Missing", "No", ""],
        r"ebmt.csv line 3, column 'SURVIVAL': got 'Missing'; expected one of \['Alive', 'Dead'\]",
        id="unknown-status-text",
    ),
    pytest.param(
        ["E", "01/03/2020", "2021-03-01", "Alive", "No", ""],
        r"ebmt.csv line 3, column 'LAST_FU_DATE': got '2021-03-01'; expected a date written %d/%m/%Y",
        id="date-in-another-format",
    ),
    pytest.param(
        ["E", "01/03/2020", "01/02/2020", "Alive", "No", ""],
        r"line 3, column 'LAST_FU_DATE': got '2020-02-01'; expected a date on or after the transplant "
        r"\(HSCT_DATE = 2020-03-01\)",
        id="follow-up-before-transplant",
    ),
    pytest.param(
        ["E", "01/03/2020", "01/03/2021", "Dead", "Yes", ""],
        r"line 3, column 'RELAPSE_DATE': got ''; expected a date written %d/%m/%Y",
        id="relapse-without-its-date",
    ),
    pytest.param(
        ["E", "01/03/2020", "01/03/2021", "Dead", "Yes", "01/03/2021"],
        r"line 3, column 'SURVIVAL': got 'Dead'; expected one first event \(column 'RELAPSE' occurred at the same "
        r"time, 365\)",
        id="relapse-and-death-on-one-day",
    ),
    pytest.param(
        ["E", "01/03/2020", "01/03/2021", "Alive", "Unknown", ""],
        r"line 3, column 'RELAPSE': got 'Unknown'; expected one of \['Yes', 'No'\] \(yes: \['Yes'\]\)",
        id="unknown-indicator",
    ),
    pytest.param(
        ["A", "01/03/2020", "01/03/2021", "Alive", "No", ""],
        r"line 3, column 'PATIENT_ID': got 'A'; expected one row per transplant \(this id is also on line 2\)",
        id="duplicate-id",
    ),
    pytest.param(
        ["E", "01/03/2020", "01/03/2021", "Alive"],
        r"ebmt.csv line 3: got 4 cells; expected 6 \(one per header column\)",
        id="short-row",
    ),
]


@pytest.mark.parametrize(("row", "message"), BAD_EBMT)
def test_bad_rows_are_refused_naming_line_column_value_and_expectation(
    tmp_path: Path, row: list[str], message: str
) -> None:
    good = ["A", "01/03/2020", "01/03/2021", "Alive", "No", ""]
    path = write_csv(tmp_path / "ebmt.csv", EBMT_HEADER, [good, row])
    with pytest.raises(OutcomeInputError, match=message):
        read_registry_csv(path, parse_mapping(EBMT_DATES_MAPPING))


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        pytest.param(
            ["-3", "1", "2"],
            r"line 3, column 'intxrel': got '-3'; expected a time from transplant in months",
            id="negative",
        ),
        pytest.param(["12a", "1", "2"], r"line 3, column 'intxrel': got '12a'; expected a time", id="not-a-number"),
        pytest.param(["12", "2", "2"], r"line 3, column 'rel': got '2'; expected one of \['1', '0'\]", id="bad-flag"),
        pytest.param(
            ["12", "1", "3"],
            r"line 3, column 'disease': got '3'; expected one of the codes \['1', '2'\]",
            id="bad-code",
        ),
    ],
)
def test_cibmtr_cells_are_checked(tmp_path: Path, cells: list[str], message: str) -> None:
    mapping = parse_mapping(
        'layout = "cibmtr"\n[endpoints.relapse]\ntime = "intxrel"\ncauses = [{ column = "rel" }]\n'
        '[covariates.disease]\ncolumn = "disease"\ncodes = { 1 = "ALL", 2 = "AML" }\n'
    )
    path = write_csv(tmp_path / "c.csv", ["intxrel", "rel", "disease"], [["5", "0", "1"], cells])
    with pytest.raises(OutcomeInputError, match=message):
        read_registry_csv(path, mapping)


def test_a_record_spanning_lines_is_named_by_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('id,note,t,s\nA,"two\nlines",5,0\nB,x,oops,1\n')
    mapping = parse_mapping('layout = "cibmtr"\nid = "id"\n[endpoints.os]\ntime = "t"\nstatus = "s"\n')
    with pytest.raises(OutcomeInputError, match=r"multi.csv line 4, column 't': got 'oops'"):
        read_registry_csv(path, mapping)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        pytest.param(
            'layout = "cibmtr"\n[endpoints.os]\nstatus = "s"\n',
            r"endpoints\.os: give exactly one of time",
            id="no-time",
        ),
        pytest.param(
            'layout = "sas"\n[endpoints.os]\ntime = "t"\nstatus = "s"\n',
            r"layout: got 'sas'; Input should be 'cibmtr' or 'ebmt'",
            id="layout",
        ),
        pytest.param(
            'layout = "cibmtr"\ncolour = 1\n[endpoints.os]\ntime = "t"\nstatus = "s"\n',
            r"colour: got 1; Extra inputs",
            id="unknown-key",
        ),
        pytest.param(
            'layout = "ebmt"\n[endpoints.os]\nend = "d"\nstatus = "s"\n', r"give origin", id="dates-without-origin"
        ),
        pytest.param(
            'layout = "cibmtr"\n[endpoints.os]\ntime = "t"\nstatus = "s"\ncodes = { a = 1 }\n',
            r"expected 0 \(censored\)",
            id="codes-without-censored",
        ),
        pytest.param("layout = \n", r"mapping: not valid TOML", id="not-toml"),
    ],
)
def test_bad_mappings_are_refused_naming_the_key(toml: str, message: str) -> None:
    with pytest.raises(OutcomeInputError, match=message):
        parse_mapping(toml)


def test_mapping_columns_must_be_in_the_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["time", "dead"], [["1", "0"]])
    mapping = parse_mapping('layout = "cibmtr"\n[endpoints.os]\ntime = "intxsurv"\nstatus = "dead"\n')
    with pytest.raises(
        OutcomeInputError,
        match=r"mapping endpoints\.os\.time: got 'intxsurv'; expected one of the columns of c\.csv \['time', 'dead'\]",
    ):
        read_registry_csv(path, mapping)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 240), st.sampled_from([(0, 0), (1, 0), (0, 1)])), min_size=1, max_size=30)
)
def test_cause_columns_become_status_codes(tmp_path_factory: pytest.TempPathFactory, rows: list[Any]) -> None:
    path = tmp_path_factory.mktemp("h") / "r.csv"
    write_csv(path, ["intxrel", "rel", "trm"], [[t, rel, trm] for t, (rel, trm) in rows])
    mapping = parse_mapping(
        'layout = "cibmtr"\n[endpoints.relapse]\ntime = "intxrel"\ncauses = [{ column = "rel" }, { column = "trm" }]\n'
    )
    ep = read_registry_csv(path, mapping).endpoints["relapse"]
    assert ep.time.tolist() == [float(t) for t, _ in rows]
    assert ep.status.tolist() == [rel + 2 * trm for _, (rel, trm) in rows]
    assert ep.time_unit == "months" and ep.cause_labels == ("rel", "trm")
