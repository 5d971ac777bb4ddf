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

# --- acute GVHD organ staging and chronic GVHD (NIH 2014) -------------------------------------------

NCI_PDQ_PEDIATRIC_AGVHD_STAGING: Final = Citation(
    authors="PDQ Pediatric Treatment Editorial Board",
    title="Complications, Graft-Versus-Host Disease, and Late Effects After Pediatric Hematopoietic Stem "
    "Cell Transplant (PDQ), Table 4 'Staging of Acute Graft-Versus-Host Disease (GVHD)', adapted from "
    "Harris et al., and its footnotes",
    journal="PDQ Cancer Information Summaries, National Cancer Institute (US)",
    year=2024,
    url="https://www.ncbi.nlm.nih.gov/books/NBK577669/table/CDR0000805704__81/",
)
"""Footnotes read 2026-12-04 in a stored copy of the NCBI Bookshelf table: adult stool values for patients
weighing > 50 kg, 3-day averages, stool mixed with urine presumed 50 % stool, no modification of liver
staging for other causes of hyperbilirubinaemia, "severe abdominal pain" as opioid need plus a significant
impact on performance status. Its upper GI row (biopsy required) is the COG/PDQ variant, not MAGIC. The
year is that of the edition current when the reference notes were written, not a verified revision date."""

HARRIS_2015_ASH_ABSTRACT: Final = Citation(
    authors="Mount Sinai Acute GVHD International Consortium (MAGIC)",
    title=None,
    journal="Blood (ASH annual meeting abstract)",
    year=2015,
    volume_pages="126(23):3154",
    url="http://ashpublications.net/blood/article/126/23/3154/90882/",
)
"""The MAGIC data-collection rules (quantified skin changes, upper GI thresholds, formed stools excluded,
200 mL per unquantified episode, onset stage from the highest daily output of the 3 days before
diagnosis), read 2026-12-04 in a stored copy of the abstract page."""

JAGASIA_2015: Final = Citation(
    authors="Jagasia MH, Greinix HT, Arora M, et al.",
    title="National Institutes of Health Consensus Development Project on Criteria for Clinical Trials in "
    "Chronic Graft-versus-Host Disease: I. The 2014 Diagnosis and Staging Working Group Report",
    journal="Biol Blood Marrow Transplant",
    year=2015,
    volume_pages="21(3):389-401.e1",
    doi="10.1016/j.bbmt.2014.12.001",
    pmid="25529383",
)
"""The NIH 2014 organ scores (Figure 1) and global severity. Figure 1 was not read; DOI and PMID are
confirmed in clinical-scores-verification.md section 2.1."""

WOLFF_2024: Final = Citation(
    authors="Wolff D, Peric Z, Lawitschka A",
    title="Chronic graft-versus-host disease (Chapter 44; section 44.3 and 44.3.1.1 'Grading of overall "
    "severity of cGVHD (Jagasia et al. 2015)')",
    journal=_EBMT_HANDBOOK,
    year=2024,
    volume_pages="pp. 395-410",
    doi="10.1007/978-3-031-44080-9_44",
)
"""Read 2026-12-04 in the same verbatim copy as :data:`HOLLER_2024`. Gives eight organs scored 0-3, the
overall severity table (its "> 3" organs is read as 3 or more, as in the NIH wording) and "only in case
that functional involvement is solely due to non-GVHD causes, the impairment is not scored". The organ
scoring form it refers to (its Annex 1) is not in that copy."""

NCIT_NIH_GLOBAL_CGVHD_SEVERITY: Final = Citation(
    authors="National Cancer Institute",
    title="NCI Thesaurus C225388: NIH Global Chronic GVHD Severity Score (definition)",
    journal="NCI Thesaurus",
    year=2024,
)
"""The attribution rules (entire abnormality explained by a documented non-GVHD cause: organ not counted;
multifactorial: scored without downgrading), the higher of the two skin scores and the FEV1-based lung
score, as recorded in clinical-scores-verification.md section 2.2 (CONFIRMED there); not re-read here.
The year is that of the notes, not a verified revision date."""

ARORA_2010_ASH_ABSTRACT: Final = Citation(
    authors="Arora M, et al. (Chronic GVHD Consortium)",
    title=None,
    journal="Blood",
    year=2010,
    volume_pages="116(21):220",
)
"""The mild / moderate / severe thresholds in the 2005 wording, which the 2014 report keeps (as recorded
in clinical-scores-verification.md section 2.2); the title of this Chronic GVHD Consortium abstract was not checked."""
# --- CAR-T and other immune effector cells: CRS, ICE, ICANS (ASTCT 2019) ---

