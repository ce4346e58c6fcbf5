"""Activities named one at a time (PSFS): which slots a page shows, adding and removing one.

An activity list is an instrument whose carried-forward text items each have a rating that
depends on them (nt-psfs: activity_1..5 with rating_1..5). The answers keep those keys, so
stored data and scores do not depend on how the page asks for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from surveys.answer_input import AnswerError, parse_answer_number
from surveys.schema import Instrument, Item
from webapp.i18n import gettext as _
from webapp.survey.pages import Question, item_question, local_number, score_words


@dataclass(frozen=True)
class Slot:
    """One activity as the page shows it: open (its questions) or summed up in a line."""

    number: int
    name_item: Item
    rating_item: Item
    name: str  # "" until the patient names it
    rating: str  # the form value, "" if not rated
    carried: bool = False  # named in an earlier survey: only the rating is asked
    open: bool = False

    @property
    def anchor(self) -> str:
        """Return the id of the slot's element, the target of "#activity-N" links."""
        return f"activity-{self.number}"

    @property
    def keys(self) -> tuple[str, str]:
        """Return the (name, rating) form field names."""
        return self.name_item.id, self.rating_item.id


def activity_pairs(instrument: Instrument) -> list[tuple[Item, Item]]:
    """Return the (name item, rating item) pairs of an activity list; [] for other instruments."""
    names = {i.id: i for i in instrument.items if i.type == "text" and i.carry_forward}
    return [(names[item.depends_on], item) for item in instrument.items
            if item.depends_on in names and item.type == "nrs"]


def _text(values: list[str] | None) -> str:
    return next((str(v).strip() for v in values or [] if str(v).strip()), "")


def _filled(values: Mapping[str, list[str]], name: Item, rating: Item) -> bool:
    return bool(_text(values.get(name.id)) or _text(values.get(rating.id)))


def compact_activities(pairs: list[tuple[Item, Item]], form: Mapping[str, list[str]],
                       remove: int | None = None) -> dict[str, list[str]]:
    """Return the form with blank (and the removed) activities dropped, the rest renumbered."""
    kept = [(form.get(name.id, []), form.get(rating.id, []))
            for number, (name, rating) in enumerate(pairs, start=1)
            if number != remove and _filled(form, name, rating)]
    ids = {item.id for pair in pairs for item in pair}
    out = {key: list(value) for key, value in form.items() if key not in ids}
    for (name, rating), (name_values, rating_values) in zip(pairs, kept, strict=False):
        out[name.id], out[rating.id] = list(name_values), list(rating_values)
    return out


def named_count(pairs: list[tuple[Item, Item]], values: Mapping[str, list[str]]) -> int:
    """Return how many activities the (compacted) answers hold."""
    return sum(_filled(values, name, rating) for name, rating in pairs)


def slot_number(text: object, pairs: list) -> int | None:
    """Return a slot number from a form or query value; None unless it is 1..len(pairs)."""
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > 2:
        return None
    number = int(text)
    return number if 1 <= number <= len(pairs) else None


def _errored(pairs, errors: Mapping[str, str]) -> set[int]:
    return {n for n, (name, rating) in enumerate(pairs, start=1)
            if name.id in errors or rating.id in errors}


def _carried_slots(pairs, values, carried, errors, open_number) -> list[Slot]:
    numbers = [n for n, (name, _rating) in enumerate(pairs, start=1) if name.id in carried]
    unrated = [n for n in numbers if not _text(values.get(pairs[n - 1][1].id))]
    opened = _errored(pairs, errors) or ({open_number} if open_number in numbers else set())
    opened = opened or set(unrated[:1])  # each in turn, then all summed up for a change
    return [Slot(n, *pairs[n - 1], carried[pairs[n - 1][0].id],
                 _text(values.get(pairs[n - 1][1].id)), True, n in opened) for n in numbers]


def page_slots(pairs: list[tuple[Item, Item]], values: Mapping[str, list[str]],
               carried: Mapping[str, str], errors: Mapping[str, str],
               open_number: int | None) -> list[Slot]:
    """Return the slots a page shows, one open at a time (more only to show their errors)."""
    if not pairs:
        return []
    if carried:
        return _carried_slots(pairs, values, carried, errors, open_number)
    filled = [n for n, (name, rating) in enumerate(pairs, start=1)
              if _filled(values, name, rating)]
    opened = _errored(pairs, errors)
    if not opened:
        wanted = open_number if open_number in (*filled, len(filled) + 1) else None
        opened = {wanted or (0 if filled else 1)}
    # Only the next empty slot can be opened: activities stay numbered 1, 2, 3 without gaps.
    numbers = filled + ([len(filled) + 1] if len(filled) + 1 in opened - set(filled) else [])
    return [Slot(n, *pairs[n - 1], _text(values.get(pairs[n - 1][0].id)),
                 _text(values.get(pairs[n - 1][1].id)), open=n in opened) for n in numbers]


