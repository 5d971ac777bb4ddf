"""``engraft users`` and ``engraft tokens``: secrets printed once, one-line errors, no tracebacks; the demo
accounts and the plain-HTTP warning of ``engraft serve``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyotp
import pytest
from typer.testing import CliRunner

from engraft.access import Role
from engraft.cli import app
from engraft.cli.main import transport_warnings
from engraft.cli.users import account_service, demo_accounts
from engraft.registry.accounts_policy import token_digest
from engraft.registry.accounts_schemas import NewUser
from engraft.registry.audit_log import AuditQuery, list_audit

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_add_prints_a_one_time_password_that_signs_in(url: str) -> None:
    code, output = _run("users", "add", "ada", "--role", "admin", "--name", "Ada L", "--database", url)
    assert code == 0, output
    password = output.strip().splitlines()[-1]
    assert len(password) == 16
    accounts = account_service(url, "test")
    opened = accounts.sign_in("ada", password)
    assert opened.principal.role is Role.ADMIN
    code, listed = _run("users", "list", "--database", url)
    assert "must change password" in listed and password not in listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["users", "add", "Bad Name", "--role", "nurse"], "username", id="bad-username"),
        pytest.param(["users", "add", "kim", "--role", "nurse", "--locale", "fr"], "locale", id="bad-locale"),
        pytest.param(["users", "disable", "nobody"], "no account named 'nobody'", id="unknown-user"),
        pytest.param(["users", "reset-password", "nobody"], "no account named", id="reset-unknown"),
        pytest.param(["users", "reset-2fa", "nobody"], "no account named 'nobody'", id="reset-2fa-unknown"),
        pytest.param(["tokens", "revoke", "9"], "API token 9 does not exist", id="unknown-token"),
        pytest.param(["tokens", "issue", "lab", "--role", "nurse", "--admin", "nobody"], "no account", id="no-admin"),
    ],
)
def test_errors_are_one_clear_line(url: str, args: list[str], message: str) -> None:
    code, output = _run(*args, "--database", url)
    assert code == 1 and message in output and output.startswith("error:")


def test_duplicate_account_is_refused(url: str) -> None:
    assert _run("users", "add", "kim", "--role", "nurse", "--database", url)[0] == 0
    code, output = _run("users", "add", "kim", "--role", "nurse", "--database", url)
    assert code == 1 and "already exists" in output


def test_tokens_issue_list_revoke(url: str) -> None:
    _run("users", "add", "ada", "--role", "admin", "--database", url)
    _run("users", "add", "kim", "--role", "nurse", "--database", url)
    code, output = _run("tokens", "issue", "lab", "--role", "nurse", "--admin", "kim", "--database", url)
    assert code == 1 and "not an active administrator" in output
    code, output = _run("tokens", "issue", "lab", "--role", "admin", "--admin", "ada", "--database", url)
    assert code == 1 and "except admin" in output
    code, output = _run(
        "tokens", "issue", "lab", "--role", "nurse", "--admin", "ada", "--days", "30", "--database", url
    )
    assert code == 0, output
    secret = output.strip().splitlines()[-1]
    assert secret.startswith("egt_")
    accounts = account_service(url, "test")
    assert accounts.resolve_token(secret) is not None
    listed = _run("tokens", "list", "--database", url)[1]
    assert "active" in listed and secret not in listed and token_digest(secret) not in listed
    assert _run("tokens", "revoke", "1", "--database", url)[0] == 0
    assert accounts.resolve_token(secret) is None


def test_disable_and_reset(url: str) -> None:
    _run("users", "add", "kim", "--role", "nurse", "--database", url)
    reset = _run("users", "reset-password", "kim", "--database", url)[1].strip().splitlines()[-1]
    accounts = account_service(url, "test")
    assert accounts.sign_in("kim", reset).principal.username == "kim"
    assert _run("users", "disable", "kim", "--database", url)[0] == 0
    assert accounts.find_user("kim").disabled  # type: ignore[union-attr]


def test_reset_2fa_removes_the_factor_ends_sessions_and_the_admin_must_set_a_new_one(url: str) -> None:
    accounts = account_service(url, "test")
    made = accounts.create_user(NewUser(username="ada", display_name="Ada", role=Role.ADMIN), PASSWORD)
    setup = accounts.begin_totp(made.user.id)
    accounts.confirm_totp(made.user.id, pyotp.TOTP(setup.secret).at(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)))
    before = accounts.sign_in("ada", PASSWORD, pyotp.TOTP(setup.secret).now())
    code, output = _run("users", "reset-2fa", "ada", "--database", url)
    assert code == 0 and "must set up a new one at next sign-in" in " ".join(output.split()), output
    assert accounts.resolve_session(before.token) is None
    assert not accounts.get_user(made.user.id).totp_enabled
    after = accounts.resolve_session(accounts.sign_in("ada", PASSWORD).token)  # the password alone
    assert after is not None and after.needs_second_factor and after.pending
    entries = list_audit(accounts.registry, AuditQuery(entity="user account", entity_id=made.user.id)).items
    reset = [e for e in entries if e.changes.get("second_factor") == "reset"]
    assert len(reset) == 1 and reset[0].actor.startswith("users reset-2fa (")


def test_demo_accounts_one_per_role_new_passwords_each_start(url: str) -> None:
    first = demo_accounts(url)
    again = demo_accounts(url)
    assert [role for _, role, _ in first] == list(Role)
    assert all(a[2] != b[2] for a, b in zip(first, again, strict=True))
    accounts = account_service(url, "test")
    name, role, password = again[1]
    assert accounts.sign_in(name, password).principal.role is role


@pytest.mark.parametrize(
    ("host", "tls", "warned"),
    [
        pytest.param("127.0.0.1", False, False, id="loopback"),
        pytest.param("::1", False, False, id="loopback-v6"),
        pytest.param("localhost", False, False, id="localhost"),
        pytest.param("0.0.0.0", False, True, id="all-interfaces-plain-http"),
        pytest.param("10.1.2.3", False, True, id="lan-plain-http"),
        pytest.param("0.0.0.0", True, False, id="all-interfaces-tls"),
    ],
)
def test_plain_http_beyond_loopback_is_warned(host: str, tls: bool, warned: bool) -> None:
    warnings = transport_warnings(host, tls)
    assert bool(warnings) == warned
    if warned:
        assert "--ssl-certfile" in warnings[0]


def test_serve_refuses_half_a_tls_configuration(url: str, tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x", encoding="utf-8")
    code, output = _run("serve", "--database", url, "--ssl-certfile", str(cert))
    assert code == 1 and "go together" in output
