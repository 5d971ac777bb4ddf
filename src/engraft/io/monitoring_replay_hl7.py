"""Reading an HL7 v2 file for ``engraft monitor replay``: its ORU^R01 messages, each read as the MLLP listener reads it.

The file holds one or more ORU^R01 messages, each beginning with an ``MSH`` segment at the start of a line;
segments end with CR, LF or CRLF; MLLP framing bytes (0x0B, 0x1C) of a captured stream and batch envelope segments
(FHS, BHS, BTS, FTS) are dropped. Each message is read by :func:`engraft.io.hl7_oru.read_oru` with the feed's site
settings (local codes, units, time zone, MRN assigning authority); a malformed one is a problem naming message,
segment and field, one the parser fails on otherwise (as the MLLP listener answers it) a problem naming the message
and the failure. Lines before the first ``MSH`` are a problem naming the first of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from engraft.io.hl7_ack import MessageHeader
from engraft.io.hl7_oru import MalformedMessage, read_oru
from engraft.io.monitoring_replay import FeedProblem, ReplayProblem
from engraft.io.monitoring_replay_documents import LINE_BREAK, FeedDocument, FeedSettings, shown_value

_ENVELOPE_SEGMENTS: Final = ("FHS", "BHS", "BTS", "FTS")


def hl7_documents(name: str, text: str, settings: FeedSettings) -> Iterator[FeedDocument]:
    """Each message of an HL7 v2 file (or a problem for lines before the first MSH)."""
    # MLLP framing: 0x1C ends a block (a line break when no CR follows it), 0x0B starts one
    text = re.sub("\x1c(?![\r\n])", "\r", text).replace("\x1c", "").replace("\x0b", "")
    messages: list[tuple[int, list[str]]] = []
    stray: list[ReplayProblem] = []
    for number, line in enumerate(LINE_BREAK.split(text), start=1):
        segment = line.strip()
        if not segment or segment[:3] in _ENVELOPE_SEGMENTS:
            continue
        if segment.startswith("MSH"):
            messages.append((number, [segment]))
        elif messages:
            messages[-1][1].append(segment)
        elif len(stray) < 1:
            reason = "expected an MSH segment first: each message starts with MSH at the start of a line"
            stray.append(FeedProblem(f"{name} line {number}", shown_value(segment), reason))
    if stray:
        yield FeedDocument(name, problems=stray, hl7=True, message=False)
    for count, (line_number, segments) in enumerate(messages, start=1):
        message = "\r".join(segments)
        control = MessageHeader.best_effort(message).control_id
        where = f"{name} message {count} (line {line_number}" + (f", MSH-10 {control!r})" if control else ")")
        document = FeedDocument(where, hl7=True)
        try:
            results = read_oru(message, settings.hl7)
        except MalformedMessage as exc:
            located = f"{where} {exc.location.describe()}" if exc.location is not None else where
            document.problems.append(FeedProblem(located, None, exc.reason))
            yield document
            continue
        except Exception as exc:  # python-hl7 on input no rule foresaw (as the MLLP listener): a problem, no traceback
            reason = f"expected a message that can be read as HL7 v2 ({type(exc).__name__}: {_exception_text(exc)})"
            document.problems.append(FeedProblem(where, None, reason))
            yield document
            continue
        document.key = results.key
        document.observations = results.observations
        document.not_final = results.not_final
        for location, _code, problem in results.problems:
            document.problems.append(
                FeedProblem(
                    f"{where} {location.describe()}", shown_value(problem.value), f"expected {problem.expected}"
                )
            )
        yield document


def _exception_text(exc: Exception) -> str:
    """What an unforeseen exception says, shortened (its message, not its repr: a KeyError's key unquoted)."""
    text = str(exc.args[0]) if len(exc.args) == 1 else str(exc)
    shown = shown_value(text.replace("\r", " ").replace("\n", " ").strip())
    return str(shown) if shown else "no detail"
