"""Secrets at rest: the server key (environment or a 0600 key file), sealing with AES-256-GCM, and on SQLite and
PostgreSQL: no TOTP secret or pseudonym key in its column, TOTP sign-in as before, legacy plaintext rows still
read and sealed (on first use, and by migration 0009), and a wrong key refused with a message naming the setting.
"""

from __future__ import annotations

import base64
import datetime as dt
import stat
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text, update
from typer.testing import CliRunner

from engraft.access import Pseudonymiser, Role
from engraft.api.app import create_app
from engraft.cli import app as cli_app
from engraft.config.server_key import KEY_FILE_NAME, SECRET_KEY_ENV, ServerKeyError, load_server_key, parse_key
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_policy import AccountPolicy
from engraft.registry.accounts_schemas import NewUser
from engraft.registry.accounts_setup_view import pending_totp_setup
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import current_revision, downgrade, head_revision, upgrade
from engraft.registry.models import ResearchProject, UserAccount
from engraft.registry.research_reads import project_pseudonymiser
from engraft.registry.sealed_secrets import SecretBox, is_sealed, pseudonym_context, totp_context
from engraft.registry.service import RegistryService
from tests.auth_clients import FAST_HASHER, TEST_ACCOUNT_POLICY, ManualClock

PASSWORD = "correct horse battery"
START = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
OTHER_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
LEGACY_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
LEGACY_PSEUDONYM_KEY = bytes(range(100, 132))


def _key_text(size: int) -> str:
    return base64.urlsafe_b64encode(b"k" * size).decode()


# ---- the server key ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "accepted"),
    [
        pytest.param(31, False, id="31-bytes"),
        pytest.param(32, True, id="32-bytes"),
        pytest.param(33, False, id="33-bytes"),
    ],
)
def test_the_key_must_be_exactly_32_bytes(size: int, accepted: bool) -> None:
    if accepted:
        assert parse_key(_key_text(size), SECRET_KEY_ENV) == b"k" * 32
    else:
        with pytest.raises(ServerKeyError, match=f"{SECRET_KEY_ENV}: expected 32 random bytes.*holds {size} bytes"):
            parse_key(_key_text(size), SECRET_KEY_ENV)


def test_standard_base64_as_openssl_prints_it_is_read_too() -> None:
    key = bytes([0xFB, 0xFF] * 16)  # '+' and '/' in standard base64
    standard = base64.b64encode(key).decode()
    assert "+" in standard or "/" in standard
    assert parse_key(standard, SECRET_KEY_ENV) == key


def test_a_malformed_key_is_named_and_never_echoed() -> None:
    with pytest.raises(ServerKeyError) as refused:
        load_server_key({SECRET_KEY_ENV: "not a key at all!"})
    assert SECRET_KEY_ENV in str(refused.value) and "not a key" not in str(refused.value)


def test_without_the_variable_a_0600_key_file_is_made_once_in_the_home(tmp_path: Path) -> None:
    environ = {"ENGRAFT_HOME": str(tmp_path / "home")}
    with pytest.raises(ServerKeyError, match=SECRET_KEY_ENV):
        load_server_key(environ, create=False)
    first = load_server_key(environ)
    path = tmp_path / "home" / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.source == f"key file {path}" and len(first.key) == 32
    assert load_server_key(environ).key == first.key  # read, not made again
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE_NAME]  # no temporary file left
    assert load_server_key({**environ, SECRET_KEY_ENV: OTHER_KEY}).source == SECRET_KEY_ENV  # the variable wins


def test_a_key_file_others_may_read_is_refused(tmp_path: Path) -> None:
    environ = {"ENGRAFT_HOME": str(tmp_path)}
    load_server_key(environ)
    (tmp_path / KEY_FILE_NAME).chmod(0o644)
    with pytest.raises(ServerKeyError, match=r"may be read by other users \(mode 644\).*chmod 600"):
        load_server_key(environ)


# ---- sealing -----------------------------------------------------------------------------------
def test_sealed_values_open_only_with_their_key_and_their_row() -> None:
    box, other = SecretBox.with_key(b"a" * 32), SecretBox.with_key(b"b" * 32, SECRET_KEY_ENV)
    sealed = box.seal_text(LEGACY_TOTP, totp_context(1))
    assert is_sealed(sealed) and LEGACY_TOTP not in sealed and len(sealed) <= 128
    assert box.open_text(sealed, totp_context(1)) == LEGACY_TOTP
    assert box.seal_text(LEGACY_TOTP, totp_context(1)) != sealed  # a new nonce each time
    with pytest.raises(ServerKeyError, match=f"another server key.*{SECRET_KEY_ENV}"):
        other.open_text(sealed, totp_context(1))
    with pytest.raises(ServerKeyError, match="altered or copied from another row"):
        box.open_text(sealed, totp_context(2))
    sealed_key = box.seal_bytes(LEGACY_PSEUDONYM_KEY, pseudonym_context("p1"))
    assert is_sealed(sealed_key) and LEGACY_PSEUDONYM_KEY not in sealed_key and len(sealed_key) <= 128
    assert box.open_bytes(sealed_key, pseudonym_context("p1")) == LEGACY_PSEUDONYM_KEY


