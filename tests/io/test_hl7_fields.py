"""The plain-message reader answers every field look-up exactly as python-hl7 does."""

from __future__ import annotations

import hl7
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.io.hl7_fields import Hl7Fields, PlainFields, is_plain, parse_fields

_ORU = (
    "MSH|^~\\&|LABSYS|HOSP|ENGRAFT|TXU|20260101083000+0000||ORU^R01^ORU_R01|M-1|P|2.5.1\r"
    "PID|1||MRN-1^^^HOSP^MR~42^^^ENGRAFT||Example^Ann||19700517|F\r"
    "OBR|1||F-1|58410-2^CBC panel^LN|||20260101080000+0000\r"
    "OBX|1|NM|751-8^ANC^LN||0.4|10*9/L|||||F|||20260101080000+0000\r"
    "OBX|2|NM|777-3^Platelets^LN|| 18 |10*9/L^^UCUM|||||F\r"
    "OBX|3|NM\r"
    "NTE|1||a note ~ with ^ odd ^^ parts|"
)


def _same(text: str) -> None:
    plain, reference = PlainFields(text), Hl7Fields(hl7.parse(text))
    assert plain.segment_names() == reference.segment_names()
    assert (plain.field_separator, plain.encoding_characters) == (
        reference.field_separator,
        reference.encoding_characters,
    )
    counts: dict[str, int] = {}
    for name in plain.segment_names():
        occurrence = counts[name] = counts.get(name, 0) + 1
        for field_no in range(1, 16):
            assert plain.repetitions(name, occurrence, field_no) == reference.repetitions(name, occurrence, field_no)
            if name == "MSH" and field_no <= 2:
                continue  # the delimiters: read as field_separator and encoding_characters (compared above)
            for component in range(1, 6):
                for repetition in range(1, 4):
                    got = plain.value(name, occurrence, field_no, component, repetition)
                    want = reference.value(name, occurrence, field_no, component, repetition)
                    assert got == want, (name, occurrence, field_no, component, repetition)


def test_a_lab_message_reads_the_same_both_ways() -> None:
    assert is_plain(_ORU)
    _same(_ORU)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(_ORU.replace("Ann", "A\\T\\nn"), id="escape-sequence"),
        pytest.param(_ORU.replace("Ann", "A&nn"), id="sub-component"),
        pytest.param(_ORU.replace("MSH|^~\\&|", "MSH|^~\\&#|"), id="truncation-character"),
        pytest.param(_ORU.replace("MSH|", "MSH#", 1), id="other-field-separator"),
        pytest.param(_ORU + "\rMSH|^~\\&|X|Y", id="second-header"),
        pytest.param(_ORU + "\rPID", id="segment-without-fields"),
    ],
)
def test_other_messages_are_read_by_python_hl7(text: str) -> None:
    assert not is_plain(text.strip())
    assert isinstance(parse_fields(text), Hl7Fields)


_TEXT = st.text(alphabet="AB1 .-^~:/", max_size=12)
_SEGMENT = st.builds(
    lambda name, fields: "|".join([name, *fields]),
    st.sampled_from(["PID", "OBR", "OBX", "NTE", "ZZZ"]),
    st.lists(_TEXT, max_size=16),
)


@settings(max_examples=150, deadline=None)
@given(header=st.lists(_TEXT, max_size=12), segments=st.lists(_SEGMENT, max_size=6))
def test_any_plain_message_reads_the_same_both_ways(header: list[str], segments: list[str]) -> None:
    text = "\r".join(["|".join(["MSH", "^~\\&", *header]), *segments]).strip()
    if is_plain(text):
        _same(text)
