"""Clinical vocabularies: the coded values shared by the core, the registry, the API, CSV and the web.

Values follow the CIBMTR Pre-TED (Form 2400) / Post-TED (Form 2450) and EBMT MED-A items:
recipient sex, ABO/Rh, CMV serostatus, donor relation, graft source, disease status at
transplant, follow-up vital status and the clinical events a transplant registry records.
"""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class AboGroup(StrEnum):
    A = "A"
    B = "B"
    AB = "AB"
    O = "O"  # noqa: E741


class RhD(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


class Serostatus(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    EQUIVOCAL = "equivocal"
    UNKNOWN = "unknown"


class DiseaseStatus(StrEnum):
    """Disease status at transplant or at follow-up (Form 2402 / EBMT MED-A wording, condensed).

    Chronic myeloid leukaemia in chronic phase is recorded with its number (first, or second or
    later); ``CHRONIC_PHASE`` remains for records that do not say which, and instruments that need the
    number (the EBMT score) say so instead of guessing.
    """

    CR1 = "CR1"
    CR2 = "CR2"
    CR3_OR_LATER = "CR3+"
    PR = "PR"
    STABLE_DISEASE = "stable disease"
    RELAPSE = "relapse"
    PRIMARY_REFRACTORY = "primary refractory"
    UNTREATED = "untreated"
    CHRONIC_PHASE = "chronic phase"
    CHRONIC_PHASE_1 = "chronic phase 1"
    CHRONIC_PHASE_2_OR_LATER = "chronic phase 2+"
    ACCELERATED_PHASE = "accelerated phase"
    BLAST_PHASE = "blast phase"
    NOT_APPLICABLE = "not applicable"


class DonorRelation(StrEnum):
    AUTOLOGOUS = "autologous"
    MATCHED_SIBLING = "matched sibling"
    HAPLOIDENTICAL = "haploidentical"
    OTHER_RELATED = "other related"
    MATCHED_UNRELATED = "matched unrelated"
    MISMATCHED_UNRELATED = "mismatched unrelated"
    CORD_BLOOD_UNIT = "cord blood unit"


class DonorKind(StrEnum):
    """What an unrelated-donor registry lists: an adult volunteer donor or a banked cord blood unit.

    The donor type of an unrelated-donor search (WMDA; Atlas DonorType Adult/Cord, D/C in its donor
    files): it decides which ranking applies (adult donors by HLA, age, DPB1, CMV, sex and ABO; cord
    units by HLA and cell dose). It is not DonorRelation, which says how the donor of a transplant is
    related to and matched with the recipient.
    """

    ADULT = "adult"
    CORD = "cord"


class DonorEligibility(StrEnum):
    """Donor eligibility decision (21 CFR 1271 wording for the urgent-need exception)."""

    PENDING = "pending"
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not eligible"
    URGENT_MEDICAL_NEED = "eligible with documented urgent medical need"
    NOT_REQUIRED = "determination not required (autologous use)"


class MarkerTest(StrEnum):
    """Donor infectious-disease markers (FDA 21 CFR 1271.85 / FACT-JACIE panel)."""

    HIV_1_2_ANTIBODY = "HIV-1/2 antibody"
    HIV_1_NAT = "HIV-1 NAT"
    HBSAG = "HBsAg"
    ANTI_HBC = "anti-HBc"
    HBV_NAT = "HBV NAT"
    HCV_ANTIBODY = "HCV antibody"
    HCV_NAT = "HCV NAT"
    HTLV_I_II_ANTIBODY = "HTLV-I/II antibody"
    SYPHILIS = "syphilis"
    CMV_ANTIBODY = "CMV antibody"
    WNV_NAT = "WNV NAT"
    TRYPANOSOMA_CRUZI = "Trypanosoma cruzi"


class MarkerResult(StrEnum):
    REACTIVE = "reactive"
    NON_REACTIVE = "non-reactive"
    INDETERMINATE = "indeterminate"


class TransplantType(StrEnum):
    AUTOLOGOUS = "autologous"
    ALLOGENEIC = "allogeneic"


class CellTherapy(StrEnum):
    """What an episode's day 0 infuses: a haematopoietic cell transplant, or immune effector cells (e.g. CAR-T).

    For immune effector cells day 0 is the infusion day; :class:`TransplantType` still says whose cells they are
    (autologous or allogeneic CAR-T) and :class:`GraftSource` where they were collected. Monitoring rules use it
    to apply to one or the other (the ASTCT CRS and ICANS definitions are for immune effector cells).
    """

    HAEMATOPOIETIC_CELL_TRANSPLANT = "haematopoietic cell transplant"
    IMMUNE_EFFECTOR_CELLS = "immune effector cell therapy"


class GraftSource(StrEnum):
    BONE_MARROW = "bone marrow"
    PERIPHERAL_BLOOD = "peripheral blood"
    CORD_BLOOD = "cord blood"


class ConditioningDrug(StrEnum):
    """Drugs of a preparative (conditioning) regimen, by generic name.

    Anti-thymocyte globulin is recorded by species: rabbit and horse preparations are dosed on
    different scales.
    """

    BUSULFAN = "busulfan"
    MELPHALAN = "melphalan"
    THIOTEPA = "thiotepa"
    TREOSULFAN = "treosulfan"
    CYCLOPHOSPHAMIDE = "cyclophosphamide"
    FLUDARABINE = "fludarabine"
    CLOFARABINE = "clofarabine"
    CARMUSTINE = "carmustine"
    ETOPOSIDE = "etoposide"
    CYTARABINE = "cytarabine"
    CLADRIBINE = "cladribine"
    CARBOPLATIN = "carboplatin"
    BENDAMUSTINE = "bendamustine"
    ANTI_THYMOCYTE_GLOBULIN_RABBIT = "anti-thymocyte globulin (rabbit)"
    ANTI_THYMOCYTE_GLOBULIN_HORSE = "anti-thymocyte globulin (horse)"
    ALEMTUZUMAB = "alemtuzumab"


class ConditioningIntensity(StrEnum):
    """Intensity of an allogeneic preparative regimen (CIBMTR / EBMT classes)."""

    MAC = "myeloablative"
    RIC = "reduced intensity"
    NMA = "non-myeloablative"


class DrugRoute(StrEnum):
    """Route of a conditioning drug where it changes the dose threshold (busulfan IV = 0.8 x oral)."""

    ORAL = "oral"
    IV = "iv"


class ObservationSource(StrEnum):
    MANUAL = "manual"
    LAB_FEED = "lab feed"
    DEVICE = "device"


class TransfusionProduct(StrEnum):
    """The blood products whose transfusion days the engraftment and graft-function rules read."""

    PLATELETS = "platelets"
    RED_CELLS = "red cells"


class InboundProtocol(StrEnum):
    """How a message of results reached the registry (its control id is unique per protocol and sender)."""

    HL7V2 = "hl7v2"
    FHIR = "fhir"


class EventSource(StrEnum):
    MANUAL = "manual"
    DERIVED = "derived"
    REGISTRY_IMPORT = "registry import"


class EventType(StrEnum):
    NEUTROPHIL_ENGRAFTMENT = "neutrophil engraftment"
    PLATELET_ENGRAFTMENT = "platelet engraftment"
    ACUTE_GVHD = "acute GVHD"
    CHRONIC_GVHD = "chronic GVHD"
    INFECTION = "infection"
    SOS_VOD = "SOS/VOD"
    CRS = "CRS"
    ICANS = "ICANS"
    GRAFT_FAILURE = "graft failure"
    RELAPSE = "relapse"
    PROGRESSION = "progression"
    SECOND_MALIGNANCY = "second malignancy"
    DEATH = "death"


POST_INFUSION_EVENTS: frozenset[EventType] = frozenset(
    {
        EventType.NEUTROPHIL_ENGRAFTMENT,
        EventType.PLATELET_ENGRAFTMENT,
        EventType.ACUTE_GVHD,
        EventType.CHRONIC_GVHD,
        EventType.GRAFT_FAILURE,
        EventType.CRS,
        EventType.ICANS,
    }
)
"""Events that cannot precede day 0 of their episode (they concern the infused graft)."""


class VitalStatus(StrEnum):
    ALIVE = "alive"
    DEAD = "dead"


class PerformanceScale(StrEnum):
    KARNOFSKY = "karnofsky"
    LANSKY = "lansky"
