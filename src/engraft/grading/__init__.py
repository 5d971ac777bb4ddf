"""Complication grading and clinical definitions: pure, typed rules with provenance.

Each rule takes typed inputs and returns a result that names its value, the inputs or observations it
rests on, and the rule applied (:class:`~engraft.grading.rule.GradingRule`: citations and verification
level). Built so far: the acute GVHD overall grade from organ stages (MAGIC) and the neutrophil and
platelet engraftment day (CIBMTR). Acute GVHD organ stages from findings (MAGIC: rash extent, bilirubin in
mg/dL or umol/L, upper GI, stool output or episodes with the > 50 kg adult cut-off) and the chronic GVHD
global severity (NIH 2014) from eight attributed organ scores, with organ scores computed from findings
(skin, FEV1 lung score, liver; their bands unverified, labelled so) or recorded as form levels.

CAR-T and other immune effector cells (ASTCT consensus, Lee 2019): the CRS grade from temperature (with
its unit), hypotension and oxygen delivery (``crs.py``), the ICE score from its ten items
(``ice_score.py``) and the ICANS grade (``icans.py``; its paediatric CAPD path is unverified).
SOS/VOD: diagnosis by a named criteria set, modified Seattle, Baltimore, EBMT 2016 adult (classical and
late onset) and EBMT 2018 paediatric (``sos_vod_diagnosis.py``, findings with units in
``sos_vod_findings.py``), the EBMT 2016 adult severity grade (``sos_vod_severity.py``) and the EBMT 2018
paediatric severity grade (``sos_vod_paediatric_severity.py``; read in a reproduction, its disputed cells
labelled unverified).

Time-series definitions for monitoring (issue 11, points 5 and 6), each robust to out-of-order, duplicate
and same-day arrivals: engraftment on count series with gaps, repeats and transfusions
(``engraftment.py``, ``counts.py``); primary and secondary graft failure by the ASTCT 2021 definitions and
an operational, unverified poor-graft-function reading (``graft_failure.py``); febrile neutropenia from
timestamped temperatures in Cel or [degF] and ANCs (IDSA 2010, ``febrile_neutropenia.py``); CMV/EBV
DNAemia against centre thresholds, IU and copies never compared (``viral_load.py``); and organ-toxicity
signals against a baseline - creatinine doubling, bilirubin rise, weight gain (``organ_toxicity.py``).
Timestamped readings share :class:`~engraft.grading.timed.Reading`.
"""

from engraft.grading.acute_gvhd import (
    AcuteGvhdGrade,
    AcuteGvhdOrgan,
    OrganStages,
    grade_acute_gvhd,
)
from engraft.grading.acute_gvhd_staging import (
    AcuteGvhdFindings,
    AcuteGvhdStaging,
    LiverFindings,
    LowerGiFindings,
    OrganStageResult,
    SkinFindings,
    UpperGiFindings,
    stage_acute_gvhd,
    stage_liver,
    stage_lower_gi,
    stage_skin,
    stage_upper_gi,
)
from engraft.grading.chronic_gvhd import (
    Attribution,
    ChronicGvhdGlobalSeverity,
    ChronicGvhdOrgan,
    ChronicGvhdOrganScore,
    ChronicGvhdOrganScores,
    OrganScale,
    chronic_gvhd_global_severity,
)
from engraft.grading.chronic_gvhd_organs import (
    SkinSclerosis,
    liver_score,
    lung_fev1_score,
    recorded_organ_score,
    skin_score,
)
from engraft.grading.counts import ACCEPTED_COUNT_UNITS, COUNT_UNIT, CountMeasurement, CountSeries
from engraft.grading.crs import (
    ASTCT_CRS_RULE,
    CrsDomain,
    CrsFindings,
    CrsGrade,
    OxygenDelivery,
    grade_crs,
)
from engraft.grading.engraftment import (
    ANC_THRESHOLD,
    PLATELET_THRESHOLD,
    PLATELET_TRANSFUSION_FREE_DAYS,
    EngraftmentResult,
    EngraftmentStatus,
    Lineage,
    neutrophil_engraftment,
    platelet_engraftment,
)
from engraft.grading.findings import Finding
from engraft.grading.icans import (
    ASTCT_ICANS_CAPD_RULE,
    ASTCT_ICANS_RULE,
    ConsciousnessLevel,
    EncephalopathyTool,
    IcansDomain,
    IcansFindings,
    IcansGrade,
    MotorFinding,
    RaisedIcpFinding,
    Seizure,
    grade_icans,
)
from engraft.grading.ice_score import IceAssessment, IceDomain, IceScore, ice_score
from engraft.grading.rule import GradingRule
from engraft.grading.sos_vod_diagnosis import (
    BALTIMORE_RULE,
    EBMT_2016_ADULT_RULE,
    EBMT_2018_PAEDIATRIC_RULE,
    MODIFIED_SEATTLE_RULE,
    SosVodDiagnosis,
    SosVodOnset,
    diagnose_sos_vod,
)
from engraft.grading.sos_vod_findings import CriterionCheck, SosVodFindings, SosVodSign, WeightGain
from engraft.grading.sos_vod_paediatric_severity import (
    EBMT_2018_PAEDIATRIC_SEVERITY_RULE,
    PaediatricSeverityCriterion,
    PaediatricSosVodSeverityFindings,
    PaediatricSosVodSeverityGrade,
    SosVodAscites,
    SosVodCoagulation,
    grade_paediatric_sos_vod_severity,
)
from engraft.grading.sos_vod_severity import (
    EBMT_2016_ADULT_SEVERITY_RULE,
    AdultSosVodSeverityFindings,
    SeverityCriterion,
    SosVodSeverityGrade,
    grade_adult_sos_vod_severity,
)
from engraft.grading.stool_output import StoolFigure, stool_output_for_staging
from engraft.vocabulary.events import AcuteGvhdGradingSystem, ChronicGvhdSeverity, SosVodCriteria, SosVodSeverity

