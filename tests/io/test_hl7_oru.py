"""HL7 v2 ORU^R01 reading: explicit code and unit tables, times, patients, statuses; the ACK's shape."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.io.hl7_ack import AckCode, ErrorCode, ErrorLocation, MessageHeader, build_ack
from engraft.io.hl7_oru import Hl7Settings, MalformedMessage, parse_timestamp, read_oru
from engraft.io.lab_units import LAB_UNIT_SPELLINGS, lab_unit, unit_table
from engraft.io.mllp import MllpListener
from engraft.measurements import Ucum, UnitError
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.ingest import PatientKey
from engraft.registry.service import RegistryService
from tests.io.feeds import obx, oru

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("202410011145+0000", dt.datetime(2024, 10, 1, 11, 45, tzinfo=UTC), id="minutes"),
        pytest.param("20241001114530-0500", dt.datetime(2024, 10, 1, 16, 45, 30, tzinfo=UTC), id="seconds-offset"),
        pytest.param("20241001114530.25+0100", dt.datetime(2024, 10, 1, 10, 45, 30, 250000, tzinfo=UTC), id="fraction"),
        pytest.param("20241301114500+0000", None, id="month-13"),
        pytest.param("2024100111+0000", None, id="hours-only"),
        pytest.param("20241001", None, id="date-only"),
        pytest.param("202410011145", None, id="no-zone-no-default"),
        pytest.param(
            "202410011145+2359", dt.datetime(2024, 10, 1, 11, 46, tzinfo=UTC) - dt.timedelta(days=1), id="offset-23-59"
        ),
        pytest.param("202410011145+2400", None, id="offset-hours-24"),
        pytest.param("202410011145+9900", None, id="offset-hours-99"),
        pytest.param("202410011145-0160", None, id="offset-minutes-60"),
    ],
)
def test_timestamps_need_minutes_and_a_zone(text: str, expected: dt.datetime | None) -> None:
    assert parse_timestamp(text, None) == expected


def test_a_zone_less_time_takes_the_configured_zone_with_its_daylight_saving() -> None:
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    assert parse_timestamp("202407011200", paris) == dt.datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert parse_timestamp("202412011200", paris) == dt.datetime(2024, 12, 1, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        pytest.param("10*9/L", Ucum.E9_PER_L, id="ucum-itself"),
        pytest.param("x10E9/L", Ucum.E9_PER_L, id="x10E9"),
        pytest.param("10^9/L", Ucum.E9_PER_L, id="caret"),
        pytest.param("umol/L", Ucum.UMOL_PER_L, id="umol"),
        pytest.param("µmol/L", Ucum.UMOL_PER_L, id="micro-sign"),
        pytest.param("mg/dl", Ucum.MG_PER_DL, id="mg-dl-lower"),
        pytest.param("mg/dL", Ucum.MG_PER_DL, id="mg-dL"),
        pytest.param("degF", Ucum.FAHRENHEIT, id="fahrenheit"),
    ],
)
def test_lab_unit_spellings_map_to_one_ucum_code(spelling: str, code: Ucum) -> None:
    assert lab_unit(spelling) is code


@pytest.mark.parametrize("spelling", ["IU/L", "G/L", "k/ul", "", "mg%"])
def test_ambiguous_or_unknown_spellings_are_refused(spelling: str) -> None:
    with pytest.raises(UnitError, match="neither a supported UCUM code"):
        lab_unit(spelling)


def test_every_listed_spelling_names_a_code_of_the_closed_set_and_a_centre_can_add_its_own() -> None:
    assert all(isinstance(code, Ucum) for code in LAB_UNIT_SPELLINGS.values())
    table = unit_table({"G/L": "10*9/L"})
    assert lab_unit("G/L", table) is Ucum.E9_PER_L
    with pytest.raises(UnitError):
        unit_table({"thing": "furlongs"})


def test_a_message_maps_codes_units_times_and_identity() -> None:
    message = oru(
        "M-1",
        obx(1, "751-8", "0.35", "x10E9/L"),
        obx(2, "777-3", "18", "10*9/L", time=""),  # no OBX-14: the order's OBR-7
        obx(3, "14631-6", "40", "umol/L", status="C"),
        obx(4, "1975-2", "2.4", "mg/dL", status="P"),  # preliminary: not stored
    )
    results = read_oru(message)
    assert results.problems == () and results.not_final == 1
    assert results.key.sender == "LABSYS^HOSP" and results.key.control_id == "M-1"
    assert [(o.loinc, o.value, o.unit) for o in results.observations] == [
        ("751-8", 0.35, "10*9/L"),
        ("777-3", 18.0, "10*9/L"),
        ("14631-6", 40.0, "umol/L"),
    ]
    assert results.observations[1].observed_at == dt.datetime(2024, 10, 1, 11, 30, tzinfo=UTC)
    assert [o.source_id for o in results.observations] == ["F-1|751-8|", "F-1|777-3|", "F-1|14631-6|"]
    assert [o.corrects for o in results.observations] == [False, False, True]  # OBX-11 C replaces what it names
    assert {o.source_system for o in results.observations} == {"hl7v2:LABSYS^HOSP"}
    assert {o.patient for o in results.observations} == {PatientKey(mrn="MRN-100")}


def test_local_codes_are_mapped_only_through_the_feeds_table() -> None:
    message = oru("M-2", obx(1, "ANC", "1.2", "10*9/L", system="L"))
    assert [p.field for _, _, p in read_oru(message).problems] == ["OBX-3"]
    mapped = read_oru(message, Hl7Settings(local_codes={("L", "ANC"): "751-8"}))
    assert [o.loinc for o in mapped.observations] == ["751-8"]
    with pytest.raises(ValueError, match="not in the catalogue"):
        Hl7Settings(local_codes={("L", "X"): "0000-0"})


@pytest.mark.parametrize(
    ("pid", "settings_", "patient"),
    [
        pytest.param("PID|1||X1^^^OTHER^PI~MRN-7^^^HOSP^MR", Hl7Settings(), "MRN-7", id="mr-in-second-repetition"),
        pytest.param(
            "PID|1||A-1^^^LAB^MR~B-2^^^HOSP^MR", Hl7Settings(mrn_authority="HOSP"), "B-2", id="configured-authority"
        ),
    ],
)
def test_the_medical_record_number_is_the_repetition_typed_mr(pid: str, settings_: Hl7Settings, patient: str) -> None:
    results = read_oru(oru("M-4", pid=pid), settings_)
    assert {o.patient for o in results.observations} == {PatientKey(mrn=patient)}


def test_the_engraft_id_in_pid_3_names_the_patient() -> None:
    results = read_oru(oru("M-3", pid="PID|1||4711^^^ENGRAFT^PI~H-9^^^HOSP^MR"))
    assert {o.patient for o in results.observations} == {PatientKey(engraft_id=4711)}


@pytest.mark.parametrize(
    ("message", "location"),
    [
        pytest.param(
            oru("T-1", header="MSH|^~\\&|LAB|HOSP|ENGRAFT|TXU|20241001120000+0000||ORU^R01|T-1|T|2.5.1"),
            ErrorLocation("MSH", 1, 11),
            id="training-message",
        ),
        pytest.param(
            oru("T-2", header="MSH|^~\\&|LAB|HOSP|ENGRAFT|TXU|20241001120000+0000||ORU^R30|T-2|P|2.5.1"),
            ErrorLocation("MSH", 1, 9),
            id="other-event",
        ),
        pytest.param(
            "MSH|^~\\&|LAB|HOSP|E|T|20241001120000+0000||ORU^R01|T-3|P|2.5.1\rOBX|1|NM|751-8^^LN||1|10*9/L|||||F",
            ErrorLocation("OBX", 1, 3),
            id="obx-before-pid",
        ),
        pytest.param(
            "MSH|^~\\&|LAB|HOSP|E|T|20241001120000+0000||ORU^R01|T-4|P|2.5.1\rPID|1||M^^^H^MR",
            ErrorLocation("OBX", 1, 1),
            id="no-obx",
        ),
    ],
)
def test_malformed_messages_name_segment_and_field(message: str, location: ErrorLocation) -> None:
    with pytest.raises(MalformedMessage) as refused:
        read_oru(message)
    assert refused.value.location == location


def test_an_ack_escapes_delimiters_in_its_text_and_carries_err_for_errors() -> None:
    header = MessageHeader.best_effort(oru("C-1"))
    ack = build_ack(
        header, AckCode.ERROR, "bad | value ^ here", error=ErrorCode.DATA_TYPE, location=ErrorLocation("OBX", 2, 5)
    )
    msh, msa, err = ack.rstrip("\r").split("\r")
    assert msh.split("|")[2:6] == ["ENGRAFT", "TXU", "LABSYS", "HOSP"]
    assert msa.split("|")[:3] == ["MSA", "AE", "C-1"]
    assert msa.split("|")[3] == "bad \\F\\ value \\S\\ here"
    assert err.split("|")[2:5] == ["OBX^2^5", "102", "E"]
    assert "ERR" not in build_ack(header, AckCode.ACCEPT, "ok")


@given(
    moment=st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_any_hl7_timestamp_with_an_offset_reads_back_as_the_same_instant(
    moment: dt.datetime, offset_minutes: int
) -> None:
    zone = dt.timezone(dt.timedelta(minutes=offset_minutes))
    aware = moment.replace(tzinfo=zone)
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    text = f"{aware:%Y%m%d%H%M%S}.{aware.microsecond:06d}{sign}{hours:02d}{minutes:02d}"
    assert parse_timestamp(text, None) == aware


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.builds(
            lambda tail: "MSH|^~\\&|" + tail,
            st.text(alphabet="|^~\\&\rABCORU01PID3MRNOBXNM.-+ 0123456789", max_size=300),
        ),
    )
)
def test_any_text_gets_an_ack_that_is_not_an_accept(text: str) -> None:
    """No input goes unanswered: what does not read as an ORU^R01 gets an AR (or AE) with MSA and ERR."""
    engine = make_engine("sqlite://")  # never reached: nothing here reads as a storable message
    try:
        ack = MllpListener(RegistryService(make_session_factory(engine), actor="test")).handle(text.encode())
    finally:
        engine.dispose()
    segments = {line.split("|")[0]: line.split("|") for line in ack.split("\r") if line}
    assert set(segments) == {"MSH", "MSA", "ERR"}
    assert segments["MSA"][1] in ("AR", "AE")


@pytest.mark.parametrize(
    "start",
    [
        pytest.param("MSH|^D\\&|", id="letter-as-repetition-separator"),
        pytest.param("MSH|^~\\|", id="three-encoding-characters"),
        pytest.param("MSH|^^\\&|", id="repeated-encoding-character"),
        pytest.param("MSH|^~ &|", id="space-as-escape"),
        pytest.param("MSH1^~\\&1", id="digit-as-field-separator"),
    ],
)
def test_unusable_delimiters_are_refused_on_msh_2(start: str) -> None:
    message = oru("C-1", obx(1, "751-8", "0.4", "10*9/L")).replace("MSH|^~\\&|", start, 1)
    with pytest.raises(MalformedMessage) as refused:
        read_oru(message)
    assert refused.value.location is not None and refused.value.location.describe().startswith("MSH")
    assert "cannot be used" in refused.value.reason


def test_a_fifth_encoding_character_is_accepted() -> None:
    message = oru("C-1", obx(1, "751-8", "0.4", "10*9/L")).replace("MSH|^~\\&|", "MSH|^~\\&#|", 1)
    assert len(read_oru(message).observations) == 1
