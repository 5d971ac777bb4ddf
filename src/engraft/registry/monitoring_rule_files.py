"""The monitoring's rule-file versions on record, as an evaluation reads and records them.

- :func:`read_history`: the rule-file versions on record. Their headers (id, content hash, name, version, loaded
  at, by) are read only when the fingerprint (:data:`RuleFilesKey`, read by
  :func:`engraft.registry.monitoring_reads.lock_context` in the query that locks the episode) is not one already
  seen in this process (the table is only added to); each version's texts are read and parsed once per process (a
  content hash names its texts exactly), so a new version, recorded by any process and audited, is in force at the
  next evaluation without any other invalidation.
- :func:`record_rule_file`: the version of the shipped rules with a centre's rules over them, recorded the first
  time an evaluation uses it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engraft.monitoring import MonitoringRule, RuleSet, RuleSetInForce, default_rule_text, load_rule_set
from engraft.registry.models import MonitoringRuleFile
from engraft.registry.monitoring_scope import RuleReach

RuleFilesKey = tuple[str, int, int | None, str | None, dt.datetime | None]
"""The database, and the count, highest id, highest content hash and latest load time of the rule-file rows: the
table is only ever added to, so a new version, recorded by any process, changes it (the fingerprint an
evaluation's locking query reads: :class:`engraft.registry.monitoring_reads.LockedEpisode`)."""


@dataclass(frozen=True, slots=True)
class RuleFileHeader:
    """A recorded rule-file version, without its texts."""

    id: int
    content_hash: str
    name: str
    version: str
    loaded_at: dt.datetime
    loaded_by: str


@dataclass(frozen=True)
class RuleHistory:
    """The rule-file versions on record, oldest first, each with its parsed rule set and the moment it came into
    force; and, per set of rule ids, the same history restricted to those rules (what an evaluation runs)."""

    headers: tuple[RuleFileHeader, ...]
    in_force: tuple[RuleSetInForce, ...]
    _only: dict[frozenset[str], tuple[RuleSetInForce, ...]] = field(default_factory=dict, compare=False, repr=False)
    _reach: dict[str, RuleReach] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ids(self) -> dict[str, int]:
        """Row id of each content hash."""
        return {h.content_hash: h.id for h in self.headers}

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id of every version, in the order they first appear."""
        return tuple(dict.fromkeys(rule.id for entry in self.in_force for rule in entry.rule_set.rules))

    def versions(self, rule_id: str) -> list[MonitoringRule]:
        """The rule ``rule_id`` in each version that has it."""
        return [rule for entry in self.in_force for rule in entry.rule_set.rules if rule.id == rule_id]

    def reach(self, rule_id: str) -> RuleReach:
        """What makes an evaluation run ``rule_id`` (any of its versions), and the codes it reads."""
        found = self._reach.get(rule_id)
        if found is None:
            found = self._reach[rule_id] = RuleReach.of(self.versions(rule_id))
        return found

    def only(self, rule_ids: Iterable[str]) -> tuple[RuleSetInForce, ...]:
        """The history with, in each version, only the rules ``rule_ids`` (none: no rule at all).

        Every version stays (with fewer rules, or none, where it lacks them), so each result is still judged by the
        version in force when it was recorded, exactly as in the whole history.
        """
        key = frozenset(rule_ids)
        found = self._only.get(key)
        if found is None:
            found = tuple(
                RuleSetInForce.model_construct(
                    in_force_from=entry.in_force_from,
                    rule_set=entry.rule_set.model_copy(
                        update={"rules": tuple(r for r in entry.rule_set.rules if r.id in key)}
                    ),
                )
                for entry in self.in_force
            )
            self._only[key] = found
        return found


@lru_cache(maxsize=32)
def parsed_rule_set(default_text: str, centre_text: str | None) -> RuleSet:
    """The rule set of the shipped rules ``default_text`` with ``centre_text`` over them (parsed once)."""
    return load_rule_set(centre_text, default_text=default_text)


@lru_cache(maxsize=1)
def _shipped_text() -> str:
    """The shipped rule file (part of the installed package: read once per process)."""
    return default_rule_text()


_RULE_SETS: dict[str, RuleSet] = {}
"""Parsed rule sets by content hash (the hash names the texts, so an entry never goes stale)."""
_HISTORIES: dict[tuple[RuleFileHeader, ...], RuleHistory] = {}
_CACHE_LOCK = threading.Lock()
_MAX_HISTORIES = 16


_BY_KEY: dict[RuleFilesKey, RuleHistory] = {}
"""Histories by the rule files' fingerprint (:data:`RuleFilesKey`), so an evaluation reads no header at all."""


def read_history(session: Session, key: RuleFilesKey | None = None) -> RuleHistory:
    """The rule-file versions on record (their rule sets parsed once per process); their headers are read unless
    ``key``, the rule files' fingerprint read in this transaction, is the one of a history already read."""
    if key is not None:
        with _CACHE_LOCK:
            known = _BY_KEY.get(key)
        if known is not None:
            return known
    history = _read_history(session)
    if key is not None and len(history.headers) == key[1]:  # the same rows as the fingerprint's
        with _CACHE_LOCK:
            if len(_BY_KEY) >= _MAX_HISTORIES:
                _BY_KEY.clear()
            _BY_KEY[key] = history
    return history


def _read_history(session: Session) -> RuleHistory:
    rows = session.connection().execute(
        select(
            MonitoringRuleFile.id,
            MonitoringRuleFile.content_hash,
            MonitoringRuleFile.name,
            MonitoringRuleFile.version,
            MonitoringRuleFile.loaded_at,
            MonitoringRuleFile.loaded_by,
        ).order_by(MonitoringRuleFile.loaded_at, MonitoringRuleFile.id)
    )
    headers = tuple(RuleFileHeader(*row) for row in rows)
    with _CACHE_LOCK:
        history = _HISTORIES.get(headers)
    if history is not None:
        return history
    _parse_missing(session, [h.content_hash for h in headers])
    history = RuleHistory(
        headers,
        tuple(RuleSetInForce(in_force_from=h.loaded_at, rule_set=_RULE_SETS[h.content_hash]) for h in headers),
    )
    with _CACHE_LOCK:
        if len(_HISTORIES) >= _MAX_HISTORIES:
            _HISTORIES.clear()
        _HISTORIES[headers] = history
    return history


def _parse_missing(session: Session, hashes: Iterable[str]) -> None:
    missing = [h for h in hashes if h not in _RULE_SETS]
    if not missing:
        return
    stmt = select(MonitoringRuleFile.content_hash, MonitoringRuleFile.default_text, MonitoringRuleFile.centre_text)
    for content_hash, default_text, centre_text in session.execute(
        stmt.where(MonitoringRuleFile.content_hash.in_(missing))
    ):
        rule_set = parsed_rule_set(default_text, centre_text)
        with _CACHE_LOCK:
            _RULE_SETS[content_hash] = rule_set


def record_rule_file(
    session: Session, centre_text: str | None, history: RuleHistory, loaded_by: str
) -> tuple[RuleFileHeader, bool, RuleHistory]:
    """The recorded version of the shipped rules with ``centre_text`` over them, whether this call recorded it,
    and the history that has it."""
    default_text = _shipped_text()
    rule_set = parsed_rule_set(default_text, centre_text)
    for header in history.headers:
        if header.content_hash == rule_set.content_hash:
            return header, False, history
    row = MonitoringRuleFile(
        content_hash=rule_set.content_hash,
        name=rule_set.name,
        version=rule_set.version,
        default_text=default_text,
        centre_text=centre_text,
        loaded_by=loaded_by,
    )
    new = True
    try:
        with session.begin_nested():  # another evaluation may record the same version at the same time
            session.add(row)
            session.flush()
    except IntegrityError:
        new = False
    with _CACHE_LOCK:
        _RULE_SETS[rule_set.content_hash] = rule_set
    history = read_history(session)
    (header,) = [h for h in history.headers if h.content_hash == rule_set.content_hash]
    return header, new, history
