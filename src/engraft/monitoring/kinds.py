"""The rule-kind registry: one adapter per :class:`RuleKind`.

To plug in a new definition from :mod:`engraft.grading` (SOS/VOD, CRS, graft failure...): add a
:class:`RuleKind` member and one module with its adapter (a :class:`~engraft.monitoring.findings.RuleKindAdapter`),
and list it in :data:`ADAPTERS`. A test fails when a kind has no adapter.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from engraft.monitoring.acute_gvhd_kinds import ACUTE_GVHD_ADAPTERS
from engraft.monitoring.crs_kinds import CRS_ADAPTERS
from engraft.monitoring.engraftment_kinds import ENGRAFTMENT_ADAPTERS
from engraft.monitoring.findings import RuleKindAdapter
from engraft.monitoring.graft_failure_kinds import GRAFT_FAILURE_ADAPTERS
from engraft.monitoring.icans_kinds import ICANS_ADAPTERS
from engraft.monitoring.infection_kinds import INFECTION_ADAPTERS
from engraft.monitoring.model import RuleKind
from engraft.monitoring.organ_toxicity_kinds import ORGAN_TOXICITY_ADAPTERS
from engraft.monitoring.sos_vod_kinds import SOS_VOD_ADAPTERS
from engraft.monitoring.threshold_kinds import THRESHOLD_ADAPTERS
from engraft.monitoring.viral_load_kinds import VIRAL_LOAD_ADAPTERS

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
