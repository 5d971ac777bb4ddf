"""The patient and family risk explanation of one transplant episode (pure: typed content, no I/O).

What a doctor goes through with a patient and family before a transplant, built from the episode's own
facts (:mod:`engraft.reports.episode_facts`), its stored risk instruments (:mod:`engraft.reports.instruments`),
the centre's results for similar patients (:mod:`engraft.reports.centre_results`) and the risks of each
phase (:mod:`engraft.reports.timeline`, :mod:`engraft.reports.genomic_safety`). Every text is a
:class:`~engraft.reports.messages.Message` (an English msgid and its parameters), translated by the adapter
that renders the document (``engraft.io.risk_report_render``); every number printed is a parameter, so a
test can find each one in the rendered document. Figures are shown as risk-communication research
recommends (:mod:`engraft.reports.frequencies`): whole numbers out of 100 with a 100-person icon array,
absolute risks, ranges where the source gives them. Only ``primary``, ``primary-abstract`` or
``secondary`` figures are printed as numbers; an ``unverified`` one is described without its number.
"""

from engraft.reports.document import RiskReport, build_risk_report
from engraft.reports.episode_facts import DonorMatchFacts, EpisodeFacts, InstrumentFinding
from engraft.reports.messages import Message

__all__ = ["DonorMatchFacts", "EpisodeFacts", "InstrumentFinding", "Message", "RiskReport", "build_risk_report"]
