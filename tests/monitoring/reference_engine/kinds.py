"""The rule-kind registry: one adapter per :class:`RuleKind`.

To plug in a new definition from :mod:`engraft.grading` (SOS/VOD, CRS, graft failure...): add a
:class:`RuleKind` member and one module with its adapter (a :class:`~engraft.monitoring.findings.RuleKindAdapter`),
and list it in :data:`ADAPTERS`. A test fails when a kind has no adapter.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from engraft.monitoring.findings import RuleKindAdapter
from engraft.monitoring.model import RuleKind
from tests.monitoring.reference_engine.acute_gvhd_kinds import ACUTE_GVHD_ADAPTERS
from tests.monitoring.reference_engine.crs_kinds import CRS_ADAPTERS
from tests.monitoring.reference_engine.engraftment_kinds import ENGRAFTMENT_ADAPTERS
from tests.monitoring.reference_engine.graft_failure_kinds import GRAFT_FAILURE_ADAPTERS
from tests.monitoring.reference_engine.icans_kinds import ICANS_ADAPTERS
from tests.monitoring.reference_engine.infection_kinds import INFECTION_ADAPTERS
from tests.monitoring.reference_engine.organ_toxicity_kinds import ORGAN_TOXICITY_ADAPTERS
from tests.monitoring.reference_engine.sos_vod_kinds import SOS_VOD_ADAPTERS
from tests.monitoring.reference_engine.threshold_kinds import THRESHOLD_ADAPTERS
from tests.monitoring.reference_engine.viral_load_kinds import VIRAL_LOAD_ADAPTERS

_ALL: Final[tuple[RuleKindAdapter, ...]] = (
    *ENGRAFTMENT_ADAPTERS,
    *THRESHOLD_ADAPTERS,
    *INFECTION_ADAPTERS,
    *GRAFT_FAILURE_ADAPTERS,
    *VIRAL_LOAD_ADAPTERS,
    *ORGAN_TOXICITY_ADAPTERS,
    *SOS_VOD_ADAPTERS,
    *ACUTE_GVHD_ADAPTERS,
    *CRS_ADAPTERS,
    *ICANS_ADAPTERS,
)
ADAPTERS: Final[MappingProxyType[RuleKind, RuleKindAdapter]] = MappingProxyType(
    {adapter.kind: adapter for adapter in _ALL}
)


def adapter_of(kind: RuleKind) -> RuleKindAdapter:
    """The adapter of ``kind`` (KeyError naming the kind when none is registered)."""
    try:
        return ADAPTERS[kind]
    except KeyError:
        raise KeyError(f"rule kind {kind.value!r} has no adapter; expected one of {sorted(ADAPTERS)}") from None
