"""Reference tables of the synthetic demo cohort: indications, regimens, centres, names, HLA alleles.

Everything here is made up for demonstration and calibrated only loosely against published
aggregate figures (see :mod:`engraft.demo.cohort` for the sources). Nothing describes a
real person, centre or donor.
"""

from __future__ import annotations

from dataclasses import dataclass

from engraft.vocabulary import DiseaseStatus, DonorRelation, TransplantType

AUTO = TransplantType.AUTOLOGOUS
ALLO = TransplantType.ALLOGENEIC
DS = DiseaseStatus

AUTOLOGOUS_SHARE = 0.57
"""EBMT 2022: 57% of first HCTs were autologous (Passweg et al., Bone Marrow Transplant 2024)."""


@dataclass(frozen=True, slots=True)
class Indication:
    """A transplant indication with the parameters the simulation draws from."""

    key: str
    who_name: str
    icd10: str
    transplant_type: TransplantType
    weight: float
    age: tuple[float, float, float, float]  # mean, sd, minimum, maximum (years)
    statuses: tuple[tuple[DiseaseStatus, float], ...]
    relapse: tuple[float, float, float]  # latent cumulative relapse at 1, 2 and 5 years (0 = none)
    post_relapse_months: float  # median survival after relapse
    months_since_diagnosis: tuple[float, float]  # range, months before day 0
    method: str  # how relapse is detected
    group: str  # myeloma, lymphoma, myeloid, lymphoid, non-malignant, solid, autoimmune


def _ind(
    key: str,
    who: str,
    icd: str,
    tt: TransplantType,
    weight: float,
    age: tuple[float, float, float, float],
    statuses: tuple[tuple[DiseaseStatus, float], ...],
    relapse: tuple[float, float, float],
    post: float,
    months: tuple[float, float],
    method: str,
    group: str,
) -> Indication:
    return Indication(key, who, icd, tt, weight, age, statuses, relapse, post, months, method, group)


_CR_PR = ((DS.CR1, 0.35), (DS.PR, 0.65))
_SALVAGE = ((DS.CR2, 0.55), (DS.PR, 0.45))
_AML = ((DS.CR1, 0.68), (DS.CR2, 0.14), (DS.PRIMARY_REFRACTORY, 0.08), (DS.RELAPSE, 0.10))
_NA = ((DS.NOT_APPLICABLE, 1.0),)

