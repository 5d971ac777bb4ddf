"""SQLAlchemy 2 typed ORM models of the transplant registry."""

from engraft.registry.models.account import ApiToken, ResearchProject, SignInSession, UserAccount
from engraft.registry.models.base import Base
from engraft.registry.models.clinical import (
    Assessment,
    AuditEntry,
    ClinicalEvent,
    FollowUpVisit,
    Observation,
)
from engraft.registry.models.consent import ConsentRecord
from engraft.registry.models.donor import Donor, DonorMarker
from engraft.registry.models.donor_search import SavedDonorSearch
from engraft.registry.models.episode import ConditioningAgent, EpisodeDonor, TransplantEpisode
from engraft.registry.models.ingest import InboundMessage, Transfusion
from engraft.registry.models.monitoring import MonitoringAlert, MonitoringRuleFile
from engraft.registry.models.patient import Centre, Diagnosis, Patient, PatientIdentity

__all__ = [
    "ApiToken",
    "Assessment",
    "AuditEntry",
    "Base",
    "Centre",
    "ClinicalEvent",
    "ConditioningAgent",
    "ConsentRecord",
    "Diagnosis",
    "Donor",
    "DonorMarker",
    "EpisodeDonor",
    "FollowUpVisit",
    "InboundMessage",
    "MonitoringAlert",
    "MonitoringRuleFile",
    "Observation",
    "Patient",
    "PatientIdentity",
    "ResearchProject",
    "SavedDonorSearch",
    "SignInSession",
    "Transfusion",
    "TransplantEpisode",
    "UserAccount",
]
