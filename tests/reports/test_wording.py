"""Plain-word tables are exhaustive; every msgid is translated into Chinese with the same placeholders."""

from __future__ import annotations

import re
import string

import pytest

from engraft.io.risk_report_render import ReportLanguage, catalogue, missing_translations, template_msgids
from engraft.provenance import VerificationLevel
from engraft.reports.wording import DONORS, GRAFT_SOURCES, LEVEL_NAMES, TRANSPLANT_TYPES
from engraft.vocabulary import DonorRelation, GraftSource, TransplantType
from tests.reports.msgids import source_msgids


@pytest.mark.parametrize(
    ("table", "enum"),
    [
        pytest.param(TRANSPLANT_TYPES, TransplantType, id="transplant-types"),
        pytest.param(DONORS, DonorRelation, id="donors"),
        pytest.param(GRAFT_SOURCES, GraftSource, id="graft-sources"),
        pytest.param(LEVEL_NAMES, VerificationLevel, id="verification-levels"),
    ],
)
def test_each_table_covers_its_enum(table: dict[object, str], enum: type) -> None:
    assert set(table) == set(enum)


def test_the_template_labels_are_in_the_source() -> None:
    assert set(template_msgids()) <= source_msgids()


def test_every_msgid_is_translated_into_chinese() -> None:
    assert missing_translations(source_msgids(), ReportLanguage.ZH) == []


def test_the_chinese_catalogue_holds_no_stale_msgid() -> None:
    assert set(catalogue(ReportLanguage.ZH)) - source_msgids() == set()


def _fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name)


def test_translations_keep_the_placeholders() -> None:
    for msgid, translation in catalogue(ReportLanguage.ZH).items():
        assert _fields(translation) == _fields(msgid), msgid


def test_no_number_is_written_into_a_msgid_except_the_denominator_100() -> None:
    """Numbers are parameters, so each printed number is one the tests can check."""
    for msgid in source_msgids():
        stripped = re.sub(r"\{[a-z_]+\}", "", msgid).replace("100", "").replace("SHA-256", "")
        assert not re.search(r"\d", stripped), msgid