INDICATIONS: tuple[Indication, ...] = (
    # autologous (EBMT: ~55% plasma cell disorders, ~35% lymphoma, remainder solid tumours/autoimmune)
    _ind("MM", "Plasma cell myeloma", "C90.0", AUTO, 0.52, (59, 8, 33, 74), _CR_PR,
         (0.13, 0.30, 0.62), 40, (5, 10), "haematological", "myeloma"),
    _ind("DLBCL", "Diffuse large B-cell lymphoma, NOS", "C83.3", AUTO, 0.14, (55, 12, 18, 75), _SALVAGE,
         (0.22, 0.30, 0.36), 10, (12, 40), "radiological", "lymphoma"),
    _ind("HL", "Classic Hodgkin lymphoma", "C81.9", AUTO, 0.08, (33, 11, 16, 68), _SALVAGE,
         (0.18, 0.25, 0.30), 40, (12, 36), "radiological", "lymphoma"),
    _ind("MCL", "Mantle cell lymphoma", "C83.1", AUTO, 0.05, (58, 7, 38, 70), ((DS.CR1, 0.8), (DS.PR, 0.2)),
         (0.07, 0.16, 0.40), 24, (5, 8), "radiological", "lymphoma"),
    _ind("PCNSL", "Primary diffuse large B-cell lymphoma of the CNS", "C83.3", AUTO, 0.04, (58, 9, 25, 72),
         ((DS.CR1, 0.7), (DS.PR, 0.3)), (0.12, 0.18, 0.25), 12, (4, 7), "radiological", "lymphoma"),
    _ind("PTCL", "Peripheral T-cell lymphoma, NOS", "C84.4", AUTO, 0.04, (54, 11, 20, 72),
         ((DS.CR1, 0.75), (DS.PR, 0.25)), (0.25, 0.35, 0.45), 8, (5, 8), "radiological", "lymphoma"),
    _ind("FL", "Follicular lymphoma", "C82.9", AUTO, 0.03, (56, 9, 30, 72), _SALVAGE,
         (0.10, 0.18, 0.35), 48, (24, 90), "radiological", "lymphoma"),
    _ind("AL", "Immunoglobulin light chain (AL) amyloidosis", "E85.8", AUTO, 0.02, (58, 7, 38, 70),
         ((DS.UNTREATED, 0.3), (DS.PR, 0.7)), (0.10, 0.20, 0.45), 36, (4, 10), "haematological", "myeloma"),
    _ind("NBL", "Neuroblastoma", "C74.9", AUTO, 0.025, (4, 2, 1, 12), ((DS.CR1, 0.4), (DS.PR, 0.6)),
         (0.22, 0.38, 0.48), 10, (5, 9), "radiological", "solid"),
    _ind("GCT", "Germ cell tumour of testis", "C62.9", AUTO, 0.015, (32, 9, 18, 55), _SALVAGE,
         (0.25, 0.35, 0.40), 10, (12, 30), "radiological", "solid"),
    _ind("MS", "Relapsing-remitting multiple sclerosis", "G35", AUTO, 0.02, (36, 8, 20, 52), _NA,
         (0.0, 0.0, 0.0), 0, (60, 180), "clinical", "autoimmune"),
    # allogeneic (EBMT: AML ~38%, ALL ~14%, MDS/MPN ~17%, lymphoid ~10%, non-malignant ~12%)
    _ind("AML", "Acute myeloid leukaemia, NOS", "C92.0", ALLO, 0.38, (52, 16, 1, 75), _AML,
         (0.26, 0.35, 0.40), 5, (4, 9), "haematological", "myeloid"),
    _ind("ALL", "B-lymphoblastic leukaemia/lymphoma, NOS", "C91.0", ALLO, 0.14, (30, 17, 1, 70),
         ((DS.CR1, 0.7), (DS.CR2, 0.25), (DS.CR3_OR_LATER, 0.05)), (0.18, 0.25, 0.30), 6, (5, 12),
         "haematological", "lymphoid"),
    _ind("MDS", "Myelodysplastic neoplasm with excess blasts", "D46.2", ALLO, 0.12, (62, 9, 25, 76),
         ((DS.UNTREATED, 0.5), (DS.CR1, 0.3), (DS.STABLE_DISEASE, 0.2)), (0.18, 0.25, 0.30), 6, (4, 14),
         "haematological", "myeloid"),
    _ind("MF", "Primary myelofibrosis", "D47.4", ALLO, 0.05, (58, 7, 35, 72), ((DS.STABLE_DISEASE, 1.0),),
         (0.08, 0.12, 0.18), 15, (12, 60), "molecular", "myeloid"),
    _ind("CML", "Chronic myeloid leukaemia, BCR::ABL1-positive", "C92.1", ALLO, 0.02, (42, 13, 8, 68),
         ((DS.CHRONIC_PHASE, 0.6), (DS.ACCELERATED_PHASE, 0.2), (DS.BLAST_PHASE, 0.2)), (0.08, 0.12, 0.18), 30,
         (12, 60), "molecular", "myeloid"),
    _ind("NHL", "Diffuse large B-cell lymphoma, NOS", "C83.3", ALLO, 0.05, (52, 11, 20, 72), _SALVAGE,
         (0.15, 0.22, 0.28), 12, (24, 60), "radiological", "lymphoid"),
    _ind("HLA", "Classic Hodgkin lymphoma", "C81.9", ALLO, 0.02, (32, 9, 18, 60), _SALVAGE,
         (0.20, 0.30, 0.35), 30, (24, 60), "radiological", "lymphoid"),
    _ind("CLL", "Chronic lymphocytic leukaemia/small lymphocytic lymphoma", "C91.1", ALLO, 0.01,
         (58, 7, 40, 70), ((DS.PR, 0.7), (DS.CR2, 0.3)), (0.12, 0.20, 0.30), 24, (36, 120), "molecular",
         "lymphoid"),
    _ind("MMA", "Plasma cell myeloma", "C90.0", ALLO, 0.02, (52, 8, 35, 66), ((DS.PR, 0.6), (DS.CR2, 0.4)),
         (0.30, 0.45, 0.60), 18, (24, 72), "haematological", "myeloma"),
    _ind("SAA", "Acquired aplastic anaemia, severe", "D61.3", ALLO, 0.05, (20, 14, 2, 60), _NA,
         (0.0, 0.0, 0.0), 0, (1, 8), "haematological", "non-malignant"),
    _ind("THAL", "Beta thalassaemia major", "D56.1", ALLO, 0.03, (7, 4, 1, 18), _NA,
         (0.0, 0.0, 0.0), 0, (48, 120), "haematological", "non-malignant"),
    _ind("SCD", "Sickle cell disease (HbSS)", "D57.1", ALLO, 0.02, (11, 5, 2, 30), _NA,
         (0.0, 0.0, 0.0), 0, (60, 180), "haematological", "non-malignant"),
    _ind("SCID", "Severe combined immunodeficiency", "D81.9", ALLO, 0.01, (0.6, 0.3, 0.2, 2.0), _NA,
         (0.0, 0.0, 0.0), 0, (1, 4), "clinical", "non-malignant"),
)  # fmt: skip

