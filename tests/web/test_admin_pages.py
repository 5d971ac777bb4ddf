"""The administration pages through the real routes: who may open them, accounts (one-time passwords shown
once), API tokens (secrets shown once), the audit log's filters, paging and CSV download, and forms without
the CSRF token."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI

from engraft.access import Role
from engraft.registry.accounts_schemas import NewUser, UserChange
from engraft.registry.audit import AuditAction
from engraft.registry.audit_log import AuditQuery, list_audit
from tests.auth_clients import ManualClock, TestAccount, accounts_of, create_account
from tests.web.account_pages import HTML, Browser, application

ADMIN_PAGES = ("/admin/users", "/admin/tokens", "/admin/audit")
ADMIN_FORMS = (
    "/admin/users",
    "/admin/users/1/role",
    "/admin/users/1/status",
    "/admin/users/1/password",
    "/admin/users/1/second-factor",
    "/admin/tokens",
    "/admin/tokens/1/revoke",
)
OTHER_ROLES = tuple(role for role in Role if role is not Role.ADMIN)


@pytest.fixture(scope="module")
def app_and_clock(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, ManualClock]:
    return application(tmp_path_factory.mktemp("admin"))


@pytest.fixture
def app(app_and_clock: tuple[FastAPI, ManualClock]) -> FastAPI:
    return app_and_clock[0]


@pytest.fixture
def clock(app_and_clock: tuple[FastAPI, ManualClock]) -> ManualClock:
    return app_and_clock[1]


@pytest.fixture(scope="module")
def admin_account(app_and_clock: tuple[FastAPI, ManualClock]) -> TestAccount:
    return create_account(app_and_clock[0], Role.ADMIN, "the.admin")


@pytest.fixture
def admin(app: FastAPI, clock: ManualClock, admin_account: TestAccount) -> Iterator[Browser]:
    with Browser(app) as browser:
        browser.sign_in_as(admin_account, clock)
        yield browser


def _one_time(html: str, element: str) -> str:
    found = re.search(rf'id="{element}">([^<]+)</p>', html)
    assert found is not None, f"no {element} on the page"
    return found.group(1)


def _create(admin: Browser, username: str, role: Role = Role.NURSE) -> str:
    form = {"csrf_token": admin.csrf(), "username": username, "display_name": username.title(), "role": role.value}
    answer = admin.post("/admin/users", data=form | {"locale": "en"}, headers=HTML)
    assert answer.status_code == 200, answer.text
    return _one_time(answer.text, "one-time-password")


# ---- who may open them ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_is_sent_to_sign_in(app: FastAPI, path: str) -> None:
    with Browser(app) as browser:
        answer = browser.get(path, headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"] == f"/sign-in?next={path}"


@pytest.mark.parametrize("role", [pytest.param(role, id=role.value) for role in OTHER_ROLES])
def test_every_admin_page_and_form_is_403_for_other_roles(app: FastAPI, clock: ManualClock, role: Role) -> None:
    account = create_account(app, role, f"not-admin.{role.value.replace('_', '-')}")
    with Browser(app) as browser:
        browser.sign_in_as(account, clock)
        csrf = browser.csrf()
        for path in ADMIN_PAGES:
            answer = browser.get(path, headers=HTML)
            assert answer.status_code == 403, path
            assert "Not allowed" in answer.text
        for path in ADMIN_FORMS:
            answer = browser.post(path, data={"csrf_token": csrf, "username": "sneaky", "role": "admin"}, headers=HTML)
            assert answer.status_code == 403, path
    assert accounts_of(app).find_user("sneaky") is None


def test_admin_pages_are_in_the_admin_s_navigation_only(admin: Browser, app: FastAPI, clock: ManualClock) -> None:
    home = admin.get("/", headers=HTML).text
    for path in ADMIN_PAGES:
        assert f'href="{path}"' in home
    with Browser(app) as nurse:
        nurse.sign_in_as(create_account(app, Role.NURSE, "nav.nurse"), clock)
        page = nurse.get("/", headers=HTML).text
    assert all(f'href="{path}"' not in page for path in ADMIN_PAGES)
    assert 'href="/account"' in page


@pytest.mark.parametrize(
    ("path", "form"),
    [
        pytest.param("/admin/users", {"username": "csrf.victim", "display_name": "V", "role": "admin"}, id="create"),
        pytest.param("/admin/tokens", {"name": "csrf-token", "role": "nurse", "expires_on": "2027-01-01"}, id="token"),
    ],
)
def test_forms_without_the_csrf_token_change_nothing(
    admin: Browser, app: FastAPI, path: str, form: dict[str, str]
) -> None:
    assert admin.post(path, data=form, headers=HTML).status_code == 403
    assert admin.post(path, data=form | {"csrf_token": "forged"}, headers=HTML).status_code == 403
    assert accounts_of(app).find_user("csrf.victim") is None
    assert all(token.name != "csrf-token" for token in accounts_of(app).list_tokens())


# ---- accounts -------------------------------------------------------------------------------------
def test_created_account_s_one_time_password_is_shown_once_and_must_be_changed(admin: Browser, app: FastAPI) -> None:
    password = _create(admin, "created.nurse")
    assert len(password) == 16
    listing = admin.get("/admin/users", headers=HTML).text
    assert "created.nurse" in listing and password not in listing
    user = accounts_of(app).find_user("created.nurse")
    assert user is not None and user.must_change_password and user.role is Role.NURSE
    with Browser(app) as newcomer:
        answer = newcomer.sign_in("created.nurse", password, next_path="/")
        assert answer.status_code == 303 and answer.headers["location"] == "/account?next=/"


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        pytest.param(
            {"username": "Bad Name", "display_name": "X", "role": "nurse"}, "username", "2 to 64", id="username"
        ),
        pytest.param(
            {"username": "no.name", "display_name": "", "role": "nurse"}, "display_name", "Required", id="name"
        ),
        pytest.param({"username": "no.role", "display_name": "X", "role": ""}, "role", "Choose a role.", id="role"),
        pytest.param({"username": "the.admin", "display_name": "X", "role": "nurse"}, "username", "exists", id="taken"),
    ],
)
def test_create_account_problems_are_shown_by_their_field(
    admin: Browser, form: dict[str, str], field: str, message: str
) -> None:
    answer = admin.post("/admin/users", data={"csrf_token": admin.csrf(), "locale": "en", **form}, headers=HTML)
    assert answer.status_code in {400, 409}
    found = re.search(rf'id="{field}-error">([^<]*)<', answer.text)
    assert found is not None and message in found.group(1)
    assert "one-time-password" not in answer.text


def test_change_role_disable_enable_and_reset_password(admin: Browser, app: FastAPI, clock: ManualClock) -> None:
    first = _create(admin, "changing.user")
    user = accounts_of(app).find_user("changing.user")
    assert user is not None
    csrf = admin.csrf()
    answer = admin.post(f"/admin/users/{user.id}/role", data={"csrf_token": csrf, "role": "physician"}, headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/users?done=role"
    assert accounts_of(app).get_user(user.id).role is Role.PHYSICIAN
    answer = admin.post(f"/admin/users/{user.id}/status", data={"csrf_token": csrf, "disabled": "true"}, headers=HTML)
    assert answer.status_code == 303
    assert accounts_of(app).get_user(user.id).disabled
    with Browser(app) as person:
        assert person.sign_in("changing.user", first).status_code == 401
    admin.post(f"/admin/users/{user.id}/status", data={"csrf_token": csrf, "disabled": "false"}, headers=HTML)
    assert not accounts_of(app).get_user(user.id).disabled
    reset = admin.post(f"/admin/users/{user.id}/password", data={"csrf_token": csrf}, headers=HTML)
    assert reset.status_code == 200 and "Password reset" in reset.text
    second = _one_time(reset.text, "one-time-password")
    assert second != first
    assert second not in admin.get("/admin/users", headers=HTML).text
    with Browser(app) as person:
        assert person.sign_in("changing.user", first).status_code == 401
        assert person.sign_in("changing.user", second).headers["location"] == "/account?next=/"


def test_an_administrator_cannot_disable_themselves(admin: Browser, app: FastAPI, admin_account: TestAccount) -> None:
    csrf = admin.csrf()
    answer = admin.post(
        f"/admin/users/{admin_account.user_id}/status", data={"csrf_token": csrf, "disabled": "true"}, headers=HTML
    )
    assert answer.status_code == 400
    assert "Another administrator must disable your account." in answer.text
    assert not accounts_of(app).get_user(admin_account.user_id).disabled


def test_reset_second_factor_needs_the_csrf_token_ends_sessions_and_is_audited(
    admin: Browser, app: FastAPI, clock: ManualClock
) -> None:
    lost = create_account(app, Role.ADMIN, "lost.phone")
    with Browser(app) as person:
        person.sign_in_as(lost, clock)
        listing = admin.get("/admin/users", headers=HTML).text
        action = f'action="/admin/users/{lost.user_id}/second-factor"'
        assert action in listing and "Reset second factor" in listing
        path = f"/admin/users/{lost.user_id}/second-factor"
        assert admin.post(path, data={"csrf_token": "forged"}, headers=HTML).status_code == 403
        assert accounts_of(app).get_user(lost.user_id).totp_enabled
        answer = admin.post(path, data={"csrf_token": admin.csrf()}, headers=HTML)
        assert answer.status_code == 303 and answer.headers["location"] == "/admin/users?done=second-factor"
        assert person.get("/account", headers=HTML).status_code == 303  # its session ended
    assert not accounts_of(app).get_user(lost.user_id).totp_enabled
    listing = admin.get("/admin/users?done=second-factor", headers=HTML).text
    assert "The second factor has been removed" in listing and action not in listing
    with Browser(app) as person:  # the password alone, then the duty to set up a new second factor
        answer = person.sign_in(lost.username, lost.password, next_path="/")
        assert answer.status_code == 303 and answer.headers["location"] == "/account?next=/"
    query = AuditQuery(action=AuditAction.ACCOUNT_CHANGE, entity="user account", entity_id=lost.user_id)
    rows = list_audit(accounts_of(app).registry, query).items
    reset = [r for r in rows if (r.changes or {}).get("second_factor") == "reset"]
    assert len(reset) == 1 and reset[0].actor == "the.admin"


def test_reset_second_factor_is_offered_in_simplified_chinese(app: FastAPI, clock: ManualClock) -> None:
    account = create_account(app, Role.ADMIN, "chinese.admin")
    accounts_of(app).update_user(account.user_id, UserChange(locale="zh_Hans"))
    with Browser(app) as browser:
        browser.sign_in_as(account, clock)
        page = browser.get("/admin/users", headers=HTML).text
    assert "重置第二验证因素" in page and "Reset second factor" not in page
    assert "重置 chinese.admin 的第二验证因素？" in page


# ---- API tokens -----------------------------------------------------------------------------------
def test_token_secret_is_shown_once_works_and_stops_when_revoked(admin: Browser, app: FastAPI) -> None:
    form = {"csrf_token": admin.csrf(), "name": "lab-interface", "role": "nurse", "expires_on": "2027-03-01"}
    answer = admin.post("/admin/tokens", data=form, headers=HTML)
    assert answer.status_code == 200, answer.text
    secret = _one_time(answer.text, "token-secret")
    assert secret.startswith("egt_")
    assert "in the Authorization header, after the word Bearer." in answer.text
    listing = admin.get("/admin/tokens", headers=HTML).text
    assert "lab-interface" in listing and secret not in listing
    with Browser(app) as machine:
        me = machine.get("/api/auth/me", headers={"authorization": f"Bearer {secret}"})
        assert me.status_code == 200 and me.json()["role"] == "nurse"
        token = next(t for t in accounts_of(app).list_tokens() if t.name == "lab-interface")
        assert token.expires_at == dt.datetime(2027, 3, 2, tzinfo=dt.UTC)  # to the end of the last day
        revoked = admin.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": admin.csrf()}, headers=HTML)
        assert revoked.status_code == 303 and revoked.headers["location"] == "/admin/tokens?done=revoked"
        assert machine.get("/api/auth/me", headers={"authorization": f"Bearer {secret}"}).status_code == 401


@pytest.mark.parametrize(
    ("form", "field"),
    [
        pytest.param({"name": "admin-token", "role": "admin", "expires_on": "2027-01-01"}, "role", id="admin-role"),
        pytest.param({"name": "past-token", "role": "nurse", "expires_on": "2026-12-01"}, "expires_on", id="past"),
        pytest.param({"name": "far-token", "role": "nurse", "expires_on": "2028-12-31"}, "expires_on", id="too-far"),
        pytest.param({"name": "no-date", "role": "nurse", "expires_on": ""}, "expires_on", id="no-date"),
        pytest.param({"name": "x", "role": "nurse", "expires_on": "2027-01-01"}, "name", id="short-name"),
    ],
)
def test_token_problems_are_shown_and_nothing_is_issued(
    admin: Browser, app: FastAPI, form: dict[str, str], field: str
) -> None:
    answer = admin.post("/admin/tokens", data={"csrf_token": admin.csrf(), **form}, headers=HTML)
    assert answer.status_code == 400
    assert re.search(rf'id="{field}-error">[^<]+<', answer.text), answer.text
    assert "token-secret" not in answer.text
    assert all(token.name != form["name"] for token in accounts_of(app).list_tokens())


# ---- the audit log --------------------------------------------------------------------------------
def _audit_rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_audit_log_filters_by_user_action_entity_record_and_days(admin: Browser, app: FastAPI) -> None:
    _create(admin, "audited.person")
    person = accounts_of(app).find_user("audited.person")
    assert person is not None
    everything = admin.get("/admin/audit", headers=HTML)
    assert everything.status_code == 200
    assert len(_audit_rows(everything.text)) >= 3
    by_user = admin.get("/admin/audit", params={"user": "the.admin", "action": "account change"}, headers=HTML)
    rows = _audit_rows(by_user.text)
    assert rows and all("the.admin" in row and "Account change" in row for row in rows)
    by_record = admin.get(
        "/admin/audit",
        params={"entity": "user account", "record": str(person.id), "action": "account change"},
        headers=HTML,
    )
    rows = _audit_rows(by_record.text)
    assert len(rows) == 1 and f"#{person.id}" in rows[0] and "&#34;created&#34;: true" in rows[0]
    day = dt.datetime.now(dt.UTC).date()  # the audit log stamps entries with the database's time, not the test clock
    today = admin.get(
        "/admin/audit",
        params={"from": str(day - dt.timedelta(days=1)), "to": str(day), "user": "the.admin"},
        headers=HTML,
    )
    assert _audit_rows(today.text) and "No entry matches" not in today.text
    before = admin.get(
        "/admin/audit", params={"from": "2020-01-01", "to": str(day - dt.timedelta(days=2))}, headers=HTML
    )
    assert "No entry matches these filters." in before.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"record": "abc"}, "record", id="record-not-a-number"),
        pytest.param({"record": "0"}, "record", id="record-zero"),
        pytest.param({"from": "2026-12-05", "to": "2026-12-01"}, "to", id="to-before-from"),
        pytest.param({"action": "dance"}, "action", id="unknown-action"),
        pytest.param({"user": "dr.\x00lin"}, "user", id="nul-character"),
    ],
)
def test_audit_filter_problems_are_shown_by_their_field(admin: Browser, params: dict[str, str], field: str) -> None:
    answer = admin.get("/admin/audit", params=params, headers=HTML)
    assert answer.status_code == 400
    assert re.search(rf'id="{field}-error">[^<]+<', answer.text)


def test_audit_csv_download_uses_the_same_filters_and_is_itself_audited(admin: Browser, app: FastAPI) -> None:
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    page = admin.get(
        "/admin/audit", params={"user": "the.admin", "action": "account change", "from": str(since)}, headers=HTML
    )
    link = re.search(r'<a class="button button--quiet" href="([^"]+)" download>', page.text)
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    parts = urlsplit(url)
    assert parts.path == "/api/audit.csv"
    assert parse_qs(parts.query) == {
        "actor": ["the.admin"],
        "action": ["account change"],
        "since": [f"{since}T00:00:00Z"],
    }
    csv = admin.get(url)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert len(lines) >= 2 and all("the.admin" in line for line in lines[1:])
    exports = list_audit(app.state.registry, AuditQuery(action=AuditAction.EXPORT, entity="audit entry"))
    assert exports.total >= 1 and exports.items[0].changes["filters"]["actor"] == "the.admin"


def test_audit_view_itself_is_not_recorded_as_a_read(admin: Browser, app: FastAPI) -> None:
    before = list_audit(app.state.registry, AuditQuery(action=AuditAction.READ)).total
    admin.get("/admin/audit", headers=HTML)
    assert list_audit(app.state.registry, AuditQuery(action=AuditAction.READ)).total == before


def test_audit_log_is_paged(admin: Browser, app: FastAPI) -> None:
    for number in range(51):  # each creation is an "account change" entry
        accounts_of(app).create_user(NewUser(username=f"paged.{number:02d}", display_name="Paged", role=Role.NURSE))
    first = admin.get("/admin/audit", params={"action": "account change"}, headers=HTML)
    assert len(_audit_rows(first.text)) == 50
    older = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert older is not None
    second = admin.get(older.group(1).replace("&amp;", "&"), headers=HTML)
    assert second.status_code == 200 and 'rel="prev"' in second.text
    assert _audit_rows(second.text) and _audit_rows(second.text)[0] not in _audit_rows(first.text)