LEE_2019: Final = Citation(
    authors="Lee DW, Santomasso BD, Locke FL, et al.",
    title="ASTCT Consensus Grading for Cytokine Release Syndrome and Neurologic Toxicity Associated with "
    "Immune Effector Cells",
    journal="Biol Blood Marrow Transplant",
    year=2019,
    volume_pages="25(4):625-638",
    doi="10.1016/j.bbmt.2018.12.758",
)
"""The ASTCT consensus (CRS grade, ICE score, ICANS grade). The paper itself was not read: its tables were
read in reproductions that cite it, on PubMed Central table pages (PMC8021214 Table 1, PMC9327779 Table 2;
2026-12-04) and as transcribed in clinical-scores.md section 8 (also PMC8403007 Table 4, PMC7990806 Table
2). The DOI is the one those reproductions cite. The EBMT Handbook's CAR-T chapter (Bonini et al., chapter
60, Table 60.3) shows only the older Penn, CTCAE and Lee 2014 CRS scales, so it is not a source here."""

# --- SOS/VOD: modified Seattle, Baltimore, EBMT 2016 adult, EBMT 2018 paediatric ---

MCDONALD_1993: Final = Citation(
    authors="McDonald GB, et al.",
    title=None,
    journal="Ann Intern Med",
    year=1993,
    volume_pages="118:255-267",
)
"""The modified Seattle criteria (title and issue not recorded). Not read; the rule is taken from the WJG
2019 Table 2 reproduction as transcribed in clinical-scores.md section 9.3."""

JONES_1987: Final = Citation(
    authors="Jones RJ, et al.",
    title=None,
    journal="Transplantation",
    year=1987,
    volume_pages="44:778-783",
)
"""The Baltimore criteria (title and issue not recorded). Not read; taken from the WJG 2019 Table 2
reproduction (clinical-scores.md section 9.3) and the EBMT Handbook chapter 49 (:data:`CARRERAS_2024`),
which describes them."""

MOHTY_2016: Final = Citation(
    authors="Mohty M, Malard F, Abecassis M, et al.",
    title="Revised diagnosis and severity criteria for sinusoidal obstruction syndrome/veno-occlusive disease "
    "in adult patients: a new classification from the EBMT",
    journal="Bone Marrow Transplant",
    year=2016,
    volume_pages="51(7):906-912",
)
"""EBMT 2016 adult criteria. Not read; the DOI is unconfirmed (clinical-scores-verification.md section 4.1).
The severity rows are from the ASH view-large reproduction 4463002 as transcribed in
clinical-scores-verification.md section 4.2; the diagnosis and the aggregation footnote from
:data:`CARRERAS_2024`."""

CORBACIOGLU_2018: Final = Citation(
    authors="Corbacioglu S, Carreras E, Ansari M, et al.",
    title="Diagnosis and severity criteria for SOS/VOD in pediatric patients: a new classification from the EBMT",
    journal="Bone Marrow Transplant",
    year=2018,
    volume_pages="53(2):138-145",
)
"""EBMT 2018 paediatric criteria. The full text is stored (nature.com/articles/bmt2017161) but only its opening was
readable on 2026-12-04, so its tables were not read. The diagnosis is taken from the EBMT Handbook's Table 49.5
("adapted from Corbacioglu S, et al. Bone Marrow Transplant 2018; 53:138-45") and the medicalcriteria.com
reproduction transcribed in clinical-scores.md section 9.2; the severity grade from the reproduction
https://pmc.ncbi.nlm.nih.gov/articles/PMC6020812/table/T3 ("adapted from Corbacioglu et al."), its first rows
checked against medicalcriteria.com (see the paediatric severity rule's notes)."""

CARRERAS_2024: Final = Citation(
    authors="Carreras E, Ruutu T, Mohty M, Corbacioglu S, de la Cámara R",
    title="Hepatic complications (Chapter 49; section 49.2.4 and Table 49.3 (adults), Table 49.5 (children))",
    journal=_EBMT_HANDBOOK,
    year=2024,
    volume_pages="pp. 441-458",
    doi="10.1007/978-3-031-44080-9_49",
)
"""Read 2026-12-04 in the same verbatim copy as :data:`HOLLER_2024`. Section 49.2.4 (by Mohty) states the
2016 adult diagnosis (classical within 21 days; late onset beyond day 21) and Table 49.3 the adult severity
grade with its footnote "Patients belong to the category that fulfilled 2 or more criteria ... the most
severe category between both"; Table 49.5 (by Corbacioglu) the paediatric diagnosis."""


