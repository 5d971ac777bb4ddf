"""The account service on SQLite and PostgreSQL: password policy, lockout and back-off, sessions' idle and
absolute ends, TOTP, API tokens, and the audit entries of each."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from sqlalchemy import Engine, select

from engraft.access import PrincipalKind, Role
from engraft.registry.accounts import AccountLocked, AccountService, SignInRefused
from engraft.registry.accounts_policy import AccountPolicy, WrongPassword, token_digest
from engraft.registry.accounts_schemas import NewToken, NewUser, UserChange
from engraft.registry.audit import Actor, AuditAction
from engraft.registry.database import make_session_factory
from engraft.registry.errors import DuplicateRecord, InvalidRecord
from engraft.registry.models import ApiToken, AuditEntry, SignInSession, UserAccount
from engraft.registry.service import RegistryService
from tests.auth_clients import FAST_HASHER, ManualClock

PASSWORD = "correct horse battery"
START = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def accounts(engine: Engine, clock: ManualClock) -> AccountService:
    registry = RegistryService(make_session_factory(engine), actor="test")
    policy = AccountPolicy(hasher=FAST_HASHER)
    return AccountService(registry, policy, clock).for_actor(Actor(name="admin.ada", user_id=None, role="admin"))


def _user(accounts: AccountService, name: str = "nurse.kim", role: Role = Role.NURSE) -> int:
    made = accounts.create_user(NewUser(username=name, display_name=name.title(), role=role), PASSWORD)
    return made.user.id


def _audit(engine: Engine) -> list[AuditEntry]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


# ---- password policy -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        pytest.param("a" * 11, False, id="11-characters"),
        pytest.param("abcdefghijk1", True, id="12-characters"),
        pytest.param("nurse.kim", False, id="the-username"),
        pytest.param("NURSE.KIM   ", False, id="the-username-in-capitals-padded-to-12"),
        pytest.param(" " * 12, False, id="blank"),
    ],
)
def test_password_policy_boundaries(accounts: AccountService, password: str, accepted: bool) -> None:
    new = NewUser(username="nurse.kim", display_name="Kim", role=Role.NURSE)
    if accepted:
        assert accounts.create_user(new, password).user.username == "nurse.kim"
    else:
        with pytest.raises(InvalidRecord) as refused:
            accounts.create_user(new, password)
        assert refused.value.problems[0].field == "password"
        assert accounts.find_user("nurse.kim") is None


def test_password_is_stored_as_argon2id_only(accounts: AccountService, engine: Engine) -> None:
    _user(accounts)
    with make_session_factory(engine)() as session:
        stored = session.scalars(select(UserAccount.password_hash)).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_new_account_without_password_gets_a_one_time_password(accounts: AccountService) -> None:
    made = accounts.create_user(NewUser(username="dr.lee", display_name="Dr Lee", role=Role.PHYSICIAN))
    assert len(made.one_time_password) == 16 and made.user.must_change_password
    opened = accounts.sign_in("dr.lee", made.one_time_password)
    signed_in = accounts.resolve_session(opened.token)
    assert signed_in is not None and signed_in.must_change_password and signed_in.pending


def test_duplicate_username_is_refused(accounts: AccountService) -> None:
    _user(accounts)
    with pytest.raises(DuplicateRecord):
        _user(accounts)


# ---- sign-in, lockout, back-off ------------------------------------------------------------
def _fail(accounts: AccountService, times: int, name: str = "nurse.kim") -> None:
    for _ in range(times):
        with pytest.raises(SignInRefused):
            accounts.sign_in(name, "wrong password!")


def test_four_failures_still_let_the_right_password_in(accounts: AccountService) -> None:
    _user(accounts)
    _fail(accounts, 4)
    opened = accounts.sign_in("nurse.kim", PASSWORD)
    assert opened.principal.username == "nurse.kim"
    assert accounts.find_user("nurse.kim").failed_attempts == 0  # type: ignore[union-attr]


def test_fifth_failure_locks_for_one_minute_then_the_lock_doubles(accounts: AccountService, clock: ManualClock) -> None:
    _user(accounts)
    _fail(accounts, 5)
    with pytest.raises(AccountLocked) as locked:
        accounts.sign_in("nurse.kim", PASSWORD)  # even the right password, while locked
    assert locked.value.retry_after_s == 60
    clock.advance(dt.timedelta(seconds=59))
    with pytest.raises(AccountLocked):
        accounts.sign_in("nurse.kim", PASSWORD)
    clock.advance(dt.timedelta(seconds=1))  # exactly one minute after the fifth failure
    _fail(accounts, 1)  # the sixth failure: locked for two minutes
    with pytest.raises(AccountLocked) as locked:
        accounts.sign_in("nurse.kim", PASSWORD)
    assert locked.value.retry_after_s == 120
    clock.advance(dt.timedelta(minutes=2))
    assert accounts.sign_in("nurse.kim", PASSWORD).principal.role is Role.NURSE


def test_lock_is_capped() -> None:
    policy = AccountPolicy(hasher=FAST_HASHER)
    assert [policy.lock_after(n) for n in (4, 5, 6, 7)] == [
        None,
        dt.timedelta(minutes=1),
        dt.timedelta(minutes=2),
        dt.timedelta(minutes=4),
    ]
    assert policy.lock_after(40) == dt.timedelta(hours=1)


def test_unknown_name_and_wrong_password_are_refused_alike_and_audited(
    accounts: AccountService, engine: Engine
) -> None:
    _user(accounts)
    with pytest.raises(SignInRefused) as unknown:
        accounts.sign_in("nobody", PASSWORD, client_address="10.0.0.9")
    with pytest.raises(SignInRefused) as wrong:
        accounts.sign_in("nurse.kim", "not the password")
    assert str(unknown.value) == str(wrong.value)
    failed = [e for e in _audit(engine) if e.action is AuditAction.SIGN_IN_FAILED]
    assert [(e.actor, e.changes["reason"]) for e in failed] == [
        ("nobody", "unknown username"),
        ("nurse.kim", "wrong password"),
    ]
    assert failed[0].client_address == "10.0.0.9"


def test_disabled_account_cannot_sign_in_and_its_sessions_end(accounts: AccountService) -> None:
    user_id = _user(accounts)
    opened = accounts.sign_in("nurse.kim", PASSWORD)
    accounts.disable_user(user_id)
    assert accounts.resolve_session(opened.token) is None
    with pytest.raises(SignInRefused):
        accounts.sign_in("nurse.kim", PASSWORD)


# ---- sessions ------------------------------------------------------------------------------
def test_session_token_is_stored_only_as_its_hash(accounts: AccountService, engine: Engine) -> None:
    _user(accounts)
    opened = accounts.sign_in("nurse.kim", PASSWORD)
    with make_session_factory(engine)() as session:
        row = session.scalars(select(SignInSession)).one()
    assert row.token_hash == token_digest(opened.token) and opened.token not in row.token_hash
    assert row.csrf_secret == opened.csrf_token


def test_session_idles_out_at_exactly_thirty_minutes(accounts: AccountService, clock: ManualClock) -> None:
    _user(accounts)
    opened = accounts.sign_in("nurse.kim", PASSWORD)
    clock.advance(dt.timedelta(minutes=30) - dt.timedelta(microseconds=1))
    assert accounts.resolve_session(opened.token) is not None  # and this use touches it
    clock.advance(dt.timedelta(minutes=30) - dt.timedelta(microseconds=1))
    assert accounts.resolve_session(opened.token) is not None
    clock.advance(dt.timedelta(minutes=30))
    assert accounts.resolve_session(opened.token) is None


def test_session_ends_at_twelve_hours_however_active(accounts: AccountService, clock: ManualClock) -> None:
    _user(accounts)
    opened = accounts.sign_in("nurse.kim", PASSWORD)
    for _ in range(12 * 4 - 1):  # a request every 15 minutes
        clock.advance(dt.timedelta(minutes=15))
        assert accounts.resolve_session(opened.token) is not None
    clock.advance(dt.timedelta(minutes=15) - dt.timedelta(microseconds=1))
    assert accounts.resolve_session(opened.token) is not None
    clock.advance(dt.timedelta(microseconds=1))  # exactly 12 h after sign-in
    assert accounts.resolve_session(opened.token) is None


def test_configured_lifetimes_are_used(engine: Engine, clock: ManualClock) -> None:
    policy = AccountPolicy(hasher=FAST_HASHER, session_idle=dt.timedelta(minutes=5))
    accounts = AccountService(RegistryService(make_session_factory(engine)), policy, clock)
    _user(accounts)
    opened = accounts.sign_in("nurse.kim", PASSWORD)
    clock.advance(dt.timedelta(minutes=5))
    assert accounts.resolve_session(opened.token) is None


def test_sign_out_revokes_and_is_audited(accounts: AccountService, engine: Engine) -> None:
    _user(accounts)
    opened = accounts.sign_in("nurse.kim", PASSWORD, client_address="10.1.1.1", user_agent="Ward PC")
    accounts.sign_out(opened.session_id)
    assert accounts.resolve_session(opened.token) is None
    actions = [(e.action, e.actor) for e in _audit(engine)]
    assert (AuditAction.SIGN_IN, "nurse.kim") in actions and (AuditAction.SIGN_OUT, "nurse.kim") in actions


def test_password_change_ends_other_sessions_and_reset_forces_a_change(accounts: AccountService) -> None:
    user_id = _user(accounts)
    here, elsewhere = accounts.sign_in("nurse.kim", PASSWORD), accounts.sign_in("nurse.kim", PASSWORD)
    with pytest.raises(WrongPassword):
        accounts.change_password(user_id, "not the password", "a brand new secret")
    accounts.change_password(user_id, PASSWORD, "a brand new secret", keep_session=here.session_id)
    assert accounts.resolve_session(here.token) is not None
    assert accounts.resolve_session(elsewhere.token) is None
    reset = accounts.reset_password(user_id)
    assert reset.user.must_change_password and accounts.resolve_session(here.token) is None
    with pytest.raises(SignInRefused):
        accounts.sign_in("nurse.kim", "a brand new secret")
    assert accounts.sign_in("nurse.kim", reset.one_time_password).principal.user_id == user_id


def test_an_admin_cannot_demote_or_disable_itself(accounts: AccountService) -> None:
    admin_id = _user(accounts, "admin.ada", Role.ADMIN)
    itself = accounts.for_actor(Actor(name="admin.ada", user_id=admin_id, role="admin"))
    with pytest.raises(InvalidRecord):
        itself.update_user(admin_id, UserChange(role=Role.NURSE))
    with pytest.raises(InvalidRecord):
        itself.update_user(admin_id, UserChange(disabled=True))
    assert itself.update_user(admin_id, UserChange(display_name="Ada L.")).display_name == "Ada L."


# ---- TOTP ----------------------------------------------------------------------------------
def _with_totp(accounts: AccountService, clock: ManualClock) -> tuple[int, pyotp.TOTP]:
    user_id = _user(accounts, "admin.ada", Role.ADMIN)
    setup = accounts.begin_totp(user_id)
    assert setup.provisioning_uri.startswith("otpauth://totp/Engraft:admin.ada")
    totp = pyotp.TOTP(setup.secret)
    with pytest.raises(InvalidRecord):
        accounts.confirm_totp(user_id, "000000" if totp.at(clock()) != "000000" else "111111")
    accounts.confirm_totp(user_id, totp.at(clock()))
    return user_id, totp


def test_admin_without_second_factor_must_set_one_up(accounts: AccountService, clock: ManualClock) -> None:
    admin_id = _user(accounts, "admin.ada", Role.ADMIN)
    first = accounts.resolve_session(accounts.sign_in("admin.ada", PASSWORD).token)
    assert first is not None and first.needs_second_factor
    setup = accounts.begin_totp(admin_id)
    accounts.confirm_totp(admin_id, pyotp.TOTP(setup.secret).at(clock()))
    clock.advance(dt.timedelta(seconds=30))
    code = pyotp.TOTP(setup.secret).at(clock())
    second = accounts.resolve_session(accounts.sign_in("admin.ada", PASSWORD, code).token)
    assert second is not None and not second.needs_second_factor and not second.pending


def test_an_admin_resetting_their_own_second_factor_must_set_a_new_one_up(
    accounts: AccountService, clock: ManualClock, engine: Engine
) -> None:
    admin_id, totp = _with_totp(accounts, clock)
    clock.advance(dt.timedelta(seconds=30))
    opened = accounts.sign_in("admin.ada", PASSWORD, totp.at(clock()))
    themselves = accounts.for_actor(Actor(name="admin.ada", user_id=admin_id, role="admin"))
    before = len(_audit(engine))
    user = themselves.reset_second_factor(admin_id)
    assert not user.totp_enabled and accounts.resolve_session(opened.token) is None  # their own session too
    rows = _audit(engine)[before:]
    assert [(str(r.action), r.entity_id, r.actor) for r in rows] == [("account change", admin_id, "admin.ada")]
    assert rows[0].changes == {"second_factor": "reset", "was_enabled": True, "sessions_ended": 1}
    with make_session_factory(engine)() as session:
        assert session.get(UserAccount, admin_id).totp_secret is None  # type: ignore[union-attr]
    again = accounts.resolve_session(accounts.sign_in("admin.ada", PASSWORD).token)  # the password alone
    assert again is not None and again.needs_second_factor and again.pending
    setup = accounts.begin_totp(admin_id)  # a new secret, not the old one
    assert setup.secret != totp.secret


def test_resetting_a_nurse_s_second_factor_lets_the_password_alone_in(
    accounts: AccountService, clock: ManualClock
) -> None:
    nurse_id = _user(accounts)
    setup = accounts.begin_totp(nurse_id)
    accounts.confirm_totp(nurse_id, pyotp.TOTP(setup.secret).at(clock()))
    with pytest.raises(SignInRefused):
        accounts.sign_in("nurse.kim", PASSWORD)
    accounts.reset_second_factor(nurse_id)
    signed_in = accounts.resolve_session(accounts.sign_in("nurse.kim", PASSWORD).token)
    assert signed_in is not None and not signed_in.pending


def test_totp_wrong_right_and_reused(accounts: AccountService, clock: ManualClock) -> None:
    _, totp = _with_totp(accounts, clock)
    clock.advance(dt.timedelta(seconds=30))
    with pytest.raises(SignInRefused):
        accounts.sign_in("admin.ada", PASSWORD)  # no code
    right = totp.at(clock())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(SignInRefused):
        accounts.sign_in("admin.ada", PASSWORD, wrong)
    assert accounts.sign_in("admin.ada", PASSWORD, right).principal.role is Role.ADMIN
    with pytest.raises(SignInRefused):
        accounts.sign_in("admin.ada", PASSWORD, right)  # the same code again: refused
    clock.advance(dt.timedelta(seconds=25))  # within the next step's window, the previous code is still used
    with pytest.raises(SignInRefused):
        accounts.sign_in("admin.ada", PASSWORD, right)


@pytest.mark.parametrize(
    ("offset_s", "accepted"),
    [
        pytest.param(-60, False, id="two-steps-old"),
        pytest.param(-30, True, id="one-step-old"),
        pytest.param(0, True, id="current"),
        pytest.param(30, True, id="one-step-ahead"),
        pytest.param(60, False, id="two-steps-ahead"),
    ],
)
def test_totp_window(accounts: AccountService, clock: ManualClock, offset_s: int, accepted: bool) -> None:
    _, totp = _with_totp(accounts, clock)
    clock.advance(dt.timedelta(minutes=5))
    code = totp.at(clock() + dt.timedelta(seconds=offset_s))
    if accepted:
        accounts.sign_in("admin.ada", PASSWORD, code)
    else:
        with pytest.raises(SignInRefused):
            accounts.sign_in("admin.ada", PASSWORD, code)


# ---- API tokens ----------------------------------------------------------------------------
def test_token_secret_is_returned_once_and_stored_as_a_hash(accounts: AccountService, engine: Engine) -> None:
    admin_id = _user(accounts, "admin.ada", Role.ADMIN)
    issued = accounts.issue_token(
        NewToken(name="lab-interface", role=Role.NURSE, expires_at=START + dt.timedelta(days=30)), admin_id
    )
    with make_session_factory(engine)() as session:
        row = session.scalars(select(ApiToken)).one()
    assert row.token_hash == token_digest(issued.secret) and issued.secret.startswith("egt_")
    principal = accounts.resolve_token(issued.secret)
    assert principal is not None and principal.kind is PrincipalKind.API_TOKEN
    assert (principal.role, principal.username, principal.token_id) == (Role.NURSE, "token:lab-interface", row.id)
    assert accounts.list_tokens()[0].last_used == START
    assert accounts.resolve_token(issued.secret + "x") is None


def test_token_expires_at_exactly_its_end(accounts: AccountService, clock: ManualClock) -> None:
    admin_id = _user(accounts, "admin.ada", Role.ADMIN)
    end = START + dt.timedelta(days=1)
    issued = accounts.issue_token(NewToken(name="lab", role=Role.NURSE, expires_at=end), admin_id)
    clock.set(end - dt.timedelta(microseconds=1))
    assert accounts.resolve_token(issued.secret) is not None
    clock.set(end)
    assert accounts.resolve_token(issued.secret) is None


def test_revoked_token_stops_working_and_both_are_audited(accounts: AccountService, engine: Engine) -> None:
    admin_id = _user(accounts, "admin.ada", Role.ADMIN)
    issued = accounts.issue_token(
        NewToken(name="lab", role=Role.NURSE, expires_at=START + dt.timedelta(days=1)), admin_id
    )
    assert accounts.revoke_token(issued.token.id).revoked_at == START
    assert accounts.resolve_token(issued.secret) is None
    changes = [e.changes for e in _audit(engine) if e.action is AuditAction.TOKEN_CHANGE]
    assert changes == [
        {"issued": "lab", "role": "nurse", "expires_at": (START + dt.timedelta(days=1)).isoformat()},
        {"revoked": "lab"},
    ]
    assert issued.secret not in str(changes)


@pytest.mark.parametrize(
    ("role", "expires_in", "field"),
    [
        pytest.param(Role.ADMIN, dt.timedelta(days=1), "role", id="admin-role"),
        pytest.param(Role.NURSE, dt.timedelta(0), "expires_at", id="already-expired"),
        pytest.param(Role.NURSE, dt.timedelta(days=367), "expires_at", id="beyond-a-year"),
    ],
)
def test_token_refusals(accounts: AccountService, role: Role, expires_in: dt.timedelta, field: str) -> None:
    admin_id = _user(accounts, "admin.ada", Role.ADMIN)
    with pytest.raises(InvalidRecord) as refused:
        accounts.issue_token(NewToken(name="lab", role=role, expires_at=START + expires_in), admin_id)
    assert refused.value.problems[0].field == field
