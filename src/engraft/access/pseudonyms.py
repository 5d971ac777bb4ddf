"""Stable per-project pseudonyms for researchers: the same record gets the same pseudonym within a project,
different projects cannot be linked, and nobody without the project's key can reverse one."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U to misread
_PREFIX = {"patient": "P", "episode": "E", "donor": "D", "diagnosis": "X", "event": "V", "visit": "F"}


@dataclass(frozen=True, slots=True)
class Pseudonymiser:
    """HMAC-SHA-256 of ``entity:id`` under a secret key per research project, shown as 10 base-32 characters.

    ``key`` must be secret and at least 32 bytes (the registry keeps one per project); ``project`` names it.
    """

    project: str
    key: bytes

    def __post_init__(self) -> None:
        if not self.project:
            raise ValueError("project: expected a non-empty project name")
        if len(self.key) < 32:
            raise ValueError(f"key: expected at least 32 bytes of secret, got {len(self.key)}")

    def pseudonym(self, entity: str, record_id: int) -> str:
        """The pseudonym of record ``record_id`` of kind ``entity`` (patient, episode, donor, ...)."""
        prefix = _PREFIX.get(entity)
        if prefix is None:
            raise ValueError(f"entity: expected one of {', '.join(sorted(_PREFIX))}, got {entity!r}")
        digest = hmac.new(self.key, f"{self.project}\x1f{entity}\x1f{record_id}".encode(), hashlib.sha256).digest()
        number = int.from_bytes(digest[:7], "big")  # 56 bits -> 10 base-32 characters (50 bits used)
        chars = []
        for _ in range(10):
            number, rest = divmod(number, 32)
            chars.append(_ALPHABET[rest])
        return f"{prefix}-{''.join(reversed(chars))}"


def birth_year(birth_date: date | None) -> int | None:
    """The only part of a birth date a researcher sees."""
    return None if birth_date is None else birth_date.year
