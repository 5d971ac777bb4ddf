"""Citations used by the grading rules, in one place so each is written once.

Each citation says where a rule was read. Fields that were not seen are left ``None`` (the DOI and
PMID of Harris 2016 are reproduced in clinical-scores.md but marked unconfirmed there). A ``url`` is
set only where that page itself was read.
"""

from __future__ import annotations

from typing import Final

from engraft.provenance import Citation

_EBMT_HANDBOOK = (
    "In: Sureda A, Corbacioglu S, Greco R, Kröger N, Carreras E (eds). The EBMT Handbook: Hematopoietic Cell "
    "Transplantation and Cellular Therapies, 8th ed. Springer, Cham (open access, CC BY 4.0)"
)

HARRIS_2016: Final = Citation(
    authors="Harris AC, Young R, Devine S, Hogan WJ, Ayuk F, Bunworasate U, et al.",
    title="International, multicenter standardization of acute graft-versus-host disease clinical data "
    "collection: a report from the Mount Sinai Acute GVHD International Consortium",
    journal="Biol Blood Marrow Transplant",
    year=2016,
    volume_pages="22(1):4-10",
)
"""The MAGIC staging and grading criteria. Table 1 of the paper was not read; the grade rule is taken from
the EBMT Handbook's reproduction (:data:`HOLLER_2024`)."""

HOLLER_2024: Final = Citation(
    authors="Holler E, Greinix H, Zeiser R",
    title="Acute graft-versus-host disease (Chapter 43; Table 43.4 and the overall clinical grade below it)",
    journal=_EBMT_HANDBOOK,
    year=2024,
    volume_pages="pp. 385-393",
    doi="10.1007/978-3-031-44080-9_43",
)
"""Read 2026-11-27 in the verbatim Markdown copy of the open-access edition (repository
htlin222/ebmt-handbook-skill, commit b25e026). Table 43.4 is headed "according to Harris et al. 2016"."""

CIBMTR_FIM_ANC_RECOVERY: Final = Citation(
    authors="CIBMTR",
    title="Forms Instruction Manual: Initial ANC Recovery",
    journal="CIBMTR Forms Instruction Manual",
    year=2024,
    url="https://www.cibmtr.org/manuals/fim/1/en/topic/q8-11-initial-anc-recovery",
)
"""Definition, first-of-three date, the exactly-0.5 note, values more than a day apart and the nadir rule
read on this page (2026-11-27); the page text after the nadir sentence was not seen. The manual is
revised continuously; the year is that of the other CIBMTR manual citations in Engraft."""

CIBMTR_FIM_PLATELET_RECOVERY: Final = Citation(
    authors="CIBMTR",
    title="Forms Instruction Manual: Initial Platelet Recovery (Reporting Platelet Recovery example; "
    "'not applicable' option)",
    journal="CIBMTR Forms Instruction Manual",
    year=2024,
    url="https://www.cibmtr.org/manuals/fim/1/en/topic/q12-14-initial-platelet-recovery",
)

CIBMTR_FIM_FORM_2100_PLATELETS: Final = Citation(
    authors="CIBMTR",
    title="Forms Instruction Manual, Form 2100 (Post-HCT Follow-Up) Q13-18: initial platelet recovery, "
    "Example 2 (last platelet transfusion on day 0, recovery reported on day 7)",
    journal="CIBMTR Forms Instruction Manual",
    year=2024,
    url="https://www.cibmtr.org/manuals/fim/1/en/topic/f2100-q13-18",
)

VALCARCEL_2024: Final = Citation(
    authors="Valcárcel D, Sánchez-Ortega I, Sureda A",
    title="Graft failure (Chapter 41; section 41.1 and the definitions after Kharfan-Dabaja et al. 2021)",
    journal=_EBMT_HANDBOOK,
    year=2024,
    volume_pages="pp. 365-372",
    doi="10.1007/978-3-031-44080-9_41",
)
"""States the same neutrophil and platelet recovery definitions as the CIBMTR manual (without the
nadir and different-days details); read 2026-11-27 in the same copy as :data:`HOLLER_2024`."""
