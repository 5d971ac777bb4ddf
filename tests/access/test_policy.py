"""The policy table and researcher pseudonyms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.access import ROLE_PERMISSIONS, Permission, Principal, PrincipalKind, Pseudonymiser, Role, allows

KEY = b"k" * 32


def test_every_role_is_in_the_table() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.parametrize("permission", list(Permission))
def test_nobody_signed_in_gets_only_public(permission: Permission) -> None:
    assert allows(None, permission) is (permission is Permission.PUBLIC)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_is_signed_in(role: Role) -> None:
    assert allows(role, Permission.SIGNED_IN) and allows(role, Permission.PUBLIC)


def test_researcher_never_reads_identity_or_the_clinical_record() -> None:
    for permission in (Permission.PATIENT_IDENTITY_READ, Permission.PATIENT_READ, Permission.REGISTRY_EXPORT):
        assert not allows(Role.RESEARCHER, permission)
    assert allows(Role.RESEARCHER, Permission.RESEARCH_READ)


def test_admin_manages_accounts_and_audit_but_reads_no_patient() -> None:
    assert allows(Role.ADMIN, Permission.ACCOUNTS_MANAGE) and allows(Role.ADMIN, Permission.AUDIT_READ)
    assert not allows(Role.ADMIN, Permission.PATIENT_READ)
    assert not any(allows(r, Permission.ACCOUNTS_MANAGE) for r in Role if r is not Role.ADMIN)


def test_principal_sees_identity_by_role() -> None:
    nurse = Principal(1, "n", Role.NURSE, PrincipalKind.SESSION)
    researcher = Principal(2, "r", Role.RESEARCHER, PrincipalKind.SESSION)
    assert nurse.sees_identity and not researcher.sees_identity


def test_pseudonym_shape_and_prefix() -> None:
    p = Pseudonymiser("aml-2026", KEY).pseudonym("patient", 42)
    assert p.startswith("P-") and len(p) == 12 and "42" not in p[2:4]


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_pseudonyms_are_stable_and_distinct(a: int, b: int) -> None:
    s = Pseudonymiser("study", KEY)
    assert s.pseudonym("patient", a) == Pseudonymiser("study", KEY).pseudonym("patient", a)
    if a != b:
        assert s.pseudonym("patient", a) != s.pseudonym("patient", b)


def test_projects_are_unlinkable() -> None:
    assert Pseudonymiser("one", KEY).pseudonym("patient", 7) != Pseudonymiser("two", KEY).pseudonym("patient", 7)


@pytest.mark.parametrize(
    ("project", "key", "field"),
    [pytest.param("", KEY, "project", id="no-project"), pytest.param("p", b"short", "key", id="short-key")],
)
def test_bad_pseudonymiser_names_field(project: str, key: bytes, field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        Pseudonymiser(project, key)
