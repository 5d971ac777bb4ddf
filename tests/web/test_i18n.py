"""Languages: choosing one per request, reading and merging the per-section catalogues."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.web.i18n import (
    ENGLISH,
    SIMPLIFIED_CHINESE,
    catalogue_conflicts,
    choose_language,
    from_accept_language,
    language_named,
    merged_catalogue,
    translations_for,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("en", ENGLISH, id="en"),
        pytest.param("en-GB", ENGLISH, id="en-GB"),
        pytest.param("zh_Hans", SIMPLIFIED_CHINESE, id="zh_Hans"),
        pytest.param("zh-Hans-CN", SIMPLIFIED_CHINESE, id="zh-Hans-CN"),
        pytest.param("zh-CN", SIMPLIFIED_CHINESE, id="zh-CN"),
        pytest.param("ZH", SIMPLIFIED_CHINESE, id="upper-case"),
        pytest.param("fr", None, id="not-offered"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="none"),
    ],
)
def test_language_named(code: str | None, expected: object) -> None:
    assert language_named(code) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("zh-CN,zh;q=0.9,en;q=0.8", SIMPLIFIED_CHINESE, id="chinese-first"),
        pytest.param("fr-FR,fr;q=0.9,en;q=0.5,zh;q=0.4", ENGLISH, id="first-offered-by-order"),
        pytest.param("en;q=0.2,zh;q=0.9", SIMPLIFIED_CHINESE, id="q-values-not-order"),
        pytest.param("zh;q=0,en", ENGLISH, id="q-zero-refuses"),
        pytest.param("de, fr", None, id="none-offered"),
        pytest.param("*", None, id="wildcard"),
        pytest.param("zh;q=abc", None, id="bad-q-is-refusal"),
    ],
)
def test_accept_language(header: str, expected: object) -> None:
    assert from_accept_language(header) == expected


@pytest.mark.parametrize(
    ("cookie", "account", "accept", "expected"),
    [
        pytest.param("zh_Hans", "en", "en", SIMPLIFIED_CHINESE, id="switcher-first"),
        pytest.param(None, "zh_Hans", "en", SIMPLIFIED_CHINESE, id="then-account"),
        pytest.param(None, None, "zh-CN", SIMPLIFIED_CHINESE, id="then-browser"),
        pytest.param("xx", None, "zh-CN", SIMPLIFIED_CHINESE, id="bad-cookie-ignored"),
        pytest.param(None, None, None, ENGLISH, id="default-english"),
    ],
)
def test_choose_language_order(cookie: str | None, account: str | None, accept: str | None, expected: object) -> None:
    assert choose_language(cookie=cookie, account=account, accept_language=accept) == expected


@given(st.text(max_size=80))
def test_any_accept_language_header_gives_an_offered_language_or_none(header: str) -> None:
    assert from_accept_language(header) in (None, ENGLISH, SIMPLIFIED_CHINESE)


def _po(path: Path, entries: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
    )
    path.write_text(header + entries, encoding="utf-8")


def test_every_section_file_is_merged_and_fuzzy_or_empty_entries_are_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "zh_Hans" / "LC_MESSAGES"
    _po(folder / "a.po", 'msgid "Patients"\nmsgstr "患者"\n\n#, fuzzy\nmsgid "Donor"\nmsgstr "供者"\n')
    _po(folder / "b.po", 'msgid "Outcomes"\nmsgstr "结局"\n\nmsgid "Empty"\nmsgstr ""\n')
    assert merged_catalogue("zh_Hans", tmp_path) == {"Patients": "患者", "Outcomes": "结局"}


def test_where_files_differ_the_platform_then_the_first_by_name_wins_and_the_clash_is_listed(tmp_path: Path) -> None:
    folder = tmp_path / "zh_Hans" / "LC_MESSAGES"
    _po(folder / "a.po", 'msgid "Events"\nmsgstr "事件数"\n\nmsgid "Sign out"\nmsgstr "登出"\n')
    _po(folder / "b.po", 'msgid "Events"\nmsgstr "事件"\n')
    _po(folder / "platform.po", 'msgid "Sign out"\nmsgstr "退出登录"\n')
    assert merged_catalogue("zh_Hans", tmp_path) == {"Events": "事件数", "Sign out": "退出登录"}
    assert catalogue_conflicts("zh_Hans", tmp_path) == [
        ("Sign out", "platform.po", "退出登录", "a.po", "登出"),
        ("Events", "a.po", "事件数", "b.po", "事件"),
    ]


def test_messages_with_a_context_are_kept_apart(tmp_path: Path) -> None:
    folder = tmp_path / "zh_Hans" / "LC_MESSAGES"
    _po(folder / "a.po", 'msgctxt "count"\nmsgid "Events"\nmsgstr "事件数"\n\nmsgid "Events"\nmsgstr "事件"\n')
    assert merged_catalogue("zh_Hans", tmp_path) == {"count\x04Events": "事件数", "Events": "事件"}


def test_a_section_reads_its_own_catalogue_first_then_everyone_s() -> None:
    patients = translations_for("zh_Hans", "patients")
    assert patients.gettext("Sign out") == "退出登录"  # from platform.po, through the merge
    for clash in catalogue_conflicts("zh_Hans"):
        msgid, first_file, first, other_file, other = clash
        own = translations_for("zh_Hans", other_file.removesuffix(".po"))
        assert own.gettext(msgid) == other, clash
        assert translations_for("zh_Hans", first_file.removesuffix(".po")).gettext(msgid) == first, clash


def test_plural_messages_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "zh_Hans" / "LC_MESSAGES"
    _po(folder / "a.po", 'msgid "%(num)d patient"\nmsgid_plural "%(num)d patients"\nmsgstr[0] "%(num)d 位患者"\n')
    assert merged_catalogue("zh_Hans", tmp_path) == {"%(num)d patient": ("%(num)d 位患者",)}


def test_shipped_translations_translate_and_fall_back_to_english() -> None:
    chinese = translations_for("zh_Hans")
    assert chinese.gettext("Sign out") == "退出登录"
    assert chinese.gettext("no such msgid") == "no such msgid"
    assert translations_for("en").gettext("Sign out") == "Sign out"
