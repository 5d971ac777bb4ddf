"""``engraft users``: accounts from the command line (the first administrator, resets, disabling).

One-time passwords are printed once; nothing else ever shows them. Every change is audited as the command
and the operating-system user who ran it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from engraft.access import Role
from engraft.cli.common import (
    DatabaseOption,
    console,
    err_console,
    exit_on_registry_error,
    open_engine,
    registry_service,
)
from engraft.registry.accounts import AccountService
from engraft.registry.accounts_schemas import NewUser, UserOut
from engraft.registry.migrate import upgrade

users_app = typer.Typer(help="Accounts: add, list, disable, reset a password or a second factor.", no_args_is_help=True)
UsernameArgument = Annotated[str, typer.Argument(help="login name (lower-case letters, digits, . _ -)")]


def account_service(database: str | None, command: str) -> AccountService:
    """The account service on the database (migrated first), audited as ``command`` and the OS user."""
    engine = open_engine(database)
    upgrade(engine)
    return AccountService(registry_service(engine, actor=command))


@contextmanager
def exit_on_bad_input() -> Iterator[None]:
    """A refused value or a registry error as one red line and exit status 1 (no traceback)."""
    try:
        with exit_on_registry_error():
            yield
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "value"
        err_console.print(f"[red]error:[/red] {escape(field)}: {escape(str(first['msg']))}")
        raise typer.Exit(1) from exc


def find(accounts: AccountService, username: str) -> UserOut:
    user = accounts.find_user(username)
    if user is None:
        err_console.print(f"[red]error:[/red] no account named {escape(username)!r} (see `engraft users list`)")
        raise typer.Exit(1)
    return user


def print_one_time_password(username: str, password: str) -> None:
    console.print(f"one-time password for [bold]{escape(username)}[/bold] (shown once; changed at first sign-in):")
    typer.echo(password)


@users_app.command("add")
def add_user(
    username: UsernameArgument,
    role: Annotated[Role, typer.Option(help="the account's role")],
    name: Annotated[str | None, typer.Option(help="display name (default: the username)")] = None,
    locale: Annotated[str, typer.Option(help="language of the pages: en or zh_Hans")] = "en",
    database: DatabaseOption = None,
) -> None:
    """Add an account with a one-time password (administrators then set up a second factor at first sign-in)."""
    with exit_on_bad_input():
        new = NewUser.model_validate(
            {"username": username, "display_name": name or username, "role": role, "locale": locale}
        )
        made = account_service(database, "users add").create_user(new)
    print_one_time_password(made.user.username, made.one_time_password)


@users_app.command("list")
def list_users(database: DatabaseOption = None) -> None:
    """Every account: role, state, lock, second factor."""
    users = account_service(database, "users list").list_users()
    table = Table("id", "username", "name", "role", "state", "second factor")
    for user in users:
        state = "disabled" if user.disabled else ("locked" if user.locked_until else "active")
        if user.must_change_password and not user.disabled:
            state += ", must change password"
        second = "yes" if user.totp_enabled else "no"
        table.add_row(str(user.id), escape(user.username), escape(user.display_name), user.role.value, state, second)
    console.print(table if users else "no accounts yet: add one with `engraft users add NAME --role admin`")


@users_app.command("disable")
def disable_user(username: UsernameArgument, database: DatabaseOption = None) -> None:
    """Disable an account: it cannot sign in, and its sessions end now."""
    accounts = account_service(database, "users disable")
    with exit_on_bad_input():
        accounts.disable_user(find(accounts, username).id)
    console.print(f"{escape(username)} is disabled")


@users_app.command("reset-password")
def reset_password(username: UsernameArgument, database: DatabaseOption = None) -> None:
    """A new one-time password: unlocks the account and ends its sessions."""
    accounts = account_service(database, "users reset-password")
    with exit_on_bad_input():
        reset = accounts.reset_password(find(accounts, username).id)
    print_one_time_password(username, reset.one_time_password)


@users_app.command("reset-2fa")
def reset_second_factor(username: UsernameArgument, database: DatabaseOption = None) -> None:
    """Remove the account's second factor (a lost authenticator) and end its sessions; an administrator's account
    must set up a new one at its next sign-in."""
    accounts = account_service(database, "users reset-2fa")
    with exit_on_bad_input():
        user = accounts.reset_second_factor(find(accounts, username).id)
    then = "must set up a new one at next sign-in" if user.role is Role.ADMIN else "may set up a new one"
    console.print(f"second factor of [bold]{escape(username)}[/bold] removed, its sessions ended; it {then}")


def demo_username(role: Role) -> str:
    return f"demo.{role.value.replace('_', '-')}"


def demo_accounts(database: str) -> list[tuple[str, Role, str]]:
    """One demo account per role, each with a new one-time password (made, or reset if it exists)."""
    accounts = account_service(database, "serve --demo")
    made = []
    for role in Role:
        username = demo_username(role)
        existing = accounts.find_user(username)
        if existing is None:
            new = NewUser(username=username, display_name=f"Demo {role.label.lower()}", role=role)
            password = accounts.create_user(new).one_time_password
        else:
            password = accounts.reset_password(existing.id).one_time_password
        made.append((username, role, password))
    return made


def print_demo_accounts(made: list[tuple[str, Role, str]]) -> None:
    table = Table("username", "role", "one-time password", title="demo accounts (new one-time passwords every start)")
    for username, role, password in made:
        table.add_row(username, role.label, password)
    console.print(table)
    console.print(
        "Sign in with one of these; you will choose your own password first "
        "(the administrator also sets up an authenticator app)."
    )