def test_legacy_plaintext_values_open_as_themselves() -> None:
    box = SecretBox.with_key(b"a" * 32)
    assert not is_sealed(LEGACY_TOTP) and box.open_text(LEGACY_TOTP, totp_context(1)) == LEGACY_TOTP
    assert not is_sealed(LEGACY_PSEUDONYM_KEY)
    assert box.open_bytes(LEGACY_PSEUDONYM_KEY, pseudonym_context("p")) == LEGACY_PSEUDONYM_KEY
    with pytest.raises(ServerKeyError, match="neither sealed nor a 32-byte key"):
        box.open_bytes(b"short", pseudonym_context("p"))


# ---- in the database ---------------------------------------------------------------------------
@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def _accounts(engine: Engine, clock: ManualClock) -> AccountService:
    return AccountService(RegistryService(make_session_factory(engine), actor="test"), TEST_ACCOUNT_POLICY, clock)


def _stored(engine: Engine, user_id: int) -> str | None:
    with make_session_factory(engine)() as session:
        return session.scalar(select(UserAccount.totp_secret).where(UserAccount.id == user_id))


def _admin_with_totp(accounts: AccountService, clock: ManualClock) -> tuple[int, str]:
    made = accounts.create_user(NewUser(username="admin.ada", display_name="Ada", role=Role.ADMIN), PASSWORD)
    setup = accounts.begin_totp(made.user.id)
    accounts.confirm_totp(made.user.id, pyotp.TOTP(setup.secret).at(clock()))
    clock.advance(dt.timedelta(seconds=30))
    return made.user.id, setup.secret


def test_the_totp_secret_column_holds_no_secret_and_sign_in_works(engine: Engine, clock: ManualClock) -> None:
    accounts = _accounts(engine, clock)
    made = accounts.create_user(NewUser(username="admin.ada", display_name="Ada", role=Role.ADMIN), PASSWORD)
    setup = accounts.begin_totp(made.user.id)
    stored = _stored(engine, made.user.id)
    assert stored is not None and is_sealed(stored) and setup.secret not in stored
    shown_again = pending_totp_setup(accounts, made.user.id)  # the set-up page shows the same secret again
    assert shown_again is not None and shown_again.secret == setup.secret
    accounts.confirm_totp(made.user.id, pyotp.TOTP(setup.secret).at(clock()))
    clock.advance(dt.timedelta(seconds=30))
    opened = accounts.sign_in("admin.ada", PASSWORD, pyotp.TOTP(setup.secret).at(clock()))
    assert opened.principal.username == "admin.ada"
    assert _stored(engine, made.user.id) == stored  # signing in does not re-seal a sealed secret


def test_a_legacy_plaintext_totp_secret_still_signs_in_and_is_then_sealed(engine: Engine, clock: ManualClock) -> None:
    accounts = _accounts(engine, clock)
    user_id, _ = _admin_with_totp(accounts, clock)
    with make_session_factory(engine).begin() as session:
        session.execute(update(UserAccount).where(UserAccount.id == user_id).values(totp_secret=LEGACY_TOTP))
    accounts.sign_in("admin.ada", PASSWORD, pyotp.TOTP(LEGACY_TOTP).at(clock()))
    stored = _stored(engine, user_id)
    assert stored is not None and is_sealed(stored) and LEGACY_TOTP not in stored
    clock.advance(dt.timedelta(seconds=30))
    accounts.sign_in("admin.ada", PASSWORD, pyotp.TOTP(LEGACY_TOTP).at(clock()))  # the sealed one works


