"""The sections registry: registration rules, who sees which section, which section a path is in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engraft.access import Permission, Principal, PrincipalKind, Role
from engraft.web import sections
from engraft.web.sections import Section, register, registered_sections, section_at, sections_for


def principal_of(role: Role) -> Principal:
    return Principal(user_id=1, username="someone", role=role, kind=PrincipalKind.SESSION)


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    """Each test starts from the registry as the application left it, and leaves it so."""
    saved = dict(sections._SECTIONS)
    yield
    sections._SECTIONS.clear()
    sections._SECTIONS.update(saved)


PATIENTS = Section("t-patients", "Patients", "/t-patients", Permission.PATIENT_READ, order=10)
OUTCOMES = Section("t-outcomes", "Outcomes", "/t-outcomes", Permission.OUTCOMES_READ, order=20)
ACCOUNTS = Section("t-accounts", "Accounts", "/t-admin/accounts", Permission.ACCOUNTS_MANAGE, order=90)
HELP = Section("t-help", "Help", "/t-help", Permission.PUBLIC, order=95)


def test_registering_the_same_section_twice_changes_nothing() -> None:
    register(PATIENTS)
    register(PATIENTS)
    assert [s for s in registered_sections() if s.key == "t-patients"] == [PATIENTS]


@pytest.mark.parametrize(
    "clash",
    [
        pytest.param(Section("t-patients", "Other", "/t-other", Permission.PATIENT_READ), id="same-key"),
        pytest.param(Section("t-other", "Other", "/t-patients", Permission.PATIENT_READ), id="same-path"),
    ],
)
def test_a_second_section_with_a_taken_key_or_path_is_refused(clash: Section) -> None:
    register(PATIENTS)
    with pytest.raises(ValueError, match="t-patients"):
        register(clash)


@pytest.mark.parametrize(
    ("key", "path"),
    [
        pytest.param("", "/x", id="empty-key"),
        pytest.param("a b", "/x", id="space-in-key"),
        pytest.param("x", "x", id="relative-path"),
        pytest.param("x", "/api/patients", id="api-path"),
    ],
)
def test_bad_keys_and_paths_are_refused(key: str, path: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        Section(key, "X", path, Permission.SIGNED_IN)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param(None, ["t-help"], id="anonymous"),
        pytest.param(Role.NURSE, ["t-patients", "t-help"], id="nurse"),
        pytest.param(Role.PHYSICIAN, ["t-patients", "t-outcomes", "t-help"], id="physician"),
        pytest.param(Role.RESEARCHER, ["t-outcomes", "t-help"], id="researcher"),
        pytest.param(Role.ADMIN, ["t-accounts", "t-help"], id="admin"),
    ],
)
def test_navigation_shows_only_what_the_role_may_open_in_order(role: Role | None, expected: list[str]) -> None:
    for section in (HELP, ACCOUNTS, OUTCOMES, PATIENTS):
        register(section)
    principal = principal_of(role) if role is not None else None
    shown = [s.key for s in sections_for(principal) if s.key.startswith("t-")]
    assert shown == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/t-patients", "t-patients", id="section-start"),
        pytest.param("/t-patients/12/episodes", "t-patients", id="inside"),
        pytest.param("/t-patientsx", None, id="prefix-is-not-enough"),
        pytest.param("/t-admin/accounts/3", "t-accounts", id="nested"),
        pytest.param("/t-admin", None, id="parent-of-section"),
    ],
)
def test_section_at_finds_the_section_of_a_path(path: str, expected: str | None) -> None:
    for section in (ACCOUNTS, PATIENTS):
        register(section)
    found = section_at(path)
    assert (found.key if found else None) == expected


def test_the_longest_section_path_wins() -> None:
    register(Section("t-admin", "Admin", "/t-admin", Permission.ACCOUNTS_MANAGE))
    register(ACCOUNTS)
    found = section_at("/t-admin/accounts/new")
    assert found is not None and found.key == "t-accounts"
