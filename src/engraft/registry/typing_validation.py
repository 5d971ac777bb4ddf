"""Which IPD-IMGT/HLA release validates the HLA typings stored in the registry."""

from __future__ import annotations

from functools import partial

from engraft.hla.matching.typing_builder import typings_from_gl
from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.io.imgt_release import load_nomenclature
from engraft.registry.service import TypingValidator


def hla_typing_validator() -> tuple[TypingValidator | None, str | None]:
    """The GL String validator of the configured IMGT/HLA release (``ENGRAFT_IMGT_DIR`` or the cache).

    Without a release, typings are checked for GL String syntax only; ``/api/health`` says so.
    """
    try:
        nomenclature = load_nomenclature()
    except HlaReleaseError:
        return None, None
    return partial(typings_from_gl, nomenclature), nomenclature.release