def test_a_wrong_server_key_is_refused_naming_the_setting(
    engine: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = _accounts(engine, clock)
    _, secret = _admin_with_totp(accounts, clock)
    monkeypatch.setenv(SECRET_KEY_ENV, OTHER_KEY)
    with pytest.raises(ServerKeyError, match=f"another server key than the one configured \\({SECRET_KEY_ENV}\\)"):
        accounts.sign_in("admin.ada", PASSWORD, pyotp.TOTP(secret).at(clock()))
    app = create_app(engine, migrate=False, validate_hla=False, account_policy=TEST_ACCOUNT_POLICY, clock=clock)
    with TestClient(app, base_url="https://testserver") as client:
        body = {"username": "admin.ada", "password": PASSWORD, "code": pyotp.TOTP(secret).at(clock())}
        answer = client.post("/api/auth/sign-in", json=body)
    assert answer.status_code == 500
    assert SECRET_KEY_ENV in answer.json()["detail"] and "Traceback" not in answer.text


def test_pseudonym_keys_are_sealed_and_a_legacy_one_keeps_its_pseudonyms(engine: Engine) -> None:
    registry = RegistryService(make_session_factory(engine), actor="test")
    names = project_pseudonymiser(registry, "study-a")
    with make_session_factory(engine)() as session:
        stored = bytes(session.scalars(select(ResearchProject.pseudonym_key)).one())
    assert is_sealed(stored)
    assert project_pseudonymiser(registry, "study-a").pseudonym("patient", 7) == names.pseudonym("patient", 7)
    with make_session_factory(engine).begin() as session:
        session.add(ResearchProject(name="legacy", pseudonym_key=LEGACY_PSEUDONYM_KEY))
    legacy = project_pseudonymiser(registry, "legacy")
    assert legacy.pseudonym("patient", 7) == Pseudonymiser("legacy", LEGACY_PSEUDONYM_KEY).pseudonym("patient", 7)
    with make_session_factory(engine)() as session:
        resealed = bytes(
            session.scalars(select(ResearchProject.pseudonym_key).where(ResearchProject.name == "legacy")).one()
        )
    assert is_sealed(resealed) and LEGACY_PSEUDONYM_KEY not in resealed


# ---- migration 0009 ----------------------------------------------------------------------------
def _seed_at_0008(engine: Engine) -> None:
    upgrade(engine, "0008")
    hashed = FAST_HASHER.hash(PASSWORD)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_account (id, username, display_name, role, locale, disabled, password_hash, "
                "must_change_password, failed_attempts, totp_secret, totp_enabled, created_at, changed_at) "
                "VALUES (1, 'admin.ada', 'Ada', 'admin', 'en', :f, :hash, :f, 0, :secret, :t, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"hash": hashed, "secret": LEGACY_TOTP, "f": False, "t": True},
        )
        conn.execute(
            text(
                "INSERT INTO research_project (id, name, pseudonym_key, created_at) "
                "VALUES (1, 'p', :k, CURRENT_TIMESTAMP)"
            ),
            {"k": LEGACY_PSEUDONYM_KEY},
        )


def test_migration_0009_seals_stored_plaintext_and_downgrade_opens_it(database_url: str, clock: ManualClock) -> None:
    engine = make_engine(database_url)
    _seed_at_0008(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    stored = _stored(engine, 1)
    assert stored is not None and is_sealed(stored) and LEGACY_TOTP not in stored
    with make_session_factory(engine)() as session:
        key = bytes(session.scalars(select(ResearchProject.pseudonym_key)).one())
    assert is_sealed(key) and LEGACY_PSEUDONYM_KEY not in key
    accounts = AccountService(
        RegistryService(make_session_factory(engine), actor="test"), AccountPolicy(hasher=FAST_HASHER), clock
    )
    accounts.sign_in("admin.ada", PASSWORD, pyotp.TOTP(LEGACY_TOTP).at(clock()))
    names = project_pseudonymiser(RegistryService(make_session_factory(engine), actor="test"), "p")
    assert names.pseudonym("episode", 3) == Pseudonymiser("p", LEGACY_PSEUDONYM_KEY).pseudonym("episode", 3)
    downgrade(engine, "0008")
    assert _stored(engine, 1) == LEGACY_TOTP
    with engine.connect() as conn:
        assert bytes(conn.execute(text("SELECT pseudonym_key FROM research_project")).scalar_one()) == (
            LEGACY_PSEUDONYM_KEY
        )
    engine.dispose()


def test_migrating_with_a_malformed_key_stops_with_one_line_naming_the_setting(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(database_url)
    _seed_at_0008(engine)
    monkeypatch.setenv(SECRET_KEY_ENV, "too-short")
    result = CliRunner().invoke(cli_app, ["db", "upgrade", "--database", database_url])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and SECRET_KEY_ENV in result.output
    assert current_revision(engine) == "0008" and _stored(engine, 1) == LEGACY_TOTP  # nothing half done
    engine.dispose()
