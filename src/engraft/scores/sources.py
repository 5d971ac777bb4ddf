"""Citations used by the score modules, in one place so each is written once.

Bibliographic fields were taken from /work/shared/reference/clinical-scores.md and
clinical-scores-verification.md; fields those notes mark unverified are left as ``None``.
A ``url`` is the primary page (publisher page or PubMed abstract) on which the cited figures
were checked; it is only set where that page was actually seen.
"""

from __future__ import annotations

from typing import Final

from engraft.scores.provenance import Citation

SORROR_2005: Final = Citation(
    authors="Sorror ML, Maris MB, Storb R, Baron F, Sandmaier BM, Maloney DG, Storer B",
    title="Hematopoietic cell transplantation (HCT)-specific comorbidity index: a new tool for risk "
    "assessment before allogeneic HCT",
    journal="Blood",
    year=2005,
    volume_pages="106(8):2912-2919",
    doi="10.1182/blood-2005-05-2004",
    pmid="15994282",
    url="http://ashpublications.net/blood/article/106/8/2912/21830/Hematopoietic-cell-transplantation-HCT-specific",
)

SORROR_2013: Final = Citation(
    authors="Sorror ML",
    title="How I assess comorbidities before hematopoietic cell transplantation",
    journal="Blood",
    year=2013,
    volume_pages="121(15):2854-2863",
    url="http://ashpublications.net/view-large/6385707",
)

SORROR_2014: Final = Citation(
    authors="Sorror ML, Storb RF, Sandmaier BM, et al.",
    title="Comorbidity-age index: a clinical measure of biologic age before allogeneic hematopoietic "
    "cell transplantation",
    journal="J Clin Oncol",
    year=2014,
    volume_pages="32(29):3249-3256",
    doi="10.1200/JCO.2013.53.8157",
    pmid="25154831",
)

CIBMTR_FIM_APPENDIX_J: Final = Citation(
    authors="CIBMTR",
    title="Forms Instruction Manual, Appendix J: HCT-CI operational definitions",
    journal="CIBMTR Forms Instruction Manual",
    year=2024,
    url="https://www.cibmtr.org/manuals/fim",
)

RAIMONDI_2012: Final = Citation(
    authors="Raimondi R, et al.",
    title=None,
    journal="Blood",
    year=2012,
    volume_pages="120(6):1327",
    url="http://ashpublications.net/blood/article/120/6/1327/30536/",
)

ELSAWY_2015: Final = Citation(
    authors="ElSawy M, et al.",
    title=None,
    journal="Br J Haematol",
    year=2015,
)

KARNOFSKY_1949: Final = Citation(
    authors="Karnofsky DA, Burchenal JH",
    title="The clinical evaluation of chemotherapeutic agents in cancer",
    journal="In: MacLeod CM (ed). Evaluation of Chemotherapeutic Agents. Columbia University Press",
    year=1949,
)

LANSKY_1987: Final = Citation(
    authors="Lansky SB, List MA, Lansky LL, et al.",
    title="The measurement of performance in childhood cancer patients",
    journal="Cancer",
    year=1987,
    volume_pages="60(7):1651-1656",
)

GRATWOHL_2009: Final = Citation(
    authors="Gratwohl A, Stern M, Brand R, et al.",
    title="Risk score for outcome after allogeneic hematopoietic stem cell transplantation: a retrospective analysis",
    journal="Cancer",
    year=2009,
    volume_pages="115(20):4715-4726",
    doi="10.1002/cncr.24531",
    pmid="19642176",
    url="https://pubmed.ncbi.nlm.nih.gov/19642176/",
)

GRATWOHL_1998: Final = Citation(
    authors=(
        "Gratwohl A, Hermans J, Goldman JM, Arcese W, Carreras E, Devergie A, Frassoni F, Gahrton G, Kolb HJ, "
        "Niederwieser D, Ruutu T, Vernant JP, de Witte T, Apperley J"
    ),
    title=(
        "Risk assessment for patients with chronic myeloid leukaemia before allogeneic blood or marrow "
        "transplantation. Chronic Leukemia Working Party of the European Group for Blood and Marrow Transplantation"
    ),
    journal="Lancet",
    year=1998,
    volume_pages="352(9134):1087",
    pmid="9798583",
)
"""Abstract read (2026-11-26) in two reproductions that agree where they overlap: UpToDate's copy of the
PubMed abstract (cut after "Survival at 5 years was 72%") and a paper index (paperexplained.cn) giving the
whole abstract; the PubMed record itself was not opened."""

