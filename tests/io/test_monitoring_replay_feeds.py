"""Replay input from FHIR R4 and HL7 v2 files (io.monitoring_replay_feeds): the feeds' mapping, the export's
patients by MRN and episodes by the registry's rule, re-sends, duplicates, corrections and transfusions."""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import pytest

from engraft.io.hl7_oru import Hl7Settings
from engraft.io.monitoring_replay import ReplayInput, read_replay
from engraft.io.monitoring_replay_feeds import (
    FeedSettings,
    ReplayFileError,
    ReplayFormat,
    read_replay_file,
    replay_format,
)
from engraft.monitoring import TransitionKind, evaluate, load_rule_set
from tests.io.feeds import bundle
from tests.io.replay_folders import (
    anc_course,
    at,
    export_folder,
    fhir_observations,
    hl7_message,
    hl7_time,
    platelets_given,
    write_bundle,
    write_csv,
)


def _values(data: ReplayInput) -> list[tuple[object, ...]]:
    episode = data.episodes[("PT-001", 1)]
    return sorted((o.observed_at, o.loinc, o.value, o.unit) for o in episode.observations)


def _problems(data: ReplayInput) -> list[str]:
    return [p.describe() for p in data.problems]


def _raised(data: ReplayInput) -> list[tuple[str, str]]:
    """(rule id, detected at) of each alert raised for PT-001's episode as at its last result."""
    episode = data.episodes[("PT-001", 1)]
    last = max(o.observed_at for o in episode.observations)
    result = evaluate(load_rule_set(None), episode.context, episode.observations, last)
    return [
        (t.detection.rule_id, t.detection.detected_at.isoformat())
        for t in result.transitions
        if t.detection is not None and t.kind in (TransitionKind.RAISED, TransitionKind.RAISED_CLEARED)
    ]


def test_a_fhir_bundle_gives_the_results_of_the_equivalent_csv(tmp_path: Path) -> None:
    folder = export_folder(tmp_path)
    series = [*anc_course(range(0, 16)), (5, "14631-6", 51.3, "umol/L")]
    from_csv = read_replay(write_csv(folder, series))
    from_fhir = read_replay_file(write_bundle(folder, fhir_observations(series)))
    assert from_csv.problems == [] and from_fhir.problems == []
    assert _values(from_fhir) == _values(from_csv) and len(_values(from_csv)) == 17
    assert _raised(from_fhir) == _raised(from_csv) != []
    assert from_fhir.read is not None and (from_fhir.read.kind, from_fhir.read.messages) == ("FHIR", 1)


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(lambda m: m.replace("\r", "\n"), id="lf"),
        pytest.param(lambda m: m.replace("\r", "\r\n"), id="crlf"),
        pytest.param(lambda m: m, id="cr"),
        pytest.param(lambda m: "\x0b" + m + "\x1c\r", id="mllp-framed"),
        pytest.param(lambda m: "\x0b" + m + "\x1c", id="mllp-framed-no-cr"),
    ],
)
def test_an_hl7_file_of_two_messages_one_re_sent_counts_the_re_sent_one_once(
    tmp_path: Path, frame: Callable[[str], str]
) -> None:
    folder = export_folder(tmp_path)
    first = hl7_message("CTL-1", anc_course(range(0, 8)))
    second = hl7_message("CTL-2", anc_course(range(8, 16)), first=8)
    path = folder / "results.hl7"
    path.write_bytes("".join(frame(m) for m in (first, second, first)).encode())
    data = read_replay_file(path)
    assert _problems(data) == []
    assert data.read is not None
    assert (data.read.messages, data.read.resent, data.read.results) == (3, 1, 16)
    assert len(_values(data)) == 16
    assert ("neutrophil-engraftment", at(14).isoformat()) in _raised(data)


