"""The registry's CSV files and their columns: one declaration drives export, import and the data dictionary.

Keys are file-local or natural: patients are referred to by ``registry_id``, donors by
``donor_code``, centres by ``code``, transplant episodes by (``registry_id``, episode sequence
number) and diagnoses by ``diagnosis_key``, a label that only links ``episodes.csv`` to
``diagnoses.csv`` of the same import. Database ids never appear in the files.
"""

from __future__ import annotations

from engraft.io.csv_details import DETAIL_COLUMNS
from engraft.io.csv_spec import Column, CsvFile, values
from engraft.registry.schemas.episode import DOSE_UNITS, TNC_UNITS
from engraft.vocabulary import (
    AboGroup,
    CellTherapy,
    ConditioningDrug,
    DiseaseStatus,
    DonorEligibility,
    DonorRelation,
    EventSource,
    EventType,
    GraftSource,
    MarkerResult,
    MarkerTest,
    ObservationSource,
    PerformanceScale,
    RhD,
    Serostatus,
    Sex,
    TransplantType,
    VitalStatus,
)


def _registry_id(meaning: str) -> Column:
    return Column(
        "registry_id", "text", meaning, True, allowed="`^[A-Z0-9][A-Z0-9-]{2,31}$`", item="CIBMTR CRID / EBMT UIC"
    )


def _episode_ref(required: bool) -> Column:
    return Column(
        "episode_sequence",
        "integer",
        "sequence_number of the patient's transplant episode this row belongs to"
        + ("" if required else "; empty when not tied to an episode"),
        required,
        allowed=">= 1",
    )


IDENTITY_COLUMNS = ("given_name", "family_name", "mrn")

CENTRES = CsvFile(
    "centres.csv",
    "Transplant centres. Key: `code`. A centre already in the database with the same name and country is reused.",
    (
        Column(
            "code",
            "text",
            "centre code (key)",
            True,
            allowed="`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`, max 64",
            item="CIBMTR CCN / EBMT CIC",
        ),
        Column("name", "text", "centre name", True, allowed="1-200 characters"),
        Column("country", "code", "country of the centre", True, allowed="ISO 3166-1 alpha-2, e.g. `GB`"),
    ),
)

PATIENTS = CsvFile(
    "patients.csv",
    "Transplant recipients (pseudonymous). Key: `registry_id`. The identifying columns `given_name`, "
    "`family_name` and `mrn` are written only by an export with identity; on import they are optional "
    "(all three or none).",
    (
        _registry_id("pseudonymous registry id of the patient (key)"),
        Column(
            "centre",
            "text",
            "code of the reporting centre (centres.csv or already registered)",
            True,
            item="Form 2400 CCN / MED-A CIC",
        ),
        Column("sex", "code", "recipient sex", True, allowed=values(Sex), item="Form 2400 recipient sex; MED-A sex"),
        Column("birth_date", "date", "date of birth", True, item="Form 2400 date of birth; MED-A date of birth"),
        Column("abo", "code", "ABO blood group", allowed=values(AboGroup), item="Form 2400 blood type; MED-A"),
        Column("rh", "code", "RhD factor", allowed=values(RhD), item="Form 2400 Rh factor; MED-A"),
        Column(
            "cmv_serostatus",
            "code",
            "recipient CMV antibody status (empty: `unknown`)",
            allowed=values(Serostatus),
            item="Form 2400 recipient CMV antibodies; MED-A CMV status",
        ),
        Column(
            "height_cm",
            "decimal",
            "height",
            unit="cm",
            allowed="> 0 and < 260",
            item="Form 2400 height at initiation of preparative regimen",
        ),
        Column(
            "weight_kg",
            "decimal",
            "actual weight",
            unit="kg",
            allowed="> 0 and < 400",
            item="Form 2400 weight at initiation of preparative regimen",
        ),
        Column(
            "hla_gl_string",
            "text",
            "recipient HLA typing as a GL String (validated against the configured IMGT/HLA release)",
            allowed="GL String starting `HLA-`",
            item="Form 2005 recipient HLA typing",
        ),
        Column("given_name", "text", "given name (identifying; only with identity)", allowed="1-200 characters"),
        Column("family_name", "text", "family name (identifying; only with identity)", allowed="1-200 characters"),
        Column(
            "mrn",
            "text",
            "medical record number at the centre (identifying; only with identity)",
            allowed="1-64 characters, unique per centre",
        ),
    ),
)

