"""The server key: the 256-bit key that seals the secrets Engraft must keep readable (TOTP secrets, research
projects' pseudonym keys) in the database.

The key is, in this order,

1. the environment variable ``ENGRAFT_SECRET_KEY``: 32 random bytes in URL-safe base64, 44 characters (the
   format of a Fernet key; standard base64 such as ``openssl rand -base64 32`` prints is read too);
2. the key file ``secret.key`` in the Engraft home directory (``$ENGRAFT_HOME``, else
   ``~/.local/share/engraft``), made once, on first need, with permissions 0600.

A value that is not such a key, or a key file that others may read, is refused with
:class:`ServerKeyError`, whose message names the setting; the key itself never appears in a message.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from engraft.config.home import engraft_home

SECRET_KEY_ENV: Final = "ENGRAFT_SECRET_KEY"
NEW_SECRET_KEY_ENV: Final = "ENGRAFT_NEW_SECRET_KEY"
"""The new key ``engraft keys rotate`` seals under when the current one comes from ``ENGRAFT_SECRET_KEY``."""
STAGED_SUFFIX: Final = ".new"
KEY_FILE_NAME: Final = "secret.key"
KEY_BYTES: Final = 32


class ServerKeyError(RuntimeError):
    """The server key is missing, malformed, unreadable, or not the one the stored secrets were sealed with."""


def key_file_path(environ: Mapping[str, str] | None = None) -> Path:
    return engraft_home(environ) / KEY_FILE_NAME


@dataclass(frozen=True, slots=True)
class ServerKey:
    """The key and where it came from (named in error messages)."""

    key: bytes
    source: str
    """``ENGRAFT_SECRET_KEY`` or ``key file <path>``."""

    def __repr__(self) -> str:  # never the key
        return f"ServerKey(source={self.source!r})"


def parse_key(text: str, source: str) -> bytes:
    """The 32 bytes a URL-safe (or standard) base64 key text holds; :class:`ServerKeyError` otherwise."""
    value = text.strip()
    expected = f"{KEY_BYTES} random bytes in URL-safe base64 (44 characters)"
    try:
        key = base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ServerKeyError(f"{source}: expected {expected}; the value is not base64") from exc
    if len(key) != KEY_BYTES:
        raise ServerKeyError(f"{source}: expected {expected}; the value holds {len(key)} bytes")
    return key


def new_key_text() -> str:
    """A new random key in the form :func:`parse_key` reads."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def load_server_key(environ: Mapping[str, str] | None = None, *, create: bool = True) -> ServerKey:
    """The server key from ``ENGRAFT_SECRET_KEY``, else from the key file (made now when ``create`` and absent).

    Raises :class:`ServerKeyError` naming the setting or the file when the key is malformed, the file is
    readable by others, or (``create=False``) there is no key.
    """
    env = os.environ if environ is None else environ
    text = env.get(SECRET_KEY_ENV)
    if text is not None and text.strip():
        return ServerKey(parse_key(text, SECRET_KEY_ENV), SECRET_KEY_ENV)
    path = key_file_path(env)
    source = f"key file {path}"
    if not path.exists():
        if not create:
            raise ServerKeyError(f"no server key: set {SECRET_KEY_ENV} or create the {source}")
        _create_key_file(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ServerKeyError(
                f"{source} may be read by other users (mode {mode:o}): run `chmod 600 {path}` (or set {SECRET_KEY_ENV})"
            )
        content = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ServerKeyError(f"{source} cannot be read ({exc}); set {SECRET_KEY_ENV} instead") from exc
    return ServerKey(parse_key(content, f"{source} (or set {SECRET_KEY_ENV})"), source)


def _create_key_file(path: Path) -> None:
    """Write a new key to ``path`` with mode 0600, whole or not at all (a temporary file linked into place);
    when another process makes it at the same time, the first one stays."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{new_key_text()[:8].replace('-', '_')}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(new_key_text() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # made by another process meanwhile: the first one stays
            os.link(temporary, path)
    except OSError as exc:
        raise ServerKeyError(f"cannot create the key file {path} ({exc}); set {SECRET_KEY_ENV} instead") from exc
    finally:
        temporary.unlink(missing_ok=True)


def stage_key_file(path: Path, key_text: str) -> Path:
    """Write ``key_text`` beside the key file as ``<name>.new`` (mode 0600), before the database is re-sealed under
    it, so that the new key exists on disk before anything depends on it. Refuses when such a file is there
    already: it is left by a rotation that did not finish, and may hold the key the database is sealed with."""
    staged = path.with_name(path.name + STAGED_SUFFIX)
    try:
        descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ServerKeyError(
            f"{staged} exists: a key rotation did not finish. If the database opens with neither key, that file "
            f"holds its key: move it over {path.name}; otherwise delete it. Then rotate again"
        ) from exc
    except OSError as exc:
        raise ServerKeyError(f"cannot write the new key file {staged} ({exc})") from exc
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key_text.strip() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return staged


def install_staged_key(staged: Path, path: Path) -> None:
    """Put the staged new key in place of the key file (one atomic rename)."""
    os.replace(staged, path)


__all__ = [
    "KEY_FILE_NAME",
    "NEW_SECRET_KEY_ENV",
    "SECRET_KEY_ENV",
    "ServerKey",
    "ServerKeyError",
    "install_staged_key",
    "key_file_path",
    "load_server_key",
    "new_key_text",
    "parse_key",
    "stage_key_file",
]