def _twice_with_one_key(folder: Path, kind: str, other_content: bool) -> Path:
    """Two messages of one key (HL7 MSH-3/4/10, FHIR Bundle.identifier), the second identical or of other content."""
    series = anc_course(range(0, 3))
    again = [*series[:2], (2, "751-8", 0.7, "10*9/L")] if other_content else series
    if kind == "hl7":
        path = folder / "results.hl7"
        path.write_text(hl7_message("CTL-1", series) + hl7_message("CTL-1", again), encoding="utf-8")
    else:
        path = folder / "results.ndjson"
        lines = [json.dumps(bundle(*fhir_observations(s), identifier="B-1")) for s in (series, again)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("kind", "other_content", "expected"),
    [
        pytest.param("hl7", False, [], id="hl7-identical-re-send"),
        pytest.param(
            "hl7",
            True,
            [
                "results.hl7 message 2 (line 9, MSH-10 'CTL-1') MSH-3/4/10: 'LABSYS^HOSP|CTL-1': expected a key not "
                "re-used: results.hl7 message 1 (line 1, MSH-10 'CTL-1') has this key but other results (a re-send "
                "must repeat the message unchanged)"
            ],
            id="hl7-key-re-used-for-other-content",
        ),
        pytest.param("fhir", False, [], id="fhir-identical-re-send"),
        pytest.param(
            "fhir",
            True,
            [
                "results.ndjson line 2 Bundle.identifier: 'urn:lab:bundles|B-1': expected a key not re-used: "
                "results.ndjson line 1 has this key but other results (a re-send must repeat the message unchanged)"
            ],
            id="fhir-key-re-used-for-other-content",
        ),
    ],
)
def test_a_message_key_re_used_for_other_content_is_a_problem_as_the_registry_refuses_it(
    tmp_path: Path, kind: str, other_content: bool, expected: list[str]
) -> None:
    data = read_replay_file(_twice_with_one_key(export_folder(tmp_path), kind, other_content))
    assert _problems(data) == expected
    assert data.read is not None
    assert (data.read.messages, data.read.resent, data.read.results) == (2, 0 if other_content else 1, 3)


def test_a_re_sent_result_in_a_new_message_is_a_duplicate_counted_once(tmp_path: Path) -> None:
    folder = export_folder(tmp_path)
    path = folder / "results.hl7"
    path.write_text(hl7_message("CTL-1", anc_course(range(0, 3))) + hl7_message("CTL-9", anc_course(range(0, 3))))
    data = read_replay_file(path)
    assert data.read is not None and (data.read.resent, data.read.duplicates, data.read.results) == (0, 3, 3)


def test_an_hl7_correction_replaces_the_earlier_value_and_results_not_final_are_skipped(tmp_path: Path) -> None:
    folder = export_folder(tmp_path)
    original = hl7_message("CTL-1", anc_course(range(0, 3)))
    corrected = hl7_message("CTL-2", [(1, "751-8", 0.9, "10*9/L")], first=1, status="C")
    preliminary = hl7_message("CTL-3", [(2, "751-8", 0.3, "10*9/L")], first=7, status="P")
    path = folder / "results.hl7"
    path.write_text(original + corrected + preliminary)
    data = read_replay_file(path)
    assert _problems(data) == []
    assert [v[2] for v in _values(data)] == [0.1, 0.9, 0.1]
    assert data.read is not None and (data.read.corrections, data.read.not_final, data.read.results) == (1, 1, 3)


@pytest.mark.parametrize(
    ("pid", "expected"),
    [
        pytest.param(
            "PID|1||MRN-999^^^HOSP^MR||Example^Ann||19800203|F",
            "results.hl7 message 2 (line 5, MSH-10 'CTL-2') PID-3 (OBX[1]): 'MRN-999': expected a medical record "
            "number of patients.csv",
            id="mrn-not-in-patients-csv",
        ),
        pytest.param(
            "PID|1||7^^^ENGRAFT||Example^Ann||19800203|F",
            "results.hl7 message 2 (line 5, MSH-10 'CTL-2') PID-3 (OBX[1]): 7: expected a patient named by medical "
            "record number",
            id="engraft-id",
        ),
    ],
)
def test_a_patient_the_export_cannot_name_is_a_problem_and_nothing_is_evaluated(
    tmp_path: Path, pid: str, expected: str
) -> None:
    folder = export_folder(tmp_path)
    stranger = hl7_message("CTL-2", anc_course(range(0, 2))).split("\r")
    stranger[1] = pid
    path = folder / "results.hl7"
    path.write_text(hl7_message("CTL-1", anc_course(range(3, 4))).replace("\r", "\n") + "\n".join(stranger))
    data = read_replay_file(path)
    assert len(data.problems) == 1 and data.problems[0].describe().startswith(expected)
    assert data.episodes == {}


def test_an_export_without_identity_cannot_name_the_messages_patients(tmp_path: Path) -> None:
    folder = export_folder(tmp_path, identity=False)
    data = read_replay_file(write_bundle(folder, fhir_observations(anc_course(range(0, 2)))))
    assert _problems(data) == [
        "patients.csv: expected an mrn column (an export made with identity): the file names patients by medical "
        "record number"
    ]


