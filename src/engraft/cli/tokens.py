"""``engraft tokens``: API tokens for machine clients (a lab interface, a reporting job).

A token's secret is printed once; the registry keeps only its hash. A token has a role below admin and an
end date, and names the administrator it is issued for.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from engraft.access import Role
from engraft.cli.common import DatabaseOption, console, err_console
from engraft.cli.users import account_service, exit_on_bad_input, find
from engraft.registry.accounts_schemas import NewToken

tokens_app = typer.Typer(help="API tokens: issue, list, revoke.", no_args_is_help=True)


@tokens_app.command("issue")
def issue_token(
    name: Annotated[str, typer.Argument(help="what the token is for, e.g. lab-interface")],
    role: Annotated[Role, typer.Option(help="the token's role (any but admin)")],
    admin: Annotated[str, typer.Option(help="the administrator account the token is issued by")],
    days: Annotated[int, typer.Option(min=1, max=366, help="days until the token stops working")] = 90,
    database: DatabaseOption = None,
) -> None:
    """Issue a token; its secret is printed once (send it as `Authorization: Bearer <secret>`)."""
    accounts = account_service(database, "tokens issue")
    issuer = find(accounts, admin)
    if issuer.role is not Role.ADMIN or issuer.disabled:
        err_console.print(f"[red]error:[/red] --admin: {escape(admin)!r} is not an active administrator account")
        raise typer.Exit(1)
    with exit_on_bad_input():
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
        issued = accounts.issue_token(
            NewToken.model_validate({"name": name, "role": role, "expires_at": expires}), issuer.id
        )
    console.print(
        f"token [bold]{escape(name)}[/bold] ({role.value}) until {issued.token.expires_at:%Y-%m-%d %H:%M} UTC; "
        "its secret, shown once:"
    )
    typer.echo(issued.secret)


@tokens_app.command("list")
def list_tokens(database: DatabaseOption = None) -> None:
    """Every token (never its secret)."""
    tokens = account_service(database, "tokens list").list_tokens()
    table = Table("id", "name", "role", "expires", "state", "last used")
    now = dt.datetime.now(dt.UTC)
    for token in tokens:
        state = "revoked" if token.revoked_at else ("expired" if token.expires_at <= now else "active")
        used = f"{token.last_used:%Y-%m-%d %H:%M}" if token.last_used else "never"
        table.add_row(str(token.id), escape(token.name), token.role.value, f"{token.expires_at:%Y-%m-%d}", state, used)
    console.print(table if tokens else "no API tokens")


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[int, typer.Argument(min=1, help="the token's id (see `engraft tokens list`)")],
    database: DatabaseOption = None,
) -> None:
    """Stop a token from working, now."""
    with exit_on_bad_input():
        token = account_service(database, "tokens revoke").revoke_token(token_id)
    console.print(f"token {escape(token.name)} is revoked")
