"""The form checks' messages (pydantic's wording) as phrases, so that a Chinese page shows them in Chinese.

The forms validate with pydantic, whose messages are English sentences with figures in them ("Input should be
greater than or equal to 0"). Each is written here as a :class:`~engraft.vocabulary.phrases.Phrase` with the
exact wording pydantic uses, so the ``core`` filter recognises it and translates the template (fixed messages,
such as "Field required", are plain entries of the ``core`` catalogue). ``tests/web/test_form_messages.py``
makes pydantic raise each of them, so a changed wording in a new pydantic release fails a test instead of
silently showing English.
"""

from __future__ import annotations

from typing import Final

from engraft.vocabulary.phrases import Phrase

AT_LEAST: Final = Phrase("Input should be greater than or equal to {limit}")
ABOVE: Final = Phrase("Input should be greater than {limit}")
AT_MOST: Final = Phrase("Input should be less than or equal to {limit}")
BELOW: Final = Phrase("Input should be less than {limit}")
ONE_OF: Final = Phrase("Input should be {choices}")
NOT_A_DATE: Final = Phrase("Input should be a valid date or datetime, {reason}")
SHORTER_THAN: Final = Phrase("String should have at least {count} characters")
LONGER_THAN: Final = Phrase("String should have at most {count} characters")
LONGER_THAN_ONE: Final = Phrase("String should have at most {count} character")

FIXED_MESSAGES: Final = (
    "Field required",
    "Input should be a valid integer",
    "Input should be a valid number",
    "Input should be a valid boolean",
    "Input should be a valid boolean, unable to interpret input",
    "Input should be a valid integer, unable to parse string as an integer",
    "Input should be a valid number, unable to parse string as a number",
    "Input should be a valid integer, got a number with a fractional part",
    "input is too short",
    "day value is outside expected range",
    "month value is outside expected range",
    "invalid character in year",
    "invalid date separator, expected `-`",
)
"""Messages (and the reasons pydantic puts in :data:`NOT_A_DATE`) with no figure: catalogue entries of their own."""
