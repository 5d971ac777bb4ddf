"""The rule file: the shipped rules load, a centre file overrides and adds, and bad files are refused by name."""

from __future__ import annotations

import pytest

from engraft.grading.engraftment import NEUTROPHIL_RULE
from engraft.monitoring import (
    ADAPTERS,
    RuleFileError,
    RuleKind,
    RuleOrigin,
    Severity,
    default_rule_text,
    load_rule_set,
)
from engraft.monitoring.findings import published_rule
from engraft.provenance import VerificationLevel

CENTRE = """
[rule_set]
name = "Centre One rules"
version = "c-7"
disable = ["platelets-below-10"]

[[rule]]
id = "anc-below-0-5"
version = "c-2"
title = "ANC below 1.0 x10^9/L"
kind = "threshold"
severity = "critical"
parameters = { loinc = ["751-8"], comparator = "<", value = 1.0, unit = "10*9/L" }
source = { origin = "centre", reference = "Centre One SOP 12", verification = "unverified" }

[[rule]]
id = "crp-above-100"
version = "1"
title = "CRP above 100 mg/L"
kind = "threshold"
severity = "warning"
parameters = { loinc = ["1988-5"], comparator = ">", value = 100, unit = "mg/L" }
source = { origin = "centre", reference = "Centre One SOP 14", verification = "unverified" }
"""


def test_every_rule_kind_has_an_adapter() -> None:
    assert set(ADAPTERS) == set(RuleKind)


def test_the_shipped_rules_state_their_sources() -> None:
    rules = load_rule_set()
    assert len(rules.content_hash) == 64
    for rule in rules.rules:
        published = published_rule(ADAPTERS[rule.kind], rule.parameters)
        if published is None:
            assert rule.source.origin is RuleOrigin.CENTRE, rule.id
            assert rule.source.verification is VerificationLevel.UNVERIFIED, rule.id
        else:
            assert rule.source.origin is RuleOrigin.PUBLISHED, rule.id
            assert rule.source.citations == published.citations, rule.id
    assert load_rule_set().rule("neutrophil-engraftment").source.citations == NEUTROPHIL_RULE.citations


def test_a_centre_file_replaces_adds_and_disables() -> None:
    shipped = load_rule_set()
    merged = load_rule_set(CENTRE)
    assert merged.version == f"{shipped.version}+c-7"
    assert merged.content_hash != shipped.content_hash
    anc = merged.rule("anc-below-0-5")
    assert (anc.version, anc.severity) == ("c-2", Severity.CRITICAL)
    assert merged.rule("crp-above-100").source.reference == "Centre One SOP 14"
    with pytest.raises(KeyError, match="platelets-below-10"):
        merged.rule("platelets-below-10")


def test_the_same_texts_give_the_same_hash_and_any_change_another() -> None:
    assert load_rule_set(CENTRE).content_hash == load_rule_set(CENTRE).content_hash
    assert load_rule_set(CENTRE).content_hash != load_rule_set(CENTRE.replace("c-7", "c-8")).content_hash


def _with_rule(body: str) -> str:
    return default_rule_text() + "\n[[rule]]\n" + body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            'id = "x-1"\nversion = "1"\ntitle = "Foo"\nkind = "threshold"\nseverity = "warning"\n'
            'parameters = { loinc = ["1975-2"], comparator = ">", value = 2, unit = "10*9/L" }\n'
            'source = { origin = "centre", reference = "SOP", verification = "unverified" }',
            "cannot be compared in 10\\*9/L",
            id="bilirubin-against-a-count-unit",
        ),
        pytest.param(
            'id = "x-2"\nversion = "1"\ntitle = "Foo"\nkind = "threshold"\nseverity = "warning"\n'
            'parameters = { loinc = ["1975-2", "14631-6"], comparator = ">", value = 2, unit = "mg/dL" }\n'
            'source = { origin = "centre", reference = "SOP", verification = "unverified" }',
            "14631-6",
            id="umol-code-without-analyte-and-basis",
        ),
        pytest.param(
            'id = "x-3"\nversion = "1"\ntitle = "Foo"\nkind = "threshold"\nseverity = "warning"\n'
            'parameters = { loinc = ["751-8"], comparator = "<", value = 0.5, unit = "10*9/L" }\n'
            'source = { origin = "centre", reference = "SOP", verification = "primary" }',
            "unverified",
            id="centre-rule-claiming-primary",
        ),
        pytest.param(
            'id = "x-4"\nversion = "1"\ntitle = "Foo"\nkind = "neutrophil engraftment"\nseverity = "info"\n'
            'source = { origin = "published", reference = "CIBMTR", verification = "secondary" }',
            "expected 'published' and 'primary'",
            id="published-rule-with-another-level",
        ),
        pytest.param(
            'id = "x-5"\nversion = "1"\ntitle = "Foo"\nkind = "threshold"\nseverity = "warning"\n'
            'parameters = { loinc = ["751-8"], comparator = "<", value = 0.5, unit = "10*9/L" }\n'
            'source = { origin = "published", reference = "SOP", verification = "unverified" }',
            "expected 'centre'",
            id="threshold-claiming-published",
        ),
        pytest.param(
            'id = "x-6"\nversion = "1"\ntitle = "Foo"\nkind = "sepsis"\nseverity = "warning"\n'
            'source = { origin = "centre", reference = "SOP", verification = "unverified" }',
            "kind='sepsis'",
            id="unknown-kind",
        ),
        pytest.param(
            'id = "x-7"\nversion = "1"\ntitle = "Foo"\nkind = "threshold"\nseverity = "loud"\n'
            'parameters = { loinc = ["751-8"], comparator = "<", value = 0.5, unit = "10*9/L" }\n'
            'source = { origin = "centre", reference = "SOP", verification = "unverified" }',
            "severity='loud'",
            id="unknown-severity",
        ),
        pytest.param(
            'id = "anc-below-0-5"\nversion = "1"\ntitle = "Foo"\nkind = "threshold"\nseverity = "warning"\n'
            'parameters = { loinc = ["751-8"], comparator = "<", value = 0.5, unit = "10*9/L" }\n'
            'source = { origin = "centre", reference = "SOP", verification = "unverified" }',
            "appears twice",
            id="duplicate-id",
        ),
        pytest.param(
            'id = "x-8"\nversion = "1"\ntitle = "Foo"\nkind = "threshold"\nseverity = "warning"\n'
            'parameters = { loinc = ["751-8"], comparator = "<", value = 0.5, unit = "10*9/L" }\n'
            "applies = { day_from = 10, day_to = 5 }\n"
            'source = { origin = "centre", reference = "SOP", verification = "unverified" }',
            "day_to=5 is before day_from=10",
            id="window-backwards",
        ),
    ],
)
def test_a_bad_rule_is_refused_naming_the_rule_and_field(body: str, message: str) -> None:
    with pytest.raises(RuleFileError, match=message) as caught:
        load_rule_set(default_text=_with_rule(body))
    assert "rule" in str(caught.value)


def test_a_file_that_is_not_toml_is_refused() -> None:
    with pytest.raises(RuleFileError, match="centre rule file: not valid TOML"):
        load_rule_set("[rule_set\nname=")


def test_disabling_a_rule_that_does_not_exist_is_refused() -> None:
    with pytest.raises(RuleFileError, match="disable='nope'"):
        load_rule_set('[rule_set]\nname = "c"\nversion = "1"\ndisable = ["nope"]\n')