DIAGNOSES = CsvFile(
    "diagnoses.csv",
    "Diseases of a patient. Key: `diagnosis_key`, a file-local label (the export writes 1, 2, 3...) used "
    "only by `episodes.csv` of the same import.",
    (
        Column("diagnosis_key", "text", "file-local key of the diagnosis", True, allowed="unique in the file"),
        _registry_id("patient with the disease"),
        Column(
            "who_name",
            "text",
            "disease name in the WHO classification",
            True,
            allowed="2-300 characters",
            item="Form 2400 primary disease for HCT; MED-A main disease",
        ),
        Column("icd10", "code", "ICD-10 code of the disease", True, allowed="`^[A-TV-Z][0-9]{2}(\\.[0-9A-Z]{1,4})?$`"),
        Column(
            "diagnosis_date",
            "date",
            "date of diagnosis",
            True,
            item="Form 2400 date of diagnosis; MED-A date of diagnosis",
        ),
        Column(
            "status_at_transplant",
            "code",
            "disease status at transplant",
            allowed=values(DiseaseStatus),
            item="Form 2402 disease status at HCT; MED-A status at HSCT",
        ),
    ),
)

DONORS = CsvFile(
    "donors.csv",
    "Donors and cord blood units (autologous 'donors' included). Key: `donor_code`.",
    (
        Column(
            "donor_code",
            "text",
            "donor or cord blood unit code (key)",
            True,
            allowed="`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`, max 64",
            item="Form 2400 NMDP/registry donor ID",
        ),
        Column(
            "relation",
            "code",
            "donor type and relation to the recipient",
            True,
            allowed=values(DonorRelation),
            item="Form 2400 donor type; MED-A donor type",
        ),
        Column("age_years", "integer", "donor age at donation", unit="a", allowed="0-99", item="Form 2400 donor age"),
        Column("sex", "code", "donor sex", allowed=values(Sex), item="Form 2400 donor sex; MED-A donor sex"),
        Column("abo", "code", "donor ABO blood group", allowed=values(AboGroup), item="Form 2400 donor blood type"),
        Column("rh", "code", "donor RhD factor", allowed=values(RhD), item="Form 2400 donor Rh factor"),
        Column(
            "cmv_serostatus",
            "code",
            "donor CMV antibody status (empty: `unknown`)",
            allowed=values(Serostatus),
            item="Form 2400 donor CMV antibodies; MED-A donor CMV",
        ),
        Column("hla_gl_string", "text", "HLA typing as a GL String", allowed="GL String starting `HLA-`"),
        Column(
            "eligibility", "code", "donor eligibility decision (empty: `pending`)", allowed=values(DonorEligibility)
        ),
        Column("consent_date", "date", "date the donor consented"),
    ),
)

DONOR_MARKERS = CsvFile(
    "donor_markers.csv",
    "Infectious-disease marker results of donors (21 CFR 1271.85 / FACT-JACIE panel), in file order per donor. "
    "Imported together with their donor from donors.csv.",
    (
        Column("donor_code", "text", "donor (donors.csv)", True),
        Column("test", "code", "marker test", True, allowed=values(MarkerTest)),
        Column("result", "code", "test result", True, allowed=values(MarkerResult)),
        Column("result_date", "date", "date of the result", True),
    ),
)

