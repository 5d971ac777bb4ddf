"""``parse_json_body``: what a JSON body must be before schema validation (finite numbers, Unicode text), the
body handed on unchanged when nothing needs refusing or rewriting."""

from __future__ import annotations

import json

import pytest

from engraft.api.request_body import RequestProblem, parse_json_body

JSON = "application/json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(b'{"a": {"b": "x\\ud800"}}', "a.b", id="lone-high-surrogate"),
        pytest.param(b'{"a": ["ok", "\\uDFFF"]}', "a.1", id="lone-low-surrogate-upper-case-hex"),
        pytest.param(b'{"a": "\\ude00\\ud83d"}', "a", id="reversed-pair"),
        pytest.param(b'{"a": {"b": NaN}}', "a.b", id="nan"),
        pytest.param(b'[{"v": -Infinity}]', "0.v", id="minus-infinity"),
        pytest.param(b'{"v": 1e999}', "v", id="overflowing-float"),
    ],
)
def test_what_cannot_be_stored_is_422_naming_the_field(body: bytes, field: str) -> None:
    with pytest.raises(RequestProblem) as raised:
        parse_json_body(body, JSON, required=True)
    assert raised.value.status == 422
    assert [e.field for e in raised.value.errors] == [field]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"a": "plain", "n": [1, 2.5, -3e-2], "t": true, "z": null}', id="plain"),
        pytest.param(b'{"a": "\\ud83d\\ude00"}', id="paired-surrogate-escapes-an-emoji"),
        pytest.param(b'{"a": "\\\\ud800 is text here, not an escape"}', id="escaped-backslash-then-ud800"),
        pytest.param('{"a": "\u00e9\u79fb\u690d"}'.encode(), id="utf-8-text"),
    ],
)
def test_a_body_with_nothing_to_refuse_or_rewrite_is_handed_on_as_sent(body: bytes) -> None:
    assert parse_json_body(body, JSON, required=True) is body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(b'{"n": 2.0}', {"n": 2}, id="two-point-zero"),
        pytest.param(b'{"n": [1e3, 0.5]}', {"n": [1000, 0.5]}, id="exponent"),
        pytest.param(b'{"n": 2.0, "s": "\\ud83d\\ude00"}', {"n": 2, "s": "\U0001f600"}, id="with-paired-escapes"),
    ],
)
def test_integral_floats_are_rewritten_as_integers(body: bytes, expected: object) -> None:
    rewritten = parse_json_body(body, JSON, required=True)
    assert rewritten is not None and rewritten is not body
    assert rewritten == json.dumps(expected).encode("ascii")  # integers, not 2.0 or 1e3