def test_an_mrn_of_two_centres_needs_the_centre(tmp_path: Path) -> None:
    folder = export_folder(tmp_path)
    with (folder / "patients.csv").open("a", encoding="utf-8") as handle:
        handle.write("PT-003,C2,male,1990-01-01,Cy,Other,MRN-100\n")
    path = write_bundle(folder, fhir_observations(anc_course(range(0, 2))))
    assert "at C1, C2: name the centre" in _problems(read_replay_file(path))[0]
    assert _problems(read_replay_file(path, settings=FeedSettings(centre="C1"))) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            {"code": {"coding": [{"system": "http://loinc.org", "code": "99999-9"}]}},
            "bundle.json entry[2] Observation.code: 'http://loinc.org|99999-9': expected a LOINC coding",
            id="unknown-loinc",
        ),
        pytest.param(
            {"valueQuantity": {"value": 1, "system": "http://unitsofmeasure.org", "code": "mg/dL", "unit": "mg/dL"}},
            "bundle.json entry[2] Observation.valueQuantity.code: 'mg/dL'",
            id="unit-of-another-dimension",
        ),
        pytest.param(
            {"valueQuantity": {"value": 5000, "system": "http://unitsofmeasure.org", "code": "10*9/L"}},
            "bundle.json entry[2] Observation: 5000.0: expected a value from 0 to 500 10*9/L (751-8)",
            id="impossible-value",
        ),
    ],
)
def test_a_result_fhir_cannot_map_is_named_by_its_entry(
    tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    folder = export_folder(tmp_path)
    resources = fhir_observations(anc_course(range(0, 3)))
    resources[1] |= change
    data = read_replay_file(write_bundle(folder, resources))
    assert len(data.problems) == 1 and _problems(data)[0].startswith(expected), _problems(data)
    assert data.episodes == {}


def test_a_platelet_transfusion_inside_the_window_delays_platelet_engraftment(tmp_path: Path) -> None:
    """Platelets 10 x10^9/L to day +14, 30 from day +15; one platelet transfusion on day +2 in both files."""
    series = anc_course(range(0, 31)) + [(d, "777-3", 10.0 if d < 15 else 30.0, "10*9/L") for d in range(0, 31)]
    early = export_folder(tmp_path / "early")
    without = read_replay_file(write_bundle(early, [*fhir_observations(series), platelets_given("T-1", 2)]))
    late = export_folder(tmp_path / "late")
    resources = [*fhir_observations(series), platelets_given("T-1", 2), platelets_given("T-2", 16)]
    with_it = read_replay_file(write_bundle(late, resources))
    assert with_it.episodes[("PT-001", 1)].context.platelet_transfusion_days == (2, 16)
    engraftment = {rule: when for rule, when in _raised(without)}["platelet-engraftment"]
    delayed = {rule: when for rule, when in _raised(with_it)}["platelet-engraftment"]
    assert engraftment == at(17).isoformat()  # first of three from day +15, known on day +17
    assert delayed == at(25).isoformat()  # no transfusion in the 7 days before: from day +23
    assert with_it.read is not None and with_it.read.transfusions == 2


def test_without_any_platelet_transfusion_platelet_engraftment_is_not_asserted(tmp_path: Path) -> None:
    series = [(d, "777-3", 10.0 if d < 15 else 30.0, "10*9/L") for d in range(0, 31)]
    data = read_replay_file(write_bundle(export_folder(tmp_path), fhir_observations(series)))
    assert data.episodes[("PT-001", 1)].context.platelet_transfusion_days is None
    assert "platelet-engraftment" not in {rule for rule, _ in _raised(data)}


@pytest.mark.parametrize(
    "name", [pytest.param("results.ndjson", id="ndjson"), pytest.param("results.txt", id="sniffed")]
)
def test_ndjson_reads_one_resource_or_bundle_a_line(tmp_path: Path, name: str) -> None:
    folder = export_folder(tmp_path)
    series = anc_course(range(0, 16))
    resources = fhir_observations(series)
    lines = [json.dumps(r) for r in resources[:8]]
    lines.append(json.dumps(bundle(*resources[8:], identifier="B-2")))
    lines.append(json.dumps(bundle(*resources[8:], identifier="B-2")))  # a re-sent Bundle
    lines.append(json.dumps(resources[0]))  # the same Observation again: a duplicate
    preliminary = fhir_observations([(20, "751-8", 0.2, "10*9/L")])[0] | {"status": "preliminary"}
    lines.append(json.dumps(preliminary))
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = read_replay_file(path)
    assert _problems(data) == []
    assert data.read is not None
    summary = (data.read.kind, data.read.messages, data.read.resent, data.read.duplicates, data.read.not_final)
    assert summary == ("FHIR NDJSON", 12, 1, 1, 1)
    assert _values(data) == _values(read_replay(write_csv(folder, series)))


def test_a_line_of_ndjson_that_is_not_json_is_named(tmp_path: Path) -> None:
    path = export_folder(tmp_path) / "results.ndjson"
    path.write_text(json.dumps(fhir_observations(anc_course(range(0, 1)))[0]) + "\n{oops\n", encoding="utf-8")
    assert _problems(read_replay_file(path))[0].startswith("results.ndjson line 2: expected a FHIR resource as JSON")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            lambda m: m.replace("ORU^R01^ORU_R01", "ADT^A01"),
            "message 1 (line 1, MSH-10 'CTL-1') MSH-9: message type 'ADT' is not a result message",
            id="not-oru",
        ),
        pytest.param(
            lambda m: m.replace("|CTL-1|", "||"),
            "message 1 (line 1) MSH-10: MSH-10 (message control id) is empty",
            id="no-control-id",
        ),
        pytest.param(
            lambda m: m.replace("|NM|751-8^", "|ST|751-8^"),
            "message 1 (line 1, MSH-10 'CTL-1') OBX-2: 'ST': expected NM (numeric results only)",
            id="not-numeric",
        ),
        pytest.param(
            lambda m: m.replace("|F|||", "|F|||2025"),
            "OBX-14: '202520250301060000+0000': expected a time",
            id="bad-time",
        ),
    ],
)
def test_a_malformed_hl7_message_is_named_by_segment_and_field(
    tmp_path: Path, message: Callable[[str], str], expected: str
) -> None:
    path = export_folder(tmp_path) / "results.hl7"
    path.write_text(message(hl7_message("CTL-1", anc_course(range(0, 1)))), encoding="utf-8")
    problems = _problems(read_replay_file(path))
    assert len(problems) == 1 and expected in problems[0], problems


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            lambda m: m.replace("060000+0000", "060000+9900"),
            "results.hl7 message 1 (line 1, MSH-10 'CTL-1') OBX-14: '20250301060000+9900': expected a time",
            id="offset-of-99-hours-named-on-its-field",
        ),
        pytest.param(
            lambda m: m.replace("MSH|^~\\&|", "MSH|^D\\&|"),
            "results.hl7 message 1 (line 1, MSH-10 'CTL-1') MSH-2: the delimiters |^D\\& cannot be used",
            id="letter-among-encoding-characters-named-on-msh-2",
        ),
    ],
)
def test_input_the_parser_once_failed_on_is_a_problem_named_on_its_field(
    tmp_path: Path, message: Callable[[str], str], expected: str
) -> None:
    """Real input on which read_oru raised other than MalformedMessage (found by experiment: a KeyError, a
    ValueError), now refused on its field: a problem naming the message and field, and the next message still
    read."""
    path = export_folder(tmp_path) / "results.hl7"
    broken = message(hl7_message("CTL-1", anc_course(range(0, 1))))
    path.write_text(broken + hl7_message("CTL-2", anc_course(range(1, 2)), first=1), encoding="utf-8")
    data = read_replay_file(path)
    problems = _problems(data)
    assert len(problems) == 1 and problems[0].startswith(expected), problems
    assert data.read is not None and (data.read.messages, data.read.results) == (2, 1)


