"""What a route or page needs. Every API route and web page declares exactly one of these."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """A right to one kind of action. Routes declare it; :mod:`engraft.access.policy` grants it to roles."""

    PUBLIC = "public"
    """Anyone, signed in or not: health probes, the sign-in page, static assets."""
    SIGNED_IN = "signed_in"
    """Any signed-in account: its own profile, password, second factor, language; the stateless scores."""
    PATIENT_READ = "patient.read"
    """Read the clinical record (diagnoses, episodes, events, visits, observations, assessments)."""
    PATIENT_IDENTITY_READ = "patient.identity.read"
    """Read a patient's identifying data: name, MRN, exact birth date; search patients by name or MRN."""
    PATIENT_WRITE = "patient.write"
    """Create and change patients, diagnoses, episodes, events and follow-up visits."""
    OBSERVATION_WRITE = "observation.write"
    """Record observations (laboratory results, vital signs), e.g. a lab interface's API token."""
    ALERT_MANAGE = "alert.manage"
    """Acknowledge and resolve monitoring alerts (the bedside team: physicians and nurses). Reading alerts is
    part of the clinical record (:attr:`PATIENT_READ`)."""
    RISK_ASSESS = "risk.assess"
    """Run an episode's risk profile and store its assessments."""
    CENTRE_WRITE = "centre.write"
    """Create transplant centres."""
    DONOR_READ = "donor.read"
    """Read donor records."""
    DONOR_WRITE = "donor.write"
    """Create and change donor records."""
    DONOR_SEARCH = "donor.search"
    """Search the donor registry for a patient's typing."""
    OUTCOMES_READ = "outcomes.read"
    """Aggregate outcome analyses: survival, incidence, activity, centre benchmark."""
    RESEARCH_READ = "research.read"
    """Pseudonymised record-level data for analysis: no names, MRNs, exact birth dates or free text."""
    REGISTRY_EXPORT = "registry.export"
    """Export the registry (identifying) to files."""
    AUDIT_READ = "audit.read"
    """View and export the audit log."""
    ACCOUNTS_MANAGE = "accounts.manage"
    """Create, change and disable accounts; issue and revoke API tokens."""