def split_waiting(pairs: list[tuple[Item, Item]], errors: Mapping[str, str],
                  asked: set[int]) -> tuple[dict[str, str], list[int]]:
    """Split a carried page's errors: those to show now, and the activities not yet asked
    (their missing scores are the next steps, not mistakes)."""
    waiting = [n for n, (_name, rating) in enumerate(pairs, start=1)
               if rating.id in errors and n not in asked]
    later = {pairs[n - 1][1].id for n in waiting}
    return {key: value for key, value in errors.items() if key not in later}, waiting


def asked_slots(form: Mapping, pairs: list) -> set[int]:
    """Return the carried activities whose score the page asked (hidden "asked" fields)."""
    values = form.getlist("asked") if hasattr(form, "getlist") else [form.get("asked")]
    return {n for n in (slot_number(v, pairs) for v in values) if n is not None}


@dataclass(frozen=True)
class Step:
    """An activity button pressed instead of Next: add one, open one, or remove one."""

    action: str  # "add", "open" or "remove"
    number: int | None = None  # the slot to open or remove

    def opens(self, count: int, limit: int) -> int | None:
        """Return the slot the page opens next, given how many activities are now named."""
        if self.action == "add":
            return count + 1 if count < limit else None
        if self.action == "open" and self.number is not None and self.number <= count:
            return self.number
        return None


def activity_step(pairs: list[tuple[Item, Item]], form: Mapping) -> Step | None:
    """Return the activity button a form was sent with; None for Next (or no activity list)."""
    if not pairs:
        return None
    for action in ("remove", "open", "add"):
        if action in form:
            return Step(action, slot_number(form.get(action), pairs))
    return None


def name_first(pairs: list[tuple[Item, Item]], values: Mapping[str, list[str]],
               errors: Mapping[str, str]) -> dict[str, str]:
    """Move the error of a rated but unnamed activity from its score to its name."""
    out = dict(errors)
    for name, rating in pairs:
        if rating.id in out and not _text(values.get(name.id)) and _text(values.get(rating.id)):
            del out[rating.id]
            out[name.id] = _("Please name this activity, or choose Clear under its score.")
    return out


def rating_words(slot: Slot) -> str:
    """Return a slot's score in short words ("3 out of 10"), or that it is not rated yet."""
    try:
        return score_words(slot.rating_item, parse_answer_number(slot.rating), anchors=False)
    except AnswerError:
        return _("Not rated yet")


@dataclass(frozen=True)
class SlotView:
    """A slot with the questions it shows when open."""

    slot: Slot
    name: Question | None  # None for a carried activity: its name is not asked again
    rating: Question
    summary: str  # "3 out of 10", shown when closed


def slot_view(slot: Slot) -> SlotView:
    """Return the words and choices of one slot."""
    rating_item, name_item = slot.rating_item, slot.name_item
    if slot.carried:
        rating = item_question(rating_item, _("How well can you do this today?"), clear=False,
                               lead=_("Last time you named: %(name)s", name=slot.name))
        return SlotView(slot, None, rating, rating_words(slot))
    if slot.name:
        label = _("Activity %(number)s", number=local_number(slot.number))
        name = item_question(name_item, label, optional=False, help=False)
        rating = item_question(rating_item, _("%(name)s: how well can you do this today?",
                                              name=slot.name), optional=False, clear=False)
    else:
        name = item_question(name_item, name_item.text, optional=False)
        rating = item_question(rating_item, rating_item.text, optional=False, clear=True)
    return SlotView(slot, name, rating, rating_words(slot))


def review_activities(pairs: list[tuple[Item, Item]], answers: Mapping[str, object],
                      carried: Mapping[str, str]) -> list[tuple[str, str]]:
    """Return (activity name, score in words) for every named activity of stored answers."""
    rows = []
    for name, rating in pairs:
        label = carried.get(name.id) or answers.get(name.id)
        value = answers.get(rating.id)
        if label and isinstance(value, int | float) and not isinstance(value, bool):
            rows.append((str(label), score_words(rating, value)))
        elif label:
            rows.append((str(label), _("Not answered")))
    return rows