# Abstract seen on the publisher page (nature.com): five factors, additive 0-7, autologous 0-5.
# Volume/pages not seen on that page (reproductions disagree: 47(6):749-756 vs 449-56); left None.
GRATWOHL_2012: Final = Citation(
    authors="Gratwohl A",
    title="The EBMT risk score",
    journal="Bone Marrow Transplant",
    year=2012,
    doi="10.1038/bmt.2011.110",
    url="http://www.nature.com/doifinder/10.1038/bmt.2011.110",
)

# Authors, title, journal and DOI as the publisher's record gives them (zendy.io record of 10.1111/ctr.12324; the
# abstract there is the PubMed 24655161 abstract: 273 adults, HCT 2000-2010, IR-1 n = 67, 5-year OS 57%).
EBMT_EXTERNAL_2014: Final = Citation(
    authors="Numata A, Tanaka M, Matsumoto K, et al.",
    title=(
        "Validation of the European Group for Blood and Marrow Transplantation (EBMT) risk score in patients "
        "receiving allogeneic hematopoietic stem cell transplantation at a single center in Japan"
    ),
    journal="Clin Transplant",
    year=2014,
    doi="10.1111/ctr.12324",
    pmid="24655161",
)

ARMAND_2014: Final = Citation(
    authors="Armand P, Kim HT, Logan BR, et al.",
    title="Validation and refinement of the Disease Risk Index for allogeneic stem cell transplantation",
    journal="Blood",
    year=2014,
    volume_pages="123(23):3664-3671",
    doi="10.1182/blood-2014-01-552984",
    pmid="24744269",
    url="http://ashpublications.net/blood/article/123/23/3664/33201/Validation-and-refinement-of-the-Disease-Risk",
)

BACIGALUPO_2009: Final = Citation(
    authors="Bacigalupo A, Ballen K, Rizzo D, et al.",
    title="Defining the intensity of conditioning regimens: working definitions",
    journal="Biol Blood Marrow Transplant",
    year=2009,
    volume_pages="15(12):1628-1633",
    doi="10.1016/j.bbmt.2009.07.004",
    pmid="19896087",
)

GIRALT_2009: Final = Citation(
    authors="Giralt S, Ballen K, Rizzo D, et al.",
    title="Reduced-intensity conditioning regimen workshop: defining the dose spectrum",
    journal="Biol Blood Marrow Transplant",
    year=2009,
    volume_pages="15(3):367-369",
    doi="10.1016/j.bbmt.2008.12.497",
    pmid="19203728",
    url="https://www.ncbi.nlm.nih.gov/pubmed/19203728",
)

CFR_1271_SUBPART_C: Final = Citation(
    authors="US Food and Drug Administration",
    title="21 CFR Part 1271 Subpart C - Donor Eligibility (1271.45, 1271.60, 1271.65, 1271.80, 1271.85); "
    "FDA, Testing Donors of HCT/Ps: Specific Requirements",
    journal="Code of Federal Regulations, Title 21",
    year=2004,
    url="https://www.ecfr.gov/current/title-21/chapter-I/subchapter-L/part-1271/subpart-C",
)

DEHN_2019: Final = Citation(
    authors="Dehn J, et al.",
    title="NMDP/CIBMTR donor and cord blood unit selection guidelines",
    journal="Blood",
    year=2019,
    volume_pages="134(12):924-934",
)

NMDP_SELECTION_GUIDELINES: Final = Citation(
    authors="NMDP/CIBMTR",
    title="Donor and cord blood unit selection guidelines (NMDP's own documentation of Dehn 2019)",
    journal="NMDP network documentation (network.nmdp.org)",
    year=2019,
)
"""Where the cord blood TNC and CD34+ minimums were read (donor-search.md section 3.4, [V-doc])."""

NETCORD_FACT_POST_THAW: Final = Citation(
    authors="Talmadge C (FACT Accreditation Services)",
    title="Release of cord blood units that do not meet post-thaw specification requirements "
    "(NetCord-FACT post-thaw criteria)",
    journal="FACT Newsletter",
    year=2018,
    url="https://news.factglobal.org/release-of-cord-blood-units-that-do-not-meet-post-thaw-specification-requirements/",
)

