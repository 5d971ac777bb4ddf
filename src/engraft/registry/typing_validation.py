"""Which IPD-IMGT/HLA release validates the HLA typings stored in the registry."""

from __future__ import annotations

from engraft.registry.service import TypingValidator


def hla_typing_validator() -> tuple[TypingValidator | None, str | None]:
    """The GL String validator of the configured IMGT/HLA release (``ENGRAFT_IMGT_DIR`` or the cache).

    Without a release, typings are checked for GL String syntax only; ``/api/health`` says so.
    """
    from engraft.hla.errors import HlaReleaseError
    from engraft.hla.nomenclature import Nomenclature

    try:
        nomenclature = Nomenclature.load()
    except HlaReleaseError:
        return None, None
    return nomenclature.typings_from_gl, nomenclature.release
