"""Messages: placeholders and parameters agree; numbers are collected; the document's fingerprint."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engraft.reports import build_risk_report
from engraft.reports.messages import Message, msg, verbatim
from tests.reports.report_cases import allogeneic_facts, outcome_table


def test_placeholders_and_parameters_must_agree() -> None:
    with pytest.raises(ValidationError, match=r"placeholders \['count'\] but parameters \[\]"):
        Message(msgid="about {count} people")
    with pytest.raises(ValidationError, match=r"placeholders \[\] but parameters \['count'\]"):
        msg("about people", count=3)


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=5))
def test_numbers_are_collected_through_nested_messages(values: list[int]) -> None:
    inner = msg(" ".join(f"{{n{i}}}" for i in range(len(values))), **{f"n{i}": v for i, v in enumerate(values)})
    outer = msg("{inner} ({source})", inner=inner, source=verbatim("Study 2005, 347 people"))
    assert list(outer.numbers()) == values
    assert list(outer.msgids()) == [outer.msgid, inner.msgid]


def test_the_fingerprint_depends_on_content_and_language_not_on_the_day() -> None:
    def report(day: dt.date, **changes: object) -> str:
        built = build_risk_report(
            allogeneic_facts(**changes), outcome_table([]), software_version="t", generated_on=day
        )
        return built.content_hash("en")

    today = report(dt.date(2026, 12, 4))
    assert today == report(dt.date(2026, 12, 5))
    assert today == report(dt.date(2026, 12, 4), age_years=53)  # same band, same content
    assert today != report(dt.date(2026, 12, 4), donor_relation="matched sibling")
    built = build_risk_report(allogeneic_facts(), outcome_table([]), software_version="t", generated_on=dt.date.today())
    assert built.content_hash("en") != built.content_hash("zh") and len(built.content_hash("zh")) == 64