AUTO_PBSC_CD34_MINIMUM: Final = Citation(
    authors="Giralt S, Stadtmauer EA, Harousseau JL, Palumbo A, et al. (International Myeloma Working Group)",
    title=(
        "International myeloma working group (IMWG) consensus statement and guidelines regarding the current "
        "status of stem cell collection and high-dose therapy for multiple myeloma and the role of plerixafor "
        "(AMD 3100)"
    ),
    journal="Leukemia",
    year=2009,
    doi="10.1038/leu.2009.127",
    url="https://www.nature.com/articles/leu2009127",
)
"""Abstract (read on the publisher's page, 2026-11-26): "a minimum of 2 million CD34+ cells/kg has been
traditionally used for the support of one cycle of high-dose therapy"."""

# --- Secondary texts (verification level "secondary": cited beside the primary source) ---------------

_EBMT_HANDBOOK_2024: Final = (
    "In: Sureda A, Corbacioglu S, Greco R, Kröger N, Carreras E (eds). The EBMT Handbook: Hematopoietic Cell "
    "Transplantation and Cellular Therapies, 8th ed. Springer, Cham (open access, CC BY 4.0)"
)

EBMT_HANDBOOK_CH11: Final = Citation(
    authors="Barba P, Rambaldi A",
    title="Evaluation and Counseling of Candidates (chapter 11)",
    journal=_EBMT_HANDBOOK_2024,
    year=2024,
    volume_pages="pp. 99-110",
    doi="10.1007/978-3-031-44080-9_11",
)
"""Read (2026-12-04) in the verbatim Markdown copy of the open-access HTML edition (repository
htlin222/ebmt-handbook-skill, commit b25e0261, chapters/ch11-evaluation-and-counseling-of-candidates.md)."""

EBMT_HANDBOOK_CH13: Final = Citation(
    authors="Shimoni A, Radici V, Nagler A",
    title="Conditioning (chapter 13)",
    journal=_EBMT_HANDBOOK_2024,
    year=2024,
    volume_pages="pp. 125-134",
    doi="10.1007/978-3-031-44080-9_13",
)
"""Read (2026-12-04) in the same copy, chapters/ch13-conditioning.md (sections 13.1, 13.2 and 13.4)."""


def handbook_table(chapter: Citation, table: str) -> Citation:
    """The citation of one table of a Handbook chapter (e.g. ``"11.3"``)."""
    return chapter.model_copy(update={"volume_pages": f"{chapter.volume_pages}, Table {table}"})


HB11_TABLE_11_2: Final = handbook_table(EBMT_HANDBOOK_CH11, "11.2")
"""EBMT risk score: points per factor level, footnote a (stage definitions, not applicable in SAA), footnote b
(interval not scored in CR1)."""
HB11_TABLE_11_3: Final = handbook_table(EBMT_HANDBOOK_CH11, "11.3")
"""Probability (%) of TRM at 5 years by EBMT score and disease, "extracted from Gratwohl et al. (2009)"."""
HB11_TABLE_11_4: Final = handbook_table(EBMT_HANDBOOK_CH11, "11.4")
"""Probability (%) of OS at 5 years by EBMT score and disease, "extracted from Gratwohl et al. (2009)"."""
HB11_TABLE_11_5: Final = handbook_table(EBMT_HANDBOOK_CH11, "11.5")
"""HCT-CI with the age variable: the 17 comorbidity weights (its definitions are partly garbled; weights only)."""

NCI_PDQ_HCTCI: Final = Citation(
    authors="PDQ Adult Treatment Editorial Board (National Cancer Institute)",
    title='Table 4. "Definitions of Comorbidities Included in the HCT-CI" (adapted from Sorror et al.)',
    journal="NCI PDQ Cancer Information Summaries",
    year=2026,
    url="https://www.ncbi.nlm.nih.gov/pubmedhealth/PMH0034032/table/CDR0000700000__108/?report=objectonly",
)
"""``year`` is when the page was read: the PDQ revision date was not recorded (clinical-tables-secondary.md)."""

PMIDCALC_HCTCI: Final = Citation(
    authors="pmidcalc.org",
    title="HCT-CI calculator (Sorror 2005)",
    journal="pmidcalc.org online calculator",
    year=2026,
    url="https://pmidcalc.org/?sid=15994282&newtest=Y",
)
"""An online calculator stating the Sorror 2005 figures it uses; ``year`` is when it was read (its own date not
recorded). A second transcription (an open-source Python HCT-CI module, repository not identified) agrees."""
