"""Reading what a patient typed: one rule for numbers and for characters (pure).

Numbers (``parse_answer_number``), after surrounding whitespace is removed:

- digits are ASCII 0-9, Arabic-Indic (U+0660-0669) or Extended Arabic-Indic / Persian
  (U+06F0-06F9), all from one of these sets; they are read as the same numbers, on purpose;
- an optional leading ASCII minus ("-"); "-0" reads as 0;
- an optional decimal part: "." or the Arabic decimal separator U+066B, then at least one digit;
- leading zeros are allowed ("05" reads as 5), at most 32 characters in all;
- everything else is refused: other digits that look like numbers (superscripts, full-width,
  mathematical or circled digits), a plus sign, exponents ("5e0"), underscores, inner spaces,
  thousands separators, "nan" and "inf".

Surrounding whitespace is ignored because it cannot change the value and phone keyboards add it;
whitespace inside a number is refused because "1 0" could mean 1 or 10. The value is an ``int``
when it is whole ("5.0" reads as 5) and a ``float`` otherwise.

Text answers may hold any character except control characters other than tab, newline and
carriage return, and lone surrogates: neither can be stored or shown safely. Format characters
such as the zero-width non-joiner stay allowed because Persian spelling needs them.
"""

from __future__ import annotations

import re
import unicodedata

# The answer stored when a patient says an item does not apply to them; scored as missing.
NOT_APPLICABLE = "not_applicable"
MAX_NUMBER_CHARS = 32  # longer "numbers" are junk; refuse before parsing
NOT_A_NUMBER_MESSAGE = "Please enter a number, for example 7."
OTHER_DIGITS_MESSAGE = "Please type the number with ordinary digits, such as 0 to 9."
COMMA_MESSAGE = "Please type the number without commas; use a point for decimals, for example 1.5."
UNREADABLE_MESSAGE = "This answer could not be read. Please answer again."
UNUSUAL_CHARACTERS_MESSAGE = "Please remove any unusual or invisible characters from this answer."

DIGIT_SETS = ("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
              "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9")
ARABIC_DECIMAL_SEPARATOR = "\u066b"
_TO_ASCII = str.maketrans(DIGIT_SETS[1] + DIGIT_SETS[2] + ARABIC_DECIMAL_SEPARATOR,
                          DIGIT_SETS[0] * 2 + ".")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_COMMA_NUMBER = re.compile(r"-?[0-9]+(?:,[0-9]+)+(?:\.[0-9]+)?")
_UNUSUAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class AnswerError(ValueError):
    """A raw answer that cannot be accepted; the message is shown to the patient."""


def _one_digit_set(text: str) -> bool:
    return sum(any(ch in digits for ch in text) for digits in DIGIT_SETS) <= 1


def _has_other_digits(text: str) -> bool:
    # Characters with a digit value that we do not read: '²', '５', '𝟓', '①'...
    accepted = "".join(DIGIT_SETS)
    return any(ch not in accepted and unicodedata.digit(ch, None) is not None for ch in text)


def _to_number(ascii_text: str) -> int | float:
    if "." not in ascii_text:
        return int(ascii_text)
    number = float(ascii_text)
    return int(number) if number.is_integer() else number


def parse_answer_number(text: str, unreadable: str = NOT_A_NUMBER_MESSAGE) -> int | float:
    """Read a typed number by the module's rule; AnswerError (message ``unreadable``) if not one."""
    if not isinstance(text, str):
        raise AnswerError(unreadable)
    text = text.strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise AnswerError(unreadable)
    ascii_text = text.translate(_TO_ASCII)
    if _NUMBER.fullmatch(ascii_text) and _one_digit_set(text):
        return _to_number(ascii_text)
    if _has_other_digits(text):
        raise AnswerError(OTHER_DIGITS_MESSAGE)
    if _COMMA_NUMBER.fullmatch(ascii_text) and _one_digit_set(text):
        raise AnswerError(COMMA_MESSAGE)
    raise AnswerError(unreadable)


def answer_text(value: object) -> str:
    """Return one submitted form value as text; AnswerError for values a form cannot send."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        try:
            return str(value)
        except ValueError:  # an int too long to print (more than 4300 digits)
            raise AnswerError(UNREADABLE_MESSAGE) from None
    raise AnswerError(UNREADABLE_MESSAGE)


def check_characters(text: str) -> str:
    """Return text unchanged; AnswerError if it holds control characters or lone surrogates."""
    if _UNUSUAL.search(text):
        raise AnswerError(UNUSUAL_CHARACTERS_MESSAGE)
    return text