# --- graft failure, febrile neutropenia, viral DNAemia, organ-toxicity signals (issue 11, points 5 and 6) -------

KHARFAN_DABAJA_2021: Final = Citation(
    authors="Kharfan-Dabaja MA, Kumar A, Ayala E, Aljurf M, Nishihori T, Marsh R, et al.",
    title="Standardizing definitions of hematopoietic recovery, graft rejection, graft failure, poor graft "
    "function, and donor chimerism in allogeneic hematopoietic cell transplantation: a report on behalf of the "
    "American Society for Transplantation and Cellular Therapy",
    journal="Transplant Cell Ther",
    year=2021,
    volume_pages="27(8):642-649",
    doi="10.1016/j.jtct.2021.04.007",
)
"""The ASTCT harmonised definitions. The paper itself was not read: its definitions were read in two
reproductions, :data:`BMT_2024_ASTCT_TABLE` and the EBMT Handbook's section 41.2 (:data:`VALCARCEL_2024`)."""

BMT_2024_ASTCT_TABLE: Final = Citation(
    authors="Bone Marrow Transplant 2024 (PMC11161398)",
    title="Table 1: consensus definitions from ASTCT by Kharfan-Dabaja et al.",
    journal="Bone Marrow Transplant",
    year=2024,
    volume_pages="59(6):832-837",
    doi="10.1038/s41409-024-02251-0",
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC11161398/table/Tab1",
)
"""Read 2026-12-04 (the table page only; the article's authors were not read): primary graft failure by
source (PBSC and unstimulated bone marrow: no ANC >= 500/uL by day +30; cord blood: by day +42; both "with
associated pancytopenia"), secondary graft failure, poor graft function, full donor chimerism > 95 % in
myeloid and lymphoid lineages."""

BADER_2024: Final = Citation(
    authors="Bader P, Kreyenberg H, Bacigalupo A",
    title="Documentation of engraftment and chimerism after HCT (Chapter 21; section 21.1)",
    journal=_EBMT_HANDBOOK,
    year=2024,
    volume_pages="pp. 183-188",
    doi="10.1007/978-3-031-44080-9_21",
)
"""Complete donor chimerism > 95 % donor cells in the myeloid and the lymphoid compartment, mixed 5-95 %,
absent < 5 %, split when the compartments differ. Read 2026-12-04 in the copy named at :data:`HOLLER_2024`.
Chapter 41 (:data:`VALCARCEL_2024`) gives ">= 95 %" as a common cut-off (90-97.5 % in most centres)."""

FREIFELD_2011: Final = Citation(
    authors="Freifeld AG, Bow EJ, Sepkowitz KA, Boeckh MJ, Ito JI, Mullen CA, et al.",
    title="Clinical practice guideline for the use of antimicrobial agents in neutropenic patients with cancer: "
    "2010 update by the Infectious Diseases Society of America",
    journal="Clin Infect Dis",
    year=2011,
    volume_pages="52(4):e56-e93",
    doi="10.1093/cid/cir073",
)
"""The IDSA fever and neutropenia definitions. The guideline text was not read: the definitions are taken from
clinical-scores.md section 10.2 ([S], identical across several reproductions) and were seen again on
2026-12-04 in the Johns Hopkins ABX Guide and UpToDate reproductions (single oral >= 38.3 C / 101 F, or
>= 38.0 C / 100.4 F sustained over 1 h; ANC < 500/mm3 or expected to fall below 500 within 48 h)."""

LJUNGMAN_2024: Final = Citation(
    authors="Ljungman P, Piñana JL, Cesaro S, de la Cámara R",
    title="Viral infections (Chapter 38; section 38.1.1 cytomegalovirus)",
    journal=_EBMT_HANDBOOK,
    year=2024,
    volume_pages="pp. 331-343",
    doi="10.1007/978-3-031-44080-9_38",
)
"""No recommendation can be given for the CMV DNA level at which pre-emptive therapy starts: it depends on
patient factors, the material monitored (plasma or whole blood) and the assay; weekly monitoring for at least
the first 3 months after allo-HCT. Read 2026-12-04 in the copy named at :data:`HOLLER_2024`."""
