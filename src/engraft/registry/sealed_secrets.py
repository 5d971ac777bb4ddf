"""Secrets the registry must be able to read back, sealed at rest under the server key (AES-256-GCM).

Two kinds of value are sealed: an account's TOTP secret (text) and a research project's pseudonym key
(bytes). A sealed value carries a version prefix, the key's identifier, a random 96-bit nonce and the
ciphertext with its 128-bit tag; the associated data names the column and the row it belongs to, so a
sealed value copied into another row or column does not open there.

- text: ``egs1:`` + URL-safe base64 (no padding) of ``key id (4) | nonce (12) | ciphertext+tag``;
- bytes: ``egs1`` + ``key id (4) | nonce (12) | ciphertext+tag``.

A value without the prefix is a *legacy* plaintext value (from before migration 0009, which seals those):
it still opens, as itself, and :func:`is_sealed` tells the caller to seal it again. A legacy pseudonym key is
exactly 32 bytes, shorter than any sealed value, and a base-32 TOTP secret never contains ``:`` or lower
case, so the two forms cannot be confused.

A value sealed under another key, or altered, raises :class:`~engraft.config.server_key.ServerKeyError`
naming ``ENGRAFT_SECRET_KEY``: never a silent failure.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engraft.config.server_key import SECRET_KEY_ENV, ServerKey, ServerKeyError, load_server_key

TEXT_PREFIX: Final = "egs1:"
BYTES_PREFIX: Final = b"egs1"
_KEY_ID_BYTES, _NONCE_BYTES, _TAG_BYTES = 4, 12, 16
LEGACY_PSEUDONYM_KEY_BYTES: Final = 32


def totp_context(user_id: int) -> str:
    """The associated data of an account's TOTP secret."""
    return f"user_account.totp_secret/{user_id}"


def pseudonym_context(project: str) -> str:
    """The associated data of a research project's pseudonym key."""
    return f"research_project.pseudonym_key/{project}"


def key_id(key: bytes) -> bytes:
    """Four bytes that tell keys apart (a SHA-256 of the key under a fixed label; not enough to find it)."""
    return hashlib.sha256(b"engraft server key id\x00" + key).digest()[:_KEY_ID_BYTES]


class SecretBox:
    """Seals and opens stored secrets under the server key, which is loaded when first needed (a server that
    never stores a secret never makes a key file)."""

    def __init__(self, key_source: Callable[[], ServerKey] = load_server_key) -> None:
        self._key_source = key_source

    @classmethod
    def with_key(cls, key: bytes, source: str = "a given key") -> SecretBox:
        server_key = ServerKey(key, source)
        return cls(lambda: server_key)

    def _key(self) -> ServerKey:
        return self._key_source()

    # ---- raw sealing ----------------------------------------------------------------------
    def _seal(self, plaintext: bytes, context: str) -> bytes:
        server_key = self._key()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(server_key.key).encrypt(nonce, plaintext, context.encode("utf-8"))
        return key_id(server_key.key) + nonce + sealed

    def _open(self, blob: bytes, context: str) -> bytes:
        server_key = self._key()
        if len(blob) < _KEY_ID_BYTES + _NONCE_BYTES + _TAG_BYTES:
            raise ServerKeyError(f"the stored {context} is damaged (too short to be a sealed value)")
        header = _KEY_ID_BYTES + _NONCE_BYTES
        stored_id, nonce, sealed = blob[:_KEY_ID_BYTES], blob[_KEY_ID_BYTES:header], blob[header:]
        if stored_id != key_id(server_key.key):
            raise ServerKeyError(
                f"the stored {context} was sealed under another server key than the one configured "
                f"({server_key.source}): set {SECRET_KEY_ENV} to the key this database was sealed with"
            )
        try:
            return AESGCM(server_key.key).decrypt(nonce, sealed, context.encode("utf-8"))
        except InvalidTag as exc:
            raise ServerKeyError(
                f"the stored {context} does not open under the configured server key ({server_key.source}): "
                "it was altered or copied from another row"
            ) from exc

    # ---- text (TOTP secrets) ----------------------------------------------------------------
    def seal_text(self, plaintext: str, context: str) -> str:
        blob = self._seal(plaintext.encode("utf-8"), context)
        return TEXT_PREFIX + base64.urlsafe_b64encode(blob).decode("ascii").rstrip("=")

    def open_text(self, stored: str, context: str) -> str:
        """The plaintext of a sealed value; a legacy (unprefixed) value as it is."""
        if not stored.startswith(TEXT_PREFIX):
            return stored
        encoded = stored[len(TEXT_PREFIX) :]
        try:
            blob = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ServerKeyError(f"the stored {context} is damaged (not base64 after {TEXT_PREFIX!r})") from exc
        return self._open(blob, context).decode("utf-8")

    # ---- bytes (pseudonym keys) ---------------------------------------------------------------
    def seal_bytes(self, plaintext: bytes, context: str) -> bytes:
        return BYTES_PREFIX + self._seal(plaintext, context)

    def open_bytes(self, stored: bytes, context: str) -> bytes:
        """The plaintext of a sealed value; a legacy (32-byte, unprefixed) value as it is."""
        if is_sealed(stored):
            return self._open(stored[len(BYTES_PREFIX) :], context)
        if len(stored) != LEGACY_PSEUDONYM_KEY_BYTES:
            raise ServerKeyError(f"the stored {context} is neither sealed nor a {LEGACY_PSEUDONYM_KEY_BYTES}-byte key")
        return stored


def is_sealed(stored: str | bytes) -> bool:
    """Whether a stored value is sealed (else it is a legacy plaintext value, to be sealed)."""
    if isinstance(stored, str):
        return stored.startswith(TEXT_PREFIX)
    minimum = len(BYTES_PREFIX) + _KEY_ID_BYTES + _NONCE_BYTES + _TAG_BYTES
    return stored.startswith(BYTES_PREFIX) and len(stored) >= minimum


__all__ = [
    "BYTES_PREFIX",
    "TEXT_PREFIX",
    "SecretBox",
    "ServerKeyError",
    "is_sealed",
    "key_id",
    "pseudonym_context",
    "totp_context",
]
