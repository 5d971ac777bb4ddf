"""``engraft keys rotate``: seal every stored secret under a new server key.

The current key is the configured one (``ENGRAFT_SECRET_KEY``, else the key file in the Engraft home). With a
key file, the new key is made (or taken from ``ENGRAFT_NEW_SECRET_KEY``), written beside it as ``secret.key.new``
first, the database re-sealed in one transaction, then the file renamed over the old one. With
``ENGRAFT_SECRET_KEY``, the new key must be given in ``ENGRAFT_NEW_SECRET_KEY``, and the operator then sets
``ENGRAFT_SECRET_KEY`` to it wherever Engraft runs (the command cannot change another process' environment).
"""

from __future__ import annotations

import os

import typer
from rich.markup import escape

from engraft.cli.common import DatabaseOption, console, err_console, open_engine, registry_service
from engraft.config.server_key import (
    NEW_SECRET_KEY_ENV,
    SECRET_KEY_ENV,
    install_staged_key,
    key_file_path,
    load_server_key,
    new_key_text,
    parse_key,
    stage_key_file,
)
from engraft.registry.migrate import upgrade
from engraft.registry.sealed_secrets import SecretBox
from engraft.registry.secret_rotation import reseal_secrets

keys_app = typer.Typer(help="The server key that seals stored secrets: rotate it.", no_args_is_help=True)


@keys_app.command("rotate")
def rotate(database: DatabaseOption = None) -> None:
    """Seal every TOTP secret and research pseudonym key under a new server key (all or nothing; audited)."""
    current = load_server_key(create=False)
    given = os.environ.get(NEW_SECRET_KEY_ENV, "").strip()
    from_environment = current.source == SECRET_KEY_ENV
    if from_environment and not given:
        err_console.print(
            f"[red]error:[/red] {SECRET_KEY_ENV} is set, so the new key must be given too: put 32 random bytes in "
            f"URL-safe base64 in {NEW_SECRET_KEY_ENV} (e.g. `openssl rand -base64 32`) and run this again"
        )
        raise typer.Exit(1)
    new_text = given or new_key_text()
    new_key = parse_key(new_text, NEW_SECRET_KEY_ENV)
    if new_key == current.key:
        err_console.print(f"[red]error:[/red] {NEW_SECRET_KEY_ENV} is the current key: give a new one")
        raise typer.Exit(1)
    engine = open_engine(database)
    upgrade(engine)
    registry = registry_service(engine, actor="keys rotate")
    path = key_file_path()
    staged = None if from_environment else stage_key_file(path, new_text)
    try:
        resealed = reseal_secrets(
            registry, SecretBox.with_key(current.key, current.source), SecretBox.with_key(new_key, "the new key")
        )
    except BaseException:
        if staged is not None:
            staged.unlink(missing_ok=True)  # nothing was re-sealed: the old key stays the key
        raise
    finally:
        engine.dispose()
    if staged is not None:
        install_staged_key(staged, path)
    console.print(
        f"re-sealed {resealed.totp_secrets} TOTP secret(s) and {resealed.pseudonym_keys} pseudonym key(s) "
        "under the new key"
    )
    if from_environment:
        console.print(
            f"now set {SECRET_KEY_ENV} to the value of {NEW_SECRET_KEY_ENV} wherever Engraft runs, and restart it"
        )
    else:
        console.print(f"the new key is in {escape(str(path))}; the old one is gone")
