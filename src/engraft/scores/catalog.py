"""Catalogue of instruments, so a CLI or API can list them, show schemas and run any by name.

Each entry pairs an input model with its function. ``run(name, payload)`` validates a JSON-like
mapping (or JSON text) against the input model and returns the typed result; invalid input raises
``pydantic.ValidationError`` naming the field, the value and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from engraft.scores import sources
from engraft.scores.conditioning import ConditioningInput, conditioning_intensity
from engraft.scores.donor_eligibility import DonorEligibilityInput, donor_eligibility
from engraft.scores.ebmt import EbmtRiskInput, ebmt_risk
from engraft.scores.graft_quality import GraftQualityInput, graft_quality
from engraft.scores.hctci import HctCiInput, hct_ci
from engraft.scores.hctci_age import HctCiAgeInput, hct_ci_age
from engraft.scores.performance import KarnofskyInput, LanskyInput, karnofsky, lansky
from engraft.scores.provenance import Citation, FrozenModel, ScoreResult
from engraft.scores.refined_dri import RefinedDriInput, refined_dri


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    input_model: type[FrozenModel]
    function: Callable[[Any], ScoreResult]
    description: str
    citation: Citation

    def schema(self) -> dict[str, Any]:
        """JSON schema of the input model."""
        return self.input_model.model_json_schema()

    def run(self, payload: Mapping[str, Any] | str) -> ScoreResult:
        """Validate ``payload`` (mapping or JSON text) and run the instrument."""
        data = (
            self.input_model.model_validate_json(payload)
            if isinstance(payload, str)
            else self.input_model.model_validate(payload)
        )
        return self.function(data)


_ENTRIES: Final = (
    CatalogEntry(
        "hct-ci",
        HctCiInput,
        hct_ci,
        "HCT-specific comorbidity index, 17 items (Sorror 2005 / CIBMTR)",
        sources.SORROR_2005,
    ),
    CatalogEntry(
        "hct-ci-age", HctCiAgeInput, hct_ci_age, "HCT-CI plus 1 point for age >= 40 (Sorror 2014)", sources.SORROR_2014
    ),
    CatalogEntry(
        "karnofsky", KarnofskyInput, karnofsky, "Karnofsky performance status, age >= 16", sources.KARNOFSKY_1949
    ),
    CatalogEntry("lansky", LanskyInput, lansky, "Lansky play-performance scale, age < 16", sources.LANSKY_1987),
    CatalogEntry("ebmt-risk", EbmtRiskInput, ebmt_risk, "EBMT (Gratwohl) risk score 0-7", sources.GRATWOHL_2009),
    CatalogEntry(
        "refined-dri",
        RefinedDriInput,
        refined_dri,
        "Refined Disease Risk Index (Armand 2014); rule table UNVERIFIED",
        sources.ARMAND_2014,
    ),
    CatalogEntry(
        "conditioning-intensity",
        ConditioningInput,
        conditioning_intensity,
        "Conditioning regimen intensity: MAC, RIC or NMA, with the deciding component",
        sources.BACIGALUPO_2009,
    ),
    CatalogEntry(
        "donor-eligibility",
        DonorEligibilityInput,
        donor_eligibility,
        "HPC donor eligibility from infectious-disease markers and screening (21 CFR 1271)",
        sources.CFR_1271_SUBPART_C,
    ),
    CatalogEntry(
        "graft-quality",
        GraftQualityInput,
        graft_quality,
        "Graft CD34+/TNC dose per kg and viability against source thresholds",
        sources.DEHN_2019,
    ),
)

CATALOG: Final[Mapping[str, CatalogEntry]] = {entry.name: entry for entry in _ENTRIES}


def get(name: str) -> CatalogEntry:
    """The catalogue entry for ``name``; ``KeyError`` lists the known names."""
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"unknown instrument {name!r}; expected one of {sorted(CATALOG)}") from None


def run(name: str, payload: Mapping[str, Any] | str) -> ScoreResult:
    """Validate ``payload`` for instrument ``name`` and run it."""
    return get(name).run(payload)
