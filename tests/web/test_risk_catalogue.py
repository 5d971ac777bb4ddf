"""Every label a generated form shows (computed at run time, so no extractor sees it) has a translation."""

from __future__ import annotations

import pytest

from engraft.api.routes_scores import result_type
from engraft.registry.risk_profile import RiskProfileRequest
from engraft.scores.catalog import CATALOG
from engraft.scores.provenance import ScoreResult
from engraft.web.forms import FormSpec, Group, Node, Repeat, build_form
from engraft.web.forms.labels import field_label
from engraft.web.i18n import LANGUAGES, merged_catalogue

FORMS: dict[str, FormSpec] = {name: build_form(entry.input_model) for name, entry in CATALOG.items()}
FORMS["episode risk profile"] = build_form(RiskProfileRequest)


def _texts(nodes: tuple[Node, ...]) -> set[str]:
    """The msgids of the nodes' texts (a literal % doubled, as the templates' ``t`` macro asks for it)."""
    return {text.replace("%", "%%") for text in _raw_texts(nodes) if text}


def _raw_texts(nodes: tuple[Node, ...]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        found |= {node.label, node.description}
        if isinstance(node, Repeat):
            found |= _raw_texts(node.row(0).children)
        elif isinstance(node, Group):
            found |= _raw_texts(node.children)
        else:
            found |= {node.unit} | {choice.label for choice in node.choices if node.kind.value != "quantity"}
    return found


def _detail_labels(name: str) -> set[str]:
    model = result_type(CATALOG[name])
    return {field_label(key) for key in model.model_fields if key not in ScoreResult.model_fields}


@pytest.mark.parametrize("code", [lang.code for lang in LANGUAGES if lang.code != "en"])
@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_label_is_translated(code: str, form: str) -> None:
    translated = merged_catalogue(code)
    texts = _texts(FORMS[form].children) | (_detail_labels(form) if form in CATALOG else set())
    missing = sorted(text for text in texts if text not in translated)
    assert not missing, f"add to locale/{code}/LC_MESSAGES/risk.po: {missing}"


def test_a_literal_percent_is_doubled_in_the_msgid() -> None:
    texts = _texts(FORMS["hct-ci"].children)
    assert "%%" in texts and "%% predicted" in texts and "%" not in texts
