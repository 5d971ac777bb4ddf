"""Which centre rule file the monitoring engine applies: ``ENGRAFT_MONITORING_RULES`` names it.

Unset: the shipped rules only. Set: the TOML file at that path is read and applied over the shipped rules
(:func:`engraft.monitoring.load_rule_set`); a path that cannot be read is an error, never a silent fallback.
"""

from __future__ import annotations

import os
from pathlib import Path

RULES_ENV = "ENGRAFT_MONITORING_RULES"


class CentreRulesUnavailable(RuntimeError):
    """The configured centre rule file cannot be read."""


def centre_rule_text() -> str | None:
    """The centre rule file's text, or ``None`` when none is configured."""
    configured = os.environ.get(RULES_ENV)
    if not configured:
        return None
    path = Path(configured)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CentreRulesUnavailable(
            f"{RULES_ENV}={configured!r} cannot be read ({exc}); expected a UTF-8 TOML rule file"
        ) from exc