__all__ = [
    "ACCEPTED_COUNT_UNITS",
    "ANC_THRESHOLD",
    "COUNT_UNIT",
    "PLATELET_THRESHOLD",
    "PLATELET_TRANSFUSION_FREE_DAYS",
    "AcuteGvhdGrade",
    "AcuteGvhdGradingSystem",
    "AcuteGvhdOrgan",
    "CountMeasurement",
    "CountSeries",
    "EngraftmentResult",
    "EngraftmentStatus",
    "GradingRule",
    "Lineage",
    "OrganStages",
    "grade_acute_gvhd",
    "neutrophil_engraftment",
    "platelet_engraftment",
]

__all__ += [  # acute GVHD organ staging (MAGIC) and chronic GVHD (NIH 2014)
    "AcuteGvhdFindings",
    "AcuteGvhdStaging",
    "Attribution",
    "ChronicGvhdGlobalSeverity",
    "ChronicGvhdOrgan",
    "ChronicGvhdOrganScore",
    "ChronicGvhdOrganScores",
    "ChronicGvhdSeverity",
    "Finding",
    "LiverFindings",
    "LowerGiFindings",
    "OrganScale",
    "OrganStageResult",
    "SkinFindings",
    "SkinSclerosis",
    "StoolFigure",
    "UpperGiFindings",
    "chronic_gvhd_global_severity",
    "liver_score",
    "lung_fev1_score",
    "recorded_organ_score",
    "skin_score",
    "stage_acute_gvhd",
    "stage_liver",
    "stage_lower_gi",
    "stage_skin",
    "stage_upper_gi",
    "stool_output_for_staging",
]

__all__ += [  # CAR-T: CRS, ICE score, ICANS (ASTCT 2019)
    "ASTCT_CRS_RULE",
    "ASTCT_ICANS_CAPD_RULE",
    "ASTCT_ICANS_RULE",
    "ConsciousnessLevel",
    "CrsDomain",
    "CrsFindings",
    "CrsGrade",
    "EncephalopathyTool",
    "IcansDomain",
    "IcansFindings",
    "IcansGrade",
    "IceAssessment",
    "IceDomain",
    "IceScore",
    "MotorFinding",
    "OxygenDelivery",
    "RaisedIcpFinding",
    "Seizure",
    "grade_crs",
    "grade_icans",
    "ice_score",
]
__all__ += [  # SOS/VOD
    "BALTIMORE_RULE",
    "EBMT_2016_ADULT_RULE",
    "EBMT_2016_ADULT_SEVERITY_RULE",
    "EBMT_2018_PAEDIATRIC_RULE",
    "EBMT_2018_PAEDIATRIC_SEVERITY_RULE",
    "MODIFIED_SEATTLE_RULE",
    "AdultSosVodSeverityFindings",
    "CriterionCheck",
    "PaediatricSeverityCriterion",
    "PaediatricSosVodSeverityFindings",
    "PaediatricSosVodSeverityGrade",
    "SeverityCriterion",
    "SosVodAscites",
    "SosVodCoagulation",
    "SosVodCriteria",
    "SosVodDiagnosis",
    "SosVodFindings",
    "SosVodOnset",
    "SosVodSeverity",
    "SosVodSeverityGrade",
    "SosVodSign",
    "WeightGain",
    "diagnose_sos_vod",
    "grade_adult_sos_vod_severity",
    "grade_paediatric_sos_vod_severity",
]

