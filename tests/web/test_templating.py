"""The template environment: translation with escaping, per-language dates and numbers, static URLs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engraft.web.i18n import ENGLISH, SIMPLIFIED_CHINESE, Language, translations_for
from engraft.web.templating import ENVIRONMENT, static_url


def render_string(source: str, language: Language = ENGLISH, **values: Any) -> str:
    template = ENVIRONMENT.from_string(source)
    return template.render(language=language, translations=translations_for(language.code), **values)


@pytest.mark.parametrize(
    ("source", "language", "expected"),
    [
        pytest.param("{{ day|date }}", ENGLISH, "Dec 4, 2026", id="date-en"),
        pytest.param("{{ day|date }}", SIMPLIFIED_CHINESE, "2026年12月4日", id="date-zh"),
        pytest.param("{{ day|date('short') }}", SIMPLIFIED_CHINESE, "2026/12/4", id="short-date-zh"),
        pytest.param("{{ 1234567.891|number }}", ENGLISH, "1,234,567.891", id="number-en"),
        pytest.param("{{ 0.256|percent }}", ENGLISH, "26%", id="percent"),
        pytest.param("{{ 0.2567|percent(1) }}", SIMPLIFIED_CHINESE, "25.7%", id="percent-1-zh"),
        pytest.param("{{ 2.0|decimal(2) }}", ENGLISH, "2.00", id="decimal-places"),
        pytest.param("{{ none|date }}{{ none|number }}", ENGLISH, "", id="missing-is-empty"),
    ],
)
def test_formats_follow_the_language(source: str, language: Language, expected: str) -> None:
    assert render_string(source, language, day=dt.date(2026, 12, 4), none=None) == expected


def test_timestamps_keep_their_own_time_zone() -> None:
    moment = dt.datetime(2026, 12, 4, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert render_string("{{ t|datetime('medium') }}", SIMPLIFIED_CHINESE, t=moment) == "2026年12月4日 09:05:00"


def test_translations_fill_placeholders_and_escape_them() -> None:
    html = render_string('{{ _("Welcome, %(name)s", name=who) }}', SIMPLIFIED_CHINESE, who="<b>Ada</b>")
    assert html == "欢迎，&lt;b&gt;Ada&lt;/b&gt;"


def test_trans_blocks_and_plurals() -> None:
    source = (
        "{% trans %}Sign out{% endtrans %}|"
        '{{ ngettext("%(num)d patient", "%(num)d patients", 1) }}|'
        '{{ ngettext("%(num)d patient", "%(num)d patients", 3) }}'
    )
    assert render_string(source, ENGLISH) == "Sign out|1 patient|3 patients"
    assert render_string(source, SIMPLIFIED_CHINESE).startswith("退出登录|")


def test_autoescaping_is_on() -> None:
    assert render_string("{{ x }}", x="<script>") == "&lt;script&gt;"


def test_static_url_carries_the_content_hash() -> None:
    url = static_url("engraft.css")
    assert url.startswith("/static/engraft.css?v=") and len(url.split("=")[1]) == 12


@pytest.mark.parametrize("path", ["../application.py", "nope.css", "vendor"])
def test_static_url_refuses_what_is_not_a_static_file(path: str) -> None:
    with pytest.raises(ValueError, match="expected a file under"):
        static_url(path)
