"""Exceptions raised by the HLA domain code.

Every error names the offending token, the IPD-IMGT/HLA release it was checked against and what was
expected, so that a registry operator can fix the typing without reading the code (a lesson from py-ard,
whose bare ``InvalidAlleleError(token)`` leaves the release implicit).
"""

from __future__ import annotations


class HlaError(Exception):
    """Base class of all errors raised by :mod:`engraft.hla`."""


class HlaNomenclatureError(HlaError, ValueError):
    """A typing token is malformed, unknown or deleted in the release used.

    Attributes:
        token: the offending token exactly as given.
        release: IPD-IMGT/HLA release the token was checked against (``None`` for syntax-only checks).
        expected: what a valid token would have looked like.
    """

    def __init__(self, token: str, expected: str, *, release: str | None = None, detail: str = "") -> None:
        self.token = token
        self.release = release
        self.expected = expected
        self.detail = detail
        where = f" in IPD-IMGT/HLA release {release}" if release else ""
        extra = f": {detail}" if detail else ""
        super().__init__(f"invalid HLA token {token!r}{where}{extra}; expected {expected}")

    def __reduce__(self) -> tuple[object, ...]:
        # keyword-only arguments are not restored by the default exception pickling (worker processes)
        return (_rebuild_nomenclature_error, (self.token, self.expected, self.release, self.detail))


def _rebuild_nomenclature_error(token: str, expected: str, release: str | None, detail: str) -> HlaNomenclatureError:
    return HlaNomenclatureError(token, expected, release=release, detail=detail)


class HlaReleaseError(HlaError):
    """A release directory or file is missing, unreadable or in an unknown format."""