# --- graft failure, febrile neutropenia, viral DNAemia, organ-toxicity signals (issue 11, points 5 and 6) -------
from engraft.grading.febrile_neutropenia import (  # noqa: E402
    FEBRILE_NEUTROPENIA_RULE,
    IDSA_2010_FEVER,
    NEUTROPENIA_ANC_BELOW,
    AncReading,
    FebrileNeutropeniaResult,
    FebrileNeutropeniaStatus,
    Fever,
    FeverCriteria,
    FeverKind,
    TemperatureReading,
    TemperatureSite,
    febrile_neutropenia,
    fevers,
)
from engraft.grading.graft_failure import (  # noqa: E402
    COMPLETE_DONOR_CHIMERISM_PERCENT,
    PRIMARY_GRAFT_FAILURE_DAY_LIMIT,
    ChimerismResult,
    CytopenicLineage,
    GraftFailureResult,
    GraftFailureStatus,
    HaemoglobinMeasurement,
    PoorGraftFunctionResult,
    Support,
    SupportKind,
    poor_graft_function_operational,
    primary_graft_failure,
    secondary_graft_failure,
)
from engraft.grading.organ_toxicity import (  # noqa: E402
    BILIRUBIN_DOUBLING_RULE,
    BILIRUBIN_RISING_RULE,
    CREATININE_DOUBLING_RULE,
    BaselineSignal,
    Population,
    RatioPoint,
    SignalStatus,
    bilirubin_doubling,
    bilirubin_rising_three_days,
    creatinine_doubling,
    weight_gain,
    weight_rising_three_days,
)
from engraft.grading.timed import Reading  # noqa: E402
from engraft.grading.viral_load import (  # noqa: E402
    DNAEMIA_RULE,
    CentreViralThresholds,
    Detection,
    DnaemiaResult,
    LogRise,
    Specimen,
    ViralLoadMeasurement,
    Virus,
    assess_dnaemia,
)

__all__ += [
    "BILIRUBIN_DOUBLING_RULE",
    "BILIRUBIN_RISING_RULE",
    "COMPLETE_DONOR_CHIMERISM_PERCENT",
    "CREATININE_DOUBLING_RULE",
    "DNAEMIA_RULE",
    "FEBRILE_NEUTROPENIA_RULE",
    "IDSA_2010_FEVER",
    "NEUTROPENIA_ANC_BELOW",
    "PRIMARY_GRAFT_FAILURE_DAY_LIMIT",
    "AncReading",
    "BaselineSignal",
    "CentreViralThresholds",
    "ChimerismResult",
    "CytopenicLineage",
    "Detection",
    "DnaemiaResult",
    "FebrileNeutropeniaResult",
    "FebrileNeutropeniaStatus",
    "Fever",
    "FeverCriteria",
    "FeverKind",
    "GraftFailureResult",
    "GraftFailureStatus",
    "HaemoglobinMeasurement",
    "LogRise",
    "PoorGraftFunctionResult",
    "Population",
    "RatioPoint",
    "Reading",
    "SignalStatus",
    "Specimen",
    "Support",
    "SupportKind",
    "TemperatureReading",
    "TemperatureSite",
    "ViralLoadMeasurement",
    "Virus",
    "assess_dnaemia",
    "bilirubin_doubling",
    "bilirubin_rising_three_days",
    "creatinine_doubling",
    "febrile_neutropenia",
    "fevers",
    "poor_graft_function_operational",
    "primary_graft_failure",
    "secondary_graft_failure",
    "weight_gain",
    "weight_rising_three_days",
]
