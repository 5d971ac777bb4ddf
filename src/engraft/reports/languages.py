"""The languages the risk explanation is written in (each has a message catalogue, English the msgids)."""

from __future__ import annotations

from enum import StrEnum


class ReportLanguage(StrEnum):
    EN = "en"
    ZH = "zh"
    """Simplified Chinese."""