Agent = tuple[str, float, str]  # drug, total dose, UCUM dose unit (checked by the registry schema)


@dataclass(frozen=True, slots=True)
class Regimen:
    name: str
    intensity: str  # "MAC", "RIC" or "auto"
    agents: tuple[Agent, ...]
    tbi: tuple[float, int] | None = None
    busulfan: bool = False


_FLU150: Agent = ("fludarabine", 150.0, "mg/m2")
_FLU160: Agent = ("fludarabine", 160.0, "mg/m2")
_BU_MAC: Agent = ("busulfan", 12.8, "mg/kg")
_CY120: Agent = ("cyclophosphamide", 120.0, "mg/kg")
_CY50: Agent = ("cyclophosphamide", 50.0, "mg/kg")


def _atg(dose: float) -> Agent:
    return ("anti-thymocyte globulin (rabbit)", dose, "mg/kg")


REGIMENS: dict[str, Regimen] = {
    r.name: r
    for r in (
        Regimen("MEL200", "auto", (("melphalan", 200.0, "mg/m2"),)),
        Regimen("MEL140", "auto", (("melphalan", 140.0, "mg/m2"),)),
        Regimen(
            "BEAM",
            "auto",
            (
                ("carmustine", 300.0, "mg/m2"),
                ("etoposide", 800.0, "mg/m2"),
                ("cytarabine", 1600.0, "mg/m2"),
                ("melphalan", 140.0, "mg/m2"),
            ),
        ),
        Regimen("TT-BCNU", "auto", (("thiotepa", 10.0, "mg/kg"), ("carmustine", 400.0, "mg/m2"))),
        Regimen("BuMel", "auto", (("busulfan", 12.8, "mg/kg"), ("melphalan", 140.0, "mg/m2")), busulfan=True),
        Regimen("CE", "auto", (("carboplatin", 2100.0, "mg/m2"), ("etoposide", 2250.0, "mg/m2"))),
        Regimen("Cy-ATG", "auto", (("cyclophosphamide", 200.0, "mg/kg"), _atg(6.0))),
        Regimen("BuCy", "MAC", (_BU_MAC, ("cyclophosphamide", 120.0, "mg/kg")), busulfan=True),
        Regimen("FluBu4", "MAC", (_FLU160, _BU_MAC), busulfan=True),
        Regimen("CyTBI", "MAC", (("cyclophosphamide", 120.0, "mg/kg"),), tbi=(12.0, 6)),
        Regimen("VP16-TBI", "MAC", (("etoposide", 60.0, "mg/kg"),), tbi=(12.0, 6)),
        Regimen("TBF", "MAC", (("thiotepa", 10.0, "mg/kg"), ("busulfan", 9.6, "mg/kg"), _FLU150), busulfan=True),
        Regimen("TreoFluTT", "MAC", (("treosulfan", 42.0, "g/m2"), _FLU160, ("thiotepa", 10.0, "mg/kg"))),
        Regimen("FluCyTBI13.2", "MAC", (("fludarabine", 75.0, "mg/m2"), _CY120), tbi=(13.2, 8)),
        Regimen("FluMel", "RIC", (_FLU150, ("melphalan", 140.0, "mg/m2"))),
        Regimen("FluBu2", "RIC", (_FLU160, ("busulfan", 6.4, "mg/kg")), busulfan=True),
        Regimen("FluTreo", "RIC", (_FLU150, ("treosulfan", 30.0, "g/m2"))),
        Regimen("FluTBI2", "RIC", (("fludarabine", 90.0, "mg/m2"),), tbi=(2.0, 1)),
        Regimen("FluCyTBI2", "RIC", (_FLU150, ("cyclophosphamide", 29.0, "mg/kg")), tbi=(2.0, 1)),
        Regimen("FluCyTBI2-cord", "RIC", (("fludarabine", 200.0, "mg/m2"), _CY50), tbi=(2.0, 1)),
        Regimen(
            "FluCyATG",
            "RIC",
            (("fludarabine", 120.0, "mg/m2"), ("cyclophosphamide", 120.0, "mg/kg"), _atg(7.5)),
        ),
    )
}  # fmt: skip

DONOR_TYPES: tuple[tuple[DonorRelation, float], ...] = (
    (DonorRelation.MATCHED_SIBLING, 0.25),
    (DonorRelation.MATCHED_UNRELATED, 0.45),
    (DonorRelation.MISMATCHED_UNRELATED, 0.08),
    (DonorRelation.HAPLOIDENTICAL, 0.17),
    (DonorRelation.CORD_BLOOD_UNIT, 0.05),
)
"""Allogeneic donor types (EBMT 2022 / CIBMTR 2023 summary slides, rounded)."""


@dataclass(frozen=True, slots=True)
class DemoCentre:
    code: str
    name: str
    country: str
    si_units: bool  # bilirubin and creatinine sent in umol/L (14631-6, 14682-9) rather than mg/dL
    mrn_prefix: str
    weight: float