EPISODES = CsvFile(
    "episodes.csv",
    "Transplant episodes (one per HCT). Key: (`registry_id`, `sequence_number`). Conditioning agents and donors "
    "are in conditioning.csv and episode_donors.csv and are imported with their episode.",
    (
        _registry_id("transplanted patient"),
        Column(
            "sequence_number",
            "integer",
            "1 for the first transplant of the patient, 2 for the second...",
            True,
            allowed=">= 1",
            item="Form 2400 HCT number / MED-A number of this HSCT",
        ),
        Column("diagnosis_key", "text", "diagnosis (diagnoses.csv of the same import) treated by this HCT"),
        Column("centre", "text", "code of the transplant centre", True),
        Column(
            "transplant_type",
            "code",
            "autologous or allogeneic",
            True,
            allowed=values(TransplantType),
            item="Form 2400 type of HCT; MED-A type of HSCT",
        ),
        Column(
            "graft_source",
            "code",
            "stem cell source",
            True,
            allowed=values(GraftSource),
            item="Form 2400 product type; MED-A source of stem cells",
        ),
        Column(
            "cell_therapy",
            "code",
            "what day 0 infused: a haematopoietic cell transplant (when empty) or immune effector cells (CAR-T, day 0 "
            "the infusion day)",
            allowed=values(CellTherapy),
        ),
        Column("day0", "date", "date of infusion (day 0)", True, item="Form 2400 date of infusion; MED-A date of HSCT"),
        Column(
            "tbi_dose_gy",
            "decimal",
            "total body irradiation total dose",
            unit="Gy",
            allowed="0-20",
            item="Form 2400 TBI total dose",
        ),
        Column(
            "tbi_fractions",
            "integer",
            "number of TBI fractions (needs tbi_dose_gy)",
            allowed="1-20",
            item="Form 2400 TBI fractions",
        ),
        Column(
            "gvhd_prophylaxis",
            "JSON array",
            'GVHD prophylaxis agents as a JSON array of names, e.g. `["tacrolimus","methotrexate"]`; empty cell = none',
            allowed="up to 8 names",
            item="Form 2400 GVHD prophylaxis; MED-A",
        ),
        Column(
            "cd34_per_kg",
            "decimal",
            "CD34+ cells infused per kg recipient weight",
            unit="10*6/kg",
            allowed=">= 0 and < 100",
            item="Form 2006 (HCT infusion) CD34+ cell dose",
        ),
        Column(
            "tnc_per_kg",
            "decimal",
            "total nucleated cells per kg recipient weight, in tnc_unit",
            unit="see tnc_unit",
            allowed=">= 0 and < 1000; with tnc_unit",
        ),
        Column("tnc_unit", "code", "unit of tnc_per_kg", allowed=", ".join(f"`{u.value}`" for u in TNC_UNITS)),
        Column("viability_pct", "decimal", "viability of the product", unit="%", allowed="0-100"),
    ),
)

CONDITIONING = CsvFile(
    "conditioning.csv",
    "Drugs of each episode's preparative regimen.",
    (
        _registry_id("patient of the episode"),
        _episode_ref(True),
        Column(
            "position",
            "integer",
            "order of the drug in the regimen (1-based, unique per episode)",
            True,
            allowed=">= 1",
        ),
        Column(
            "drug",
            "code",
            "generic drug name",
            True,
            allowed=values(ConditioningDrug),
            item="Form 2400 preparative regimen drugs; MED-A conditioning",
        ),
        Column(
            "total_dose",
            "decimal",
            "total dose over the whole regimen",
            True,
            unit="see unit",
            allowed="> 0",
            item="Form 2400 total prescribed dose",
        ),
        Column("unit", "code", "UCUM unit of total_dose", True, allowed=", ".join(f"`{u.value}`" for u in DOSE_UNITS)),
    ),
)

EPISODE_DONORS = CsvFile(
    "episode_donors.csv",
    "Donor(s) of each episode, in order (two rows for a double cord blood transplant).",
    (
        _registry_id("patient of the episode"),
        _episode_ref(True),
        Column("position", "integer", "order of the donor (1-based, unique per episode)", True, allowed=">= 1"),
        Column(
            "donor_code",
            "text",
            "donor (donors.csv or already registered)",
            True,
            item="Form 2400 donor ID; MED-A donor",
        ),
    ),
)


