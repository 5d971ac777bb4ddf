"""The patient page's "Alerts" region: a hook other sections fill (the future monitoring section, say).

The region is always on the page, named (``<section aria-labelledby="alerts-heading">``), and says "No
alerts" when nothing fills it. A section adds to it by registering a provider at import::

    from engraft.web.pages.patients_panels import AlertContext, Alert, register_alert_provider

    @register_alert_provider
    def low_anc(context: AlertContext) -> list[Alert]:
        ...  # read what it needs through context.registry (acting for the signed-in principal)

A provider gets the :class:`AlertContext` (principal, registry service, patient and episode ids, the
page's ``gettext``) and returns :class:`Alert` items: a severity, a translated message, an optional link.
Providers run in registration order; one that raises is logged and left out, so a broken monitor never
takes the patient page down (the region then says an alert source failed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from engraft.access import Principal
from engraft.registry.service import RegistryService

LOG = logging.getLogger(__name__)


class AlertSeverity(StrEnum):
    """How urgent an alert is; the CSS modifier of its badge (``notice--danger`` ...)."""

    INFO = "info"
    WARN = "warn"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Alert:
    severity: AlertSeverity
    message: str
    """Already translated (use ``context.gettext``)."""
    link: str | None = None
    source: str = ""
    """Which provider raised it (shown small), e.g. "monitoring"."""


@dataclass(frozen=True)
class AlertContext:
    principal: Principal
    registry: RegistryService
    patient_id: int
    episode_ids: Sequence[int]
    gettext: Callable[[str], str]
    core: Callable[[str], str] = str
    """A text of the pure core in the page's language (:func:`engraft.web.core_text.core_wording`)."""


AlertProvider = Callable[[AlertContext], Sequence[Alert]]
_PROVIDERS: list[AlertProvider] = []


def register_alert_provider(provider: AlertProvider) -> AlertProvider:
    """Add ``provider`` to the patient page's Alerts region (once; registering it again changes nothing)."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def unregister_alert_provider(provider: AlertProvider) -> None:
    """Take ``provider`` out again (tests)."""
    if provider in _PROVIDERS:
        _PROVIDERS.remove(provider)


@dataclass(frozen=True)
class AlertsRegion:
    alerts: list[Alert]
    failed_sources: int


def collect_alerts(context: AlertContext) -> AlertsRegion:
    """Every registered provider's alerts for this patient, in registration order."""
    alerts: list[Alert] = []
    failed = 0
    for provider in list(_PROVIDERS):
        try:
            alerts.extend(provider(context))
        except Exception:  # a broken monitor must not take the patient page down
            LOG.exception("alert provider %r failed for patient %s", provider, context.patient_id)
            failed += 1
    return AlertsRegion(alerts, failed)
