"""What the audit page shows of an entry, and how it reads its filter form (no server needed)."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from fastapi import Request
from hypothesis import given
from hypothesis import strategies as st

from engraft.registry.audit import AuditAction
from engraft.registry.audit_log import AuditEntryOut
from engraft.web.pages.account_forms import FieldErrors
from engraft.web.pages.admin_audit import NO_PATIENT_DATA, changes_shown, read_filters

FIELD_NAMES = st.text(string.ascii_lowercase + "_", min_size=1, max_size=12)
VALUES = st.text(min_size=3, max_size=20).filter(lambda v: v.strip() and "," not in v)
CLINICAL_KINDS = st.sampled_from(["patient", "patient identity", "transplant episode", "diagnosis", "donor"])


def _entry(entity: str, changes: dict[str, object], action: AuditAction = AuditAction.UPDATE) -> AuditEntryOut:
    return AuditEntryOut(
        id=1,
        at=dt.datetime(2026, 12, 4, tzinfo=dt.UTC),
        actor="dr.lin",
        actor_id=2,
        actor_role="physician",
        client_address="127.0.0.1",
        user_agent=None,
        action=action,
        entity=entity,
        entity_id=7,
        changes=changes,
    )


@given(entity=CLINICAL_KINDS, changes=st.dictionaries(FIELD_NAMES, VALUES, min_size=1, max_size=5))
def test_clinical_changes_show_field_names_never_values(entity: str, changes: dict[str, str]) -> None:
    shown = changes_shown(_entry(entity, dict(changes)))
    assert set(shown.split(", ")) == set(changes)
    for value in changes.values():
        if value not in changes:  # a value that happens to equal a field name is not a leak
            assert value not in shown.split(", ")


@pytest.mark.parametrize("entity", sorted(NO_PATIENT_DATA))
def test_account_events_show_their_values(entity: str) -> None:
    assert changes_shown(_entry(entity, {"role": "nurse"}, AuditAction.ACCOUNT_CHANGE)) == '{"role": "nurse"}'


def _Request() -> Request:
    """A bare page request nobody is signed in to (English), for :class:`FieldErrors`."""
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "https",
        "server": ("testserver", 443),
        "path": "/admin/audit",
        "query_string": b"",
        "headers": [],
        "state": {},
    }
    return Request(scope)


@given(
    params=st.dictionaries(
        st.sampled_from(["user", "action", "entity", "record", "from", "to", "x"]), st.text(max_size=30)
    )
)
def test_any_filter_form_reads_to_a_valid_query_or_field_errors(params: dict[str, str]) -> None:
    errors = FieldErrors(_Request())
    query, given_back = read_filters(params, errors)
    assert set(given_back) == {"user", "action", "entity", "record", "from", "to"}
    if query.since is not None and query.until is not None:
        assert query.until > query.since
    assert set(errors.fields) <= {"user", "action", "entity", "record", "from", "to"}


@pytest.mark.parametrize(
    ("first", "last", "since", "until"),
    [
        pytest.param(
            "2026-12-04", "2026-12-04", "2026-12-04T00:00:00+00:00", "2026-12-05T00:00:00+00:00", id="one-day"
        ),
        pytest.param(
            "2026-12-31", "2027-01-01", "2026-12-31T00:00:00+00:00", "2027-01-02T00:00:00+00:00", id="new-year"
        ),
    ],
)
def test_days_are_inclusive_utc(first: str, last: str, since: str, until: str) -> None:
    errors = FieldErrors(_Request())
    query, _ = read_filters({"from": first, "to": last}, errors)
    assert not errors
    assert query.since is not None and query.since.isoformat() == since
    assert query.until is not None and query.until.isoformat() == until