def test_an_unforeseen_parser_failure_is_a_problem_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the parser may yet raise on input nobody foresaw (simulated: no such real input is known now) is, as
    the MLLP listener answers it, a problem naming the message and the failure; the next message is still read."""
    import engraft.io.monitoring_replay_hl7 as hl7_file

    real = hl7_file.read_oru

    def failing_on_the_first(message: str, settings: object) -> object:
        if "CTL-1" in message:
            raise ValueError("unforeseen")
        return real(message, settings)  # type: ignore[arg-type]

    monkeypatch.setattr(hl7_file, "read_oru", failing_on_the_first)
    path = export_folder(tmp_path) / "results.hl7"
    first = hl7_message("CTL-1", anc_course(range(0, 1)))
    path.write_text(first + hl7_message("CTL-2", anc_course(range(1, 2)), first=1), encoding="utf-8")
    data = read_replay_file(path)
    problems = _problems(data)
    assert len(problems) == 1, problems
    assert (
        problems[0].startswith("results.hl7 message 1 (line 1, MSH-10 'CTL-1')")
        and "ValueError: unforeseen" in problems[0]
    )
    assert data.read is not None and (data.read.messages, data.read.results) == (2, 1)


def test_lines_before_the_first_msh_are_named(tmp_path: Path) -> None:
    path = export_folder(tmp_path) / "results.hl7"
    path.write_text("PID|1||MRN-100^^^HOSP^MR\n" + hl7_message("CTL-1", anc_course(range(0, 1))), encoding="utf-8")
    problems = _problems(read_replay_file(path))
    assert problems == [
        "results.hl7 line 1: 'PID|1||MRN-100^^^HOSP^MR': expected an MSH segment first: each message "
        "starts with MSH at the start of a line"
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        pytest.param(
            "x.json", '{"hello": 1}', "x.json: not a FHIR document the replay reads (resourceType", id="not-fhir"
        ),
        pytest.param("x.json", '{"resourceType": "Patient"}', "'Patient': expected Bundle, Observation", id="patient"),
        pytest.param("x.json", "[1, 2", "x.json: not JSON (Expecting", id="not-json"),
        pytest.param("x.json", '{"a": NaN}', "x.json: not JSON (NaN is not a JSON number)", id="nan"),
        pytest.param("x.txt", "hello", "x.txt: not a file the replay reads", id="unknown-format"),
        pytest.param(
            "x.json",
            '{"resourceType": "Bundle", "type": "document"}',
            "(Bundle.type 'document': expected one of batch, collection, transaction)",
            id="bundle-type",
        ),
    ],
)
def test_a_file_that_is_no_replay_input_is_refused_in_one_sentence(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = export_folder(tmp_path) / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReplayFileError) as caught:
        read_replay_file(path)
    assert expected in str(caught.value)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = export_folder(tmp_path) / "results.hl7"
    path.write_bytes(hl7_message("CTL-1", anc_course(range(0, 1))).encode() + b"\xff\xfe")
    with pytest.raises(ReplayFileError, match="not UTF-8"):
        read_replay_file(path)


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        pytest.param("a.csv", b"registry_id,episode_sequence", ReplayFormat.CSV, id="csv"),
        pytest.param("a.txt", b"\xef\xbb\xbfregistry_id,loinc", ReplayFormat.CSV, id="csv-by-header"),
        pytest.param("a.json", b"{", ReplayFormat.FHIR, id="json"),
        pytest.param("a.ndjson", b"{", ReplayFormat.NDJSON, id="ndjson"),
        pytest.param("a.dat", b"\x0bMSH|^~\\&|", ReplayFormat.HL7V2, id="hl7-framed"),
        pytest.param("a.hl7", b"FHS|^~\\&|", ReplayFormat.HL7V2, id="hl7-batch"),
    ],
)
def test_the_format_is_read_from_content_and_extension(name: str, head: bytes, expected: ReplayFormat) -> None:
    assert replay_format(Path(name), head) is expected


def test_each_result_goes_to_the_episode_the_registry_would_give_it(tmp_path: Path) -> None:
    """Day -20 is PT-001's work-up (within 30 days before day 0); day -60 is before any episode of PT-001."""
    folder = export_folder(tmp_path)
    series = [(-60, "751-8", 3.0, "10*9/L"), (-20, "751-8", 3.1, "10*9/L"), (1, "751-8", 0.2, "10*9/L")]
    resources = fhir_observations(series)
    resources.append(fhir_observations([(0, "751-8", 2.5, "10*9/L")], mrn="MRN-200")[0] | {"identifier": []})
    resources[-1]["id"] = "pt2"
    data = read_replay_file(write_bundle(folder, resources))
    assert _problems(data) == []
    assert [v[2] for v in _values(data)] == [3.1, 0.2]
    assert [o.value for o in data.episodes[("PT-002", 1)].observations] == [2.5]  # day 0 2025-01-10: after it
    assert data.without_episode == 1


def test_the_context_folder_may_be_elsewhere(tmp_path: Path) -> None:
    export_folder(tmp_path / "export")
    (tmp_path / "feed").mkdir()
    path = tmp_path / "feed" / "results.hl7"
    path.write_text(hl7_message("CTL-1", anc_course(range(0, 2))), encoding="utf-8")
    assert "not found in" in _problems(read_replay_file(path))[0]
    assert _problems(read_replay_file(path, tmp_path / "export")) == []


def test_a_zone_less_hl7_time_takes_the_configured_zone(tmp_path: Path) -> None:
    path = export_folder(tmp_path) / "results.hl7"
    time = hl7_time(at(1))
    text = hl7_message("CTL-1", anc_course(range(1, 2))).replace(time, time[:-5])
    path.write_text(text, encoding="utf-8")
    assert "no default zone is configured" in _problems(read_replay_file(path))[0]
    paris = FeedSettings(hl7=Hl7Settings(timezone=zoneinfo.ZoneInfo("Europe/Paris")))
    data = read_replay_file(path, settings=paris)
    assert _values(data)[0][0] == at(1, hour=5)  # 06:00 in Paris (CET, March 2) is 05:00 UTC
