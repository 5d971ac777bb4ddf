"""Which IPD-IMGT/HLA release validates the HLA typings stored in the registry.

HLA typings are never stored unchecked: without a usable configured release (``ENGRAFT_IMGT_DIR`` or
the cache that ``engraft hla install`` fills), the validator refuses every typing and says how to
install one. Records without a typing are unaffected. Typings holding an NMDP multiple-allele code
(``A*01:AB``) are checked with the configured MAC list (``engraft hla install-mac``), read only when a
typing holds one.
"""

from __future__ import annotations

from collections.abc import Callable

from engraft.config.hla_release import load_nomenclature
from engraft.config.mac_list import MAC_INSTALL_HINT, load_mac_dictionary
from engraft.hla.matching.typing_builder import typings_from_gl
from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.hla.nomenclature.mac import mentions_mac
from engraft.hla.nomenclature.tables import Nomenclature

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
    return _validator(nomenclature), nomenclature.release


def _validator(nomenclature: Nomenclature) -> TypingValidator:
    def validate(gl_string: str) -> object:
        if not mentions_mac(gl_string):
            return typings_from_gl(nomenclature, gl_string)
        try:
            mac = load_mac_dictionary()
        except HlaReleaseError as exc:
            raise ValueError(f"a multiple-allele code needs a readable NMDP MAC list: {exc}") from exc
        if mac is None:
            raise ValueError(
                f"a multiple-allele code needs the NMDP MAC list, and none is configured: {MAC_INSTALL_HINT}"
            )
        return typings_from_gl(nomenclature, gl_string, mac=mac)

    return validate