EVENTS = CsvFile(
    "events.csv",
    "Dated clinical events. Type-specific fields are flattened into `details.<field>` columns: fill only the "
    "columns of the row's event type (others empty); an empty column takes the field's default.",
    (
        _registry_id("patient"),
        _episode_ref(False),
        Column(
            "event_type",
            "code",
            "kind of event",
            True,
            allowed=values(EventType),
            item="Form 2450 engraftment, GVHD, infection, relapse, death; MED-A day 100 / follow-up",
        ),
        Column("event_date", "date", "date of onset / diagnosis of the event", True, item="Form 2450 dates of onset"),
        Column("source", "code", "how the event was recorded (empty: `manual`)", allowed=values(EventSource)),
        *DETAIL_COLUMNS,
    ),
)

FOLLOW_UPS = CsvFile(
    "follow_ups.csv",
    "Follow-up contacts.",
    (
        _registry_id("patient"),
        _episode_ref(False),
        Column("visit_date", "date", "date of the contact", True, item="Form 2450 date of last contact; MED-A"),
        Column(
            "vital_status",
            "code",
            "vital status on that date",
            True,
            allowed=values(VitalStatus),
            item="Form 2450 survival status; MED-A survival status",
        ),
        Column(
            "performance_scale",
            "code",
            "performance scale (with performance_score)",
            allowed=values(PerformanceScale),
            item="Form 2400/2450 performance score scale",
        ),
        Column(
            "performance_score",
            "integer",
            "Karnofsky or Lansky score (with performance_scale)",
            unit="%",
            allowed="0-100 in steps of 10",
            item="Form 2400/2450 performance score",
        ),
        Column(
            "disease_status",
            "code",
            "disease status on that date",
            allowed=values(DiseaseStatus),
            item="Form 2450 disease status; MED-A disease status",
        ),
    ),
)

OBSERVATIONS = CsvFile(
    "observations.csv",
    "Lab values and vital signs (LOINC code + value in a UCUM unit; see the catalogue below). Key: "
    "`source_system` + `source_id`; re-importing a row with the same key and content changes nothing.",
    (
        _registry_id("patient"),
        _episode_ref(False),
        Column(
            "observed_at",
            "timestamp",
            "time of specimen collection / measurement",
            True,
            allowed="ISO 8601 with offset, e.g. `2024-05-02T08:00:00Z`",
        ),
        Column(
            "loinc",
            "code",
            "LOINC code",
            True,
            allowed="a code of the observation catalogue",
            item="CIBMTR Reporting IG lab value sets",
        ),
        Column(
            "value",
            "decimal",
            "result value, in `unit`",
            True,
            unit="see unit",
            allowed="finite; within the plausible range after conversion",
        ),
        Column("unit", "code", "UCUM code of value", True, allowed="an accepted unit of the LOINC code"),
        Column("source", "code", "where the result came from (empty: `lab feed`)", allowed=values(ObservationSource)),
        Column(
            "source_system",
            "text",
            "identifier system of the sending source, e.g. the laboratory system's URI (empty: not stated)",
            allowed="0-128 characters",
        ),
        Column(
            "source_id",
            "text",
            "id of the result at its source (key with source_system; idempotent re-import)",
            True,
            allowed="1-128 characters, unique within source_system",
        ),
    ),
)

FILES: tuple[CsvFile, ...] = (
    CENTRES,
    PATIENTS,
    DIAGNOSES,
    DONORS,
    DONOR_MARKERS,
    EPISODES,
    CONDITIONING,
    EPISODE_DONORS,
    EVENTS,
    FOLLOW_UPS,
    OBSERVATIONS,
)

__all__ = [
    "CENTRES",
    "CONDITIONING",
    "DETAIL_COLUMNS",
    "DIAGNOSES",
    "DONORS",
    "DONOR_MARKERS",
    "EPISODES",
    "EPISODE_DONORS",
    "EVENTS",
    "FILES",
    "FOLLOW_UPS",
    "IDENTITY_COLUMNS",
    "OBSERVATIONS",
    "PATIENTS",
    "Column",
    "CsvFile",
]
