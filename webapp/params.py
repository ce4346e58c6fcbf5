"""Reading values from the URL, the query string and forms, safely, at the edge of the app.

Ids and numbers in requests are ASCII digits only (no sign, no spaces, no superscripts or other
scripts' digits, which `str.isdigit()` accepts and `int()` may refuse) and bounded, so no value
outside the database's INTEGER range ever reaches a query. Text parameters (query, form and
JSON body) may not hold NUL bytes or lone surrogates, which neither database can store or
compare and no page can show.
"""

from __future__ import annotations

import re

from flask import abort, request
from werkzeug.routing import IntegerConverter, ValidationError

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column
_ASCII_DIGITS = re.compile(r"[0-9]+")
_UNREADABLE = re.compile(r"[\x00\ud800-\udfff]")


def parse_int(text: str | None, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """Return the integer written in ASCII digits in `text`, if within low..high; else None."""
    if not text or len(text) > len(str(high)) or not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def id_or_404(text: str | None) -> int:
    """Return the record id in `text`, or abort with 404 when it cannot be one."""
    value = parse_int(text)
    if value is None:
        abort(404)
    return value


def int_arg(name: str, default: int, *, low: int = 1, high: int = MAX_ID) -> int:
    """Return query parameter `name` as a bounded integer, or `default` if absent or not one."""
    value = parse_int(request.args.get(name), low=low, high=high)
    return default if value is None else value


class BoundedIntConverter(IntegerConverter):
    """The `<int:...>` URL converter, for ids: ASCII digits within 1..MAX_ID, else no match."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        """Return the id, or refuse the match (a 404 unless another route fits)."""
        number = parse_int(value, low=1 if self.min is None else self.min,
                           high=MAX_ID if self.max is None else self.max)
        if number is None:
            raise ValidationError()
        return number


def _unreadable(multidict) -> bool:
    return any(_UNREADABLE.search(text) for pair in multidict.items(multi=True)
               for text in pair if isinstance(text, str))


def _unreadable_json() -> bool:
    # Flask-WTF reads a JSON body as form data, so a lone surrogate in one would reach a page
    # and fail to encode; json.loads itself raises RecursionError on deep nesting.
    try:
        pending = [request.get_json(silent=True)]  # None unless the body is readable JSON
    except RecursionError:
        return True
    while pending:  # a loop, not recursion: the document may be nested thousands deep
        item = pending.pop()
        if isinstance(item, str) and _UNREADABLE.search(item):
            return True
        if isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
    return False


def refuse_unreadable_parameters() -> None:
    """Answer 400 to a request whose query, form or JSON body holds a NUL byte or a lone
    surrogate, or whose JSON body is nested too deeply to read."""
    if _unreadable(request.args) or _unreadable(request.form) \
            or (request.is_json and _unreadable_json()):
        abort(400)
