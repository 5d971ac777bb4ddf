"""The roles of a transplant centre's team, as accounts and API tokens carry them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """One role per account (and per API token). What each may do is in :mod:`engraft.access.policy`."""

    ADMIN = "admin"
    """Runs the system: accounts, roles, API tokens, the audit log, centres. Reads no patient record."""
    PHYSICIAN = "physician"
    """Transplant physician: reads and writes the clinical record, runs risk assessments and donor searches."""
    NURSE = "nurse"
    """Transplant nurse: reads the clinical record, records observations (labs, vital signs) and visits."""
    SEARCH_COORDINATOR = "search_coordinator"
    """Donor search coordinator: patients' identity and typing, donors, donor searches."""
    DATA_MANAGER = "data_manager"
    """Registry data manager: reads and writes the whole record, exports, outcomes."""
    RESEARCHER = "researcher"
    """Outcome researcher: pseudonymised data and aggregate outcomes only; never a name, MRN or birth date."""

    @property
    def label(self) -> str:
        """The role as a person reads it (English; the web layer translates it)."""
        return _LABELS[self]


_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrator",
    Role.PHYSICIAN: "Physician",
    Role.NURSE: "Nurse",
    Role.SEARCH_COORDINATOR: "Search coordinator",
    Role.DATA_MANAGER: "Data manager",
    Role.RESEARCHER: "Researcher",
}
