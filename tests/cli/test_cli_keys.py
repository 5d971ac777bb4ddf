"""``engraft keys rotate``: every stored secret sealed under a new key, all or nothing, audited; TOTP sign-in and
research pseudonyms unchanged afterwards; the old key no longer opens anything."""

from __future__ import annotations

import base64
import datetime as dt
import stat
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from engraft.access import Role
from engraft.cli import app
from engraft.config.server_key import KEY_FILE_NAME, NEW_SECRET_KEY_ENV, SECRET_KEY_ENV, ServerKeyError, load_server_key
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_schemas import NewUser
from engraft.registry.audit_log import AuditQuery, list_audit
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import upgrade
from engraft.registry.models import UserAccount
from engraft.registry.research_reads import project_pseudonymiser
from engraft.registry.sealed_secrets import SecretBox, totp_context
from engraft.registry.service import RegistryService
from tests.auth_clients import TEST_ACCOUNT_POLICY

PASSWORD = "correct horse battery"
NEW_KEY = base64.urlsafe_b64encode(bytes(range(1, 33))).decode()
runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'registry.db'}"


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def _seed(url: str) -> tuple[AccountService, RegistryService, str, str]:
    """An administrator with a second factor and a research project; (accounts, registry, secret, pseudonym)."""
    engine = make_engine(url)
    upgrade(engine)
    registry = RegistryService(make_session_factory(engine), actor="test")
    accounts = AccountService(registry, TEST_ACCOUNT_POLICY)
    made = accounts.create_user(NewUser(username="ada", display_name="Ada", role=Role.ADMIN), PASSWORD)
    setup = accounts.begin_totp(made.user.id)
    accounts.confirm_totp(made.user.id, pyotp.TOTP(setup.secret).at(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)))
    pseudonym = project_pseudonymiser(registry, "study-a").pseudonym("patient", 1)
    return accounts, registry, setup.secret, pseudonym


def _stored_totp(registry: RegistryService) -> str:
    with registry.read_snapshot() as session:
        stored = session.scalars(select(UserAccount.totp_secret)).one()
    assert stored is not None
    return stored


def test_rotating_the_key_file_reseals_everything_and_keeps_sign_in_and_pseudonyms(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_KEY_ENV)
    monkeypatch.setenv("ENGRAFT_HOME", str(tmp_path / "home"))
    accounts, registry, secret, pseudonym = _seed(url)
    old = load_server_key(create=False)
    before = _stored_totp(registry)
    code, output = _run("keys", "rotate", "--database", url)
    assert code == 0, output
    assert "re-sealed 1 TOTP secret(s) and 1 pseudonym key(s)" in output
    new = load_server_key(create=False)
    key_file = tmp_path / "home" / KEY_FILE_NAME
    assert new.key != old.key and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in key_file.parent.iterdir()) == [KEY_FILE_NAME]  # no staged file left
    after = _stored_totp(registry)
    assert after != before
    with pytest.raises(ServerKeyError):
        SecretBox.with_key(old.key).open_text(after, totp_context(1))
    accounts.sign_in("ada", PASSWORD, pyotp.TOTP(secret).now())
    assert project_pseudonymiser(registry, "study-a").pseudonym("patient", 1) == pseudonym
    audited = list_audit(registry, AuditQuery(entity="server key")).items
    assert len(audited) == 1 and audited[0].actor.startswith("keys rotate (")
    assert audited[0].changes == {"rotated": True, "totp_secrets": 1, "pseudonym_keys": 1}


def test_with_the_variable_the_new_key_must_be_given_and_is_then_used(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts, registry, secret, pseudonym = _seed(url)
    code, output = _run("keys", "rotate", "--database", url)
    assert code == 1 and f"{SECRET_KEY_ENV} is set" in output and NEW_SECRET_KEY_ENV in output
    monkeypatch.setenv(NEW_SECRET_KEY_ENV, "short")
    code, output = _run("keys", "rotate", "--database", url)
    assert code == 1 and f"error: {NEW_SECRET_KEY_ENV}: expected 32 random bytes" in output
    monkeypatch.setenv(NEW_SECRET_KEY_ENV, NEW_KEY)
    code, output = _run("keys", "rotate", "--database", url)
    assert code == 0 and f"now set {SECRET_KEY_ENV} to the value of {NEW_SECRET_KEY_ENV}" in output, output
    with pytest.raises(ServerKeyError, match="another server key"):  # still configured with the old key
        accounts.sign_in("ada", PASSWORD, pyotp.TOTP(secret).now())
    monkeypatch.setenv(SECRET_KEY_ENV, NEW_KEY)
    accounts.sign_in("ada", PASSWORD, pyotp.TOTP(secret).now())
    assert project_pseudonymiser(registry, "study-a").pseudonym("patient", 1) == pseudonym


def test_a_secret_that_does_not_open_changes_nothing(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_KEY_ENV)
    monkeypatch.setenv("ENGRAFT_HOME", str(tmp_path / "home"))
    _, registry, _, _ = _seed(url)
    key_file = tmp_path / "home" / KEY_FILE_NAME
    old_text = key_file.read_text()
    with make_session_factory(make_engine(url)).begin() as session:  # a value sealed under some other key
        user = session.scalars(select(UserAccount)).one()
        user.totp_secret = SecretBox.with_key(b"x" * 32).seal_text("JBSWY3DPEHPK3PXP", totp_context(user.id))
    before = _stored_totp(registry)
    code, output = _run("keys", "rotate", "--database", url)
    assert code == 1 and "error:" in output and "another server key" in output
    assert key_file.read_text() == old_text and _stored_totp(registry) == before
    assert sorted(p.name for p in key_file.parent.iterdir()) == [KEY_FILE_NAME]


def test_a_staged_key_left_by_an_unfinished_rotation_is_not_overwritten(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_KEY_ENV)
    monkeypatch.setenv("ENGRAFT_HOME", str(tmp_path / "home"))
    _seed(url)
    staged = tmp_path / "home" / f"{KEY_FILE_NAME}.new"
    staged.write_text(NEW_KEY)
    code, output = _run("keys", "rotate", "--database", url)
    assert code == 1 and "a key rotation did not finish" in output
    assert staged.read_text() == NEW_KEY
