"""Which IPD-IMGT/HLA release validates the HLA typings stored in the registry.

HLA typings are never stored unchecked: without a usable configured release (``ENGRAFT_IMGT_DIR`` or
the cache that ``engraft hla install`` fills), the validator refuses every typing and says how to
install one. Records without a typing are unaffected.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from engraft.config.hla_release import load_nomenclature
from engraft.hla.matching.typing_builder import typings_from_gl
from engraft.hla.nomenclature.errors import HlaReleaseError

TypingValidator = Callable[[str], object]
"""Checks a GL String (raises ``ValueError`` naming the bad token), e.g. ``partial(typings_from_gl, nom)``."""


def refusing_validator(reason: str) -> TypingValidator:
    """A validator that refuses every typing, saying why (``reason``: what is missing and how to fix it)."""

    def refuse(gl_string: str) -> object:
        raise ValueError(f"an HLA typing checked against an IPD-IMGT/HLA release, but {reason}")

    return refuse


def hla_typing_validator() -> tuple[TypingValidator, str | None]:
    """The GL String validator of the configured IMGT/HLA release, and that release's number.

    Without a usable release the validator refuses every typing (naming ``engraft hla install``) and
    the release is ``None``; ``/api/health`` says so.
    """
    try:
        nomenclature = load_nomenclature()
    except HlaReleaseError as exc:
        return refusing_validator(str(exc)), None
    return partial(typings_from_gl, nomenclature), nomenclature.release