CENTRES: tuple[DemoCentre, ...] = (
    DemoCentre("DEMO-NBH", "Northbridge University Hospital (synthetic)", "GB", True, "NB", 0.42),
    DemoCentre("DEMO-RKL", "Rheinklinikum Lindenau (synthetic)", "DE", False, "RK", 0.33),
    DemoCentre("DEMO-HVZ", "Havenziekenhuis Zuid (synthetic)", "NL", True, "HZ", 0.25),
    DemoCentre("DEMO-SFM", "Saint Fiacre Medical Centre (synthetic)", "US", False, "SF", 0.30),
    DemoCentre("DEMO-OSL", "Osterlund Hospital (synthetic)", "SE", True, "OL", 0.22),
    DemoCentre("DEMO-VAL", "Hospital del Valle Alto (synthetic)", "ES", False, "VA", 0.28),
    DemoCentre("DEMO-PRL", "Parkland Lakes Cancer Centre (synthetic)", "CA", True, "PL", 0.20),
    DemoCentre("DEMO-KRV", "Karavanke Clinical Centre (synthetic)", "SI", True, "KV", 0.18),
)

GIVEN_MALE = (
    "Adam", "Ahmed", "Aleksander", "Andrea", "Ben", "Carlos", "Daniel", "David", "Emil", "Farid", "Felix",
    "George", "Hamza", "Ivan", "Jakub", "James", "Jan", "Jonas", "Kenji", "Liam", "Luca", "Mateo", "Milan",
    "Noah", "Omar", "Pavel", "Pieter", "Rafael", "Samuel", "Thomas", "Tomas", "Yusuf",
)  # fmt: skip
GIVEN_FEMALE = (
    "Aisha", "Alice", "Amara", "Anna", "Beatriz", "Carla", "Chloe", "Elena", "Emma", "Eva", "Fatima",
    "Greta", "Hana", "Ines", "Julia", "Katarzyna", "Leila", "Lena", "Lucia", "Maja", "Maria", "Mei", "Nadia",
    "Olivia", "Priya", "Rosa", "Sara", "Sofia", "Sunita", "Yasmin", "Zofia", "Zoe",
)  # fmt: skip
FAMILY = (
    "Abbott", "Achterberg", "Alvarez", "Bakker", "Becker", "Bianchi", "Brennan", "Chowdhury", "Costa", "Dubois",
    "Eriksen", "Fischer", "Garcia", "Haddad", "Hansen", "Horvat", "Ivanova", "Jansen", "Kaur", "Kowalski",
    "Lindqvist", "Lopez", "Martin", "Mensah", "Moreau", "Murphy", "Nakamura", "Nowak", "Okafor", "Olsen",
    "Patel", "Petrov", "Quinn", "Rossi", "Schmidt", "Silva", "Novak", "Tanaka", "Van Dijk", "Weber",
    "Wilson", "Yilmaz", "Zielinski",
)  # fmt: skip

HLA_ALLELES: dict[str, tuple[str, ...]] = {
    "A": ("01:01", "02:01", "02:01", "02:01", "03:01", "11:01", "24:02", "26:01", "29:02", "31:01", "32:01", "68:01"),
    "B": ("07:02", "08:01", "08:01", "15:01", "18:01", "27:05", "35:01", "40:01", "44:02", "44:03", "51:01", "57:01"),
    "C": ("01:02", "03:03", "03:04", "04:01", "05:01", "06:02", "07:01", "07:01", "07:02", "12:03", "16:01"),
    "DRB1": ("01:01", "03:01", "04:01", "07:01", "11:01", "13:01", "13:02", "15:01", "15:01", "16:01"),
    "DQB1": ("02:01", "02:02", "03:01", "03:01", "03:02", "03:03", "04:02", "05:01", "06:02", "06:03"),
    "DPB1": ("01:01", "02:01", "03:01", "04:01", "04:01", "04:02", "05:01", "13:01"),
}
"""Common European alleles (repeats weight the commonest); typings are drawn locus by locus."""

BACTERAEMIA_ORGANISMS: tuple[tuple[str, float], ...] = (
    ("Staphylococcus epidermidis", 0.28),
    ("Escherichia coli", 0.22),
    ("Klebsiella pneumoniae", 0.12),
    ("Enterococcus faecium", 0.10),
    ("viridans group streptococci", 0.12),
    ("Pseudomonas aeruginosa", 0.08),
    ("Staphylococcus aureus", 0.05),
    ("Stenotrophomonas maltophilia", 0.03),
)
RESPIRATORY_VIRUSES = (
    "respiratory syncytial virus",
    "influenza A virus",
    "parainfluenza virus 3",
    "human metapneumovirus",
)
