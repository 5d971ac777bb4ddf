"""Reading the versioned rule file (TOML): the shipped definitions, then a centre file over them.

The package ships ``default_rules.toml`` (the published definitions Engraft implements, and example
centre thresholds labelled as centre rules). A centre file in the same format replaces rules by id, adds
its own and may switch rules off (``disable = [...]`` in its ``[rule_set]`` table). Every rule states its
source; a published rule's citations are those of the grading rule its kind applies, and the file must
state that rule's verification level. Units are checked when the file is read. The rule set's
``content_hash`` (SHA-256 of both texts) identifies the version in force, so a change is seen and audited.
"""

from __future__ import annotations

import hashlib
import tomllib
from importlib.resources import files
from typing import Any, Final

from pydantic import ValidationError

from engraft.measurements import UnitError
from engraft.monitoring.findings import published_rule
from engraft.monitoring.kinds import adapter_of
from engraft.monitoring.model import MonitoringRule, RuleKind, RuleOrigin, RuleParameters, RuleSet, RuleSource

DEFAULT_RULE_FILE: Final = "default_rules.toml"


class RuleFileError(ValueError):
    """A rule file that cannot be applied; the message names the file, rule, field, value and expectation."""


def default_rule_text() -> str:
    """The text of the shipped rule file."""
    return files("engraft.monitoring").joinpath(DEFAULT_RULE_FILE).read_text(encoding="utf-8")


def default_rule_texts() -> tuple[str, ...]:
    """The shipped rules' titles and source references, each once (the texts a page shows beside an alert)."""
    texts: dict[str, None] = {}
    for rule in load_rule_set().rules:
        texts.setdefault(rule.title)
        texts.setdefault(rule.source.reference)
    return tuple(texts)


def load_rule_set(centre_text: str | None = None, *, default_text: str | None = None) -> RuleSet:
    """The rules in force: the shipped file (or ``default_text``) with ``centre_text`` applied over it."""
    base_text = default_rule_text() if default_text is None else default_text
    base = _parse(base_text, "default rule file")
    header = _header(base, "default rule file")
    rules = {rule.id: rule for rule in _rules(base, "default rule file")}
    name, version = header
    digest = hashlib.sha256(base_text.encode("utf-8"))
    if centre_text is not None:
        centre = _parse(centre_text, "centre rule file")
        centre_name, centre_version = _header(centre, "centre rule file")
        for rule_id in _disabled(centre):
            if rules.pop(rule_id, None) is None:
                raise RuleFileError(
                    f"centre rule file: disable={rule_id!r} names no rule; expected one of {sorted(rules)}"
                )
        for rule in _rules(centre, "centre rule file"):
            rules[rule.id] = rule
        name, version = centre_name, f"{version}+{centre_version}"
        digest.update(b"\0" + centre_text.encode("utf-8"))
    return RuleSet(name=name, version=version, content_hash=digest.hexdigest(), rules=tuple(rules.values()))


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(f"{where}: not valid TOML ({exc})") from exc


def _header(document: dict[str, Any], where: str) -> tuple[str, str]:
    table = document.get("rule_set")
    if not isinstance(table, dict):
        raise RuleFileError(f"{where}: [rule_set] is missing; expected a table with name and version")
    name, version = table.get("name"), table.get("version")
    if not isinstance(name, str) or not name or not isinstance(version, str) or not version:
        raise RuleFileError(f"{where}: [rule_set] name={name!r}, version={version!r}; expected two non-empty texts")
    return name, version


def _disabled(document: dict[str, Any]) -> list[str]:
    value = document["rule_set"].get("disable", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleFileError(f"centre rule file: [rule_set] disable={value!r}; expected a list of rule ids")
    return value


def _rules(document: dict[str, Any], where: str) -> list[MonitoringRule]:
    entries = document.get("rule", [])
    if not isinstance(entries, list):
        raise RuleFileError(f"{where}: rule={entries!r}; expected [[rule]] tables")
    rules: list[MonitoringRule] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        rule = _rule(entry, f"{where}, rule {number} ({entry.get('id', '?') if isinstance(entry, dict) else '?'})")
        if rule.id in seen:
            raise RuleFileError(f"{where}: rule id {rule.id!r} appears twice; expected each id once")
        seen.add(rule.id)
        rules.append(rule)
    return rules


def _rule(entry: object, where: str) -> MonitoringRule:
    if not isinstance(entry, dict):
        raise RuleFileError(f"{where}: {entry!r}; expected a table")
    try:
        kind = RuleKind(str(entry.get("kind")))
    except ValueError:
        raise RuleFileError(
            f"{where}: kind={entry.get('kind')!r}; expected one of {', '.join(k.value for k in RuleKind)}"
        ) from None
    adapter = adapter_of(kind)
    try:
        parameters = adapter.parameters.model_validate(entry.get("parameters", {}))
        source = RuleSource.model_validate(entry.get("source"))
        source = _published_source(kind, parameters, source, where)
        rule = MonitoringRule.model_validate({**entry, "kind": kind, "parameters": parameters, "source": source})
        adapter.check(rule.id, parameters)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'rule'}={e.get('input')!r}: {e['msg']}" for e in exc.errors()
        )
        raise RuleFileError(f"{where}: {problems}") from exc
    except (ValueError, UnitError) as exc:
        raise RuleFileError(f"{where}: {exc}") from exc
    return rule


def _published_source(kind: RuleKind, parameters: RuleParameters, source: RuleSource, where: str) -> RuleSource:
    published = published_rule(adapter_of(kind), parameters)
    if published is None:
        if source.origin is not RuleOrigin.CENTRE:
            raise RuleFileError(
                f"{where}: source.origin={source.origin.value!r} for kind {kind.value!r}; expected 'centre' "
                "(Engraft applies no published definition for this kind: it is a centre threshold)"
            )
        return source
    if source.origin is not RuleOrigin.PUBLISHED or source.verification is not published.verification:
        raise RuleFileError(
            f"{where}: source origin={source.origin.value!r}, verification={source.verification.value!r}; expected "
            f"'published' and {published.verification.value!r} (the level of {published.name!r}, {published.version})"
        )
    return source.model_copy(update={"citations": published.citations})
