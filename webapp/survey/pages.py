"""The shape of a patient's survey: its pages, where to resume, PSFS activities carried forward."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from babel.numbers import format_decimal
from flask_babel import get_locale
from sqlmodel import Session, select

from surveys.answer_input import NOT_APPLICABLE
from surveys.catalogue import region_label
from surveys.i18n import localise
from surveys.schema import Instrument, Item
from webapp.i18n import clinic_languages, local_digits, page_locale
from webapp.i18n import gettext as _
from webapp.models import SurveyAssignment, SurveyResponse, SurveyScore

PSFS_ID = "nt-psfs"
PAIN_SCORE_ID = "pain_now"
TAP_TYPES = ("nrs", "single", "yesno")  # answered by one tap, so a "Clear" choice can undo it


@dataclass(frozen=True)
class Page:
    """One page of a survey: one instrument (worded for the patient), for one region or once."""

    number: int
    instrument: Instrument  # as shown: in the patient's language
    region_code: str  # "" when the instrument is asked once
    source: Instrument | None = None  # as served by the library: what answers are stored under
    language: str | None = None
    fallback: str | None = None

    @property
    def stored(self) -> Instrument:
        """Return the instrument answers are stored and scored under (its real id and version)."""
        return self.source or self.instrument

    @property
    def key(self) -> tuple[str, str]:
        """Return (instrument id, region code), the key a stored response has."""
        return self.stored.id, self.region_code

    @property
    def region_label(self) -> str:
        """Return the patient's words for this page's region ("" if none)."""
        if not self.region_code:
            return ""
        return region_label(self.region_code, self.language, self.fallback)


def page_language(config) -> tuple[str | None, str]:
    """Return (this request's language, the clinic's default language) for wording pages."""
    locale = get_locale()
    return (locale.language if locale else None), clinic_languages(config)[0]


_LOCALISED: dict[tuple, tuple[Instrument, Instrument]] = {}


def localised(instrument: Instrument, lang: str | None, fallback: str | None) -> Instrument:
    """Return the instrument worded in lang (else fallback), built once per library instrument."""
    key = (id(instrument), lang, fallback)
    hit = _LOCALISED.get(key)
    if hit is not None and hit[0] is instrument:  # the held reference keeps the id unique
        return hit[1]
    if len(_LOCALISED) > 1024:
        _LOCALISED.clear()
    shown = localise(instrument, lang, fallback)
    _LOCALISED[key] = (instrument, shown)
    return shown


def survey_pages(assignment: SurveyAssignment, library, lang: str | None = None,
                 fallback: str | None = None) -> list[Page]:
    """Return the pages of an assignment: per-region instruments get one page per region."""
    pages: list[Page] = []
    for instrument_id in assignment.instruments:
        source = library.get(instrument_id)
        shown = localised(source, lang, fallback) if lang or fallback else source
        regions = list(assignment.regions) if source.per_region else [""]
        for code in regions:
            pages.append(Page(len(pages) + 1, shown, code, source, lang, fallback))
    return pages


def stored_responses(db: Session, assignment_id: int) -> dict[tuple[str, str], SurveyResponse]:
    """Return the assignment's complete responses keyed by (instrument id, region code)."""
    rows = db.exec(select(SurveyResponse).where(SurveyResponse.assignment_id == assignment_id,
                                                SurveyResponse.is_complete.is_(True))).all()
    return {(r.instrument_id, r.region_code): r for r in rows}


def first_unanswered(pages: list[Page], answered: Mapping) -> int | None:
    """Return the number of the first page without a stored answer, or None if all are done."""
    return next((p.number for p in pages if p.key not in answered), None)


def carried_activities(db: Session, patient_id: int, assignment_id: int) -> dict[str, str]:
    """Return the activity names from the patient's first PSFS answers in an earlier survey."""
    first = db.exec(select(SurveyResponse).where(
        SurveyResponse.patient_id == patient_id, SurveyResponse.instrument_id == PSFS_ID,
        SurveyResponse.is_complete.is_(True), SurveyResponse.assignment_id != assignment_id)
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)).first()
    if first is None:
        return {}
    return {key: str(value) for key, value in first.answers.items()
            if key.startswith("activity_") and value not in (None, "")}


def carried_items(instrument: Instrument, carried: Mapping[str, str]) -> set[str]:
    """Return ids of items not asked again: carried answers and ratings of unnamed activities."""
    if not carried:
        return set()
    hidden = {item.id for item in instrument.items if item.carry_forward}
    hidden |= {item.id for item in instrument.items
               if item.depends_on in hidden and item.depends_on not in carried}
    return hidden


def merge_carried(form: Mapping, carried: Mapping[str, str], hidden: set[str]) -> dict:
    """Return the form as {field: [values]} with carried answers put in place of hidden ones."""
    getlist = form.getlist if hasattr(form, "getlist") else (lambda k: [form[k]])
    merged = {key: list(getlist(key)) for key in form if key not in hidden}
    merged.update({key: [value] for key, value in carried.items() if key in hidden})
    return merged


def ordered_items(instrument: Instrument, hidden: set[str]) -> list[Item]:
    """Return the items to show, each dependent item right after the item it depends on."""
    shown = [item for item in instrument.items if item.id not in hidden]
    dependants = {item.id: [d for d in shown if d.depends_on == item.id] for item in shown}
    ordered: list[Item] = []
    for item in shown:
        if item.depends_on in dependants:
            continue
        ordered.append(item)
        ordered.extend(dependants[item.id])
    return ordered


def question_label(instrument: Instrument, item: Item, names: Mapping[str, object]) -> str:
    """Return the question text, naming the activity when a rating depends on a named one."""
    name = names.get(item.depends_on) if item.depends_on else None
    if not name:
        return item.text
    if instrument.id == PSFS_ID:
        return _("%(name)s: how well can you do this today?", name=name)
    return f"{item.text} ({name})"


def local_number(value: float) -> str:
    """Return a number as the patient's language writes it (Persian digits in Persian)."""
    return _local_number(page_locale(outside_app="en"), value)  # plain digits outside an app


@lru_cache(maxsize=512)
def _local_number(locale: str, value: float) -> str:
    # A page writes the same few numbers (0-10, page counts) on every request: Babel's
    # formatting is worth doing once per language and number.
    return local_digits(format_decimal(value, locale=locale), locale)


@lru_cache(maxsize=64)
def _scale_choices(locale: str, low: int, high: int, step: int) -> tuple[tuple[str, str], ...]:
    return tuple((str(n), _local_number(locale, n)) for n in range(low, high + 1, step))


@dataclass(frozen=True)
class Question:
    """One question as shown: the item, its words, and its tap choices (value, text) if any."""

    item: Item
    label: str
    choices: tuple[tuple[str, str], ...]
    extras: tuple[tuple[str, str], ...] = ()  # "Does not apply to me" and "Clear", below
    optional: bool = False
    lead: str = ""  # a line above the question ("Last time you named: ...")
    help: bool = True


def answer_choices(item: Item) -> tuple[tuple[str, str], ...]:
    """Return the (value, text) pairs of a tap-to-answer item; () for typed answers."""
    if item.type == "nrs":
        low, high = item.bounds()
        step = item.step if item.step and float(item.step).is_integer() else 1
        return _scale_choices(page_locale(outside_app="en"), int(low), int(high),
                              int(step))
    if item.type == "yesno":
        return (("yes", _("Yes")), ("no", _("No")))
    if item.type in ("single", "multi"):
        return tuple((str(o.value), o.label) for o in item.options or [])
    return ()


def extra_choices(item: Item, clear: bool) -> tuple[tuple[str, str], ...]:
    """Return the choices under an item's own: "Does not apply to me", and "Clear" if asked."""
    extras = [(NOT_APPLICABLE, _("Does not apply to me"))] if item.not_applicable else []
    if clear and item.type in TAP_TYPES:
        extras.append(("", _("Clear")))
    return tuple(extras)


def item_question(item: Item, label: str, *, optional: bool | None = None,
                  clear: bool | None = None, **more) -> Question:
    """Return an item as a question; optional tap items get a "Clear" choice."""
    optional = not item.required if optional is None else optional
    return Question(item, label, answer_choices(item),
                    extra_choices(item, optional if clear is None else clear),
                    optional, **more)


def page_questions(instrument: Instrument, hidden: set[str],
                   names: Mapping[str, object]) -> list[Question]:
    """Return the questions a page shows, in order, with their words and choices."""
    return [item_question(item, question_label(instrument, item, names))
            for item in ordered_items(instrument, hidden)]


def as_form_values(answers: Mapping[str, object]) -> dict[str, list[str]]:
    """Turn stored answers back into the strings the form inputs carry."""
    values: dict[str, list[str]] = {}
    for key, value in answers.items():
        items = value if isinstance(value, list) else [value]
        values[key] = [_form_string(v) for v in items if v is not None]
    return values


def _form_string(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def score_words(item: Item, value: float, anchors: bool = True) -> str:
    """Return a rating in words: "5 out of 10 (0 = No pain, 10 = Worst pain)"."""
    low, high = item.bounds()
    text = _("%(value)s out of %(max)s", value=local_number(value), max=local_number(high))
    if not anchors or item.anchors is None:
        return text
    return _("%(score)s (%(low)s = %(low_words)s, %(high)s = %(high_words)s)", score=text,
             low=local_number(low), low_words=item.anchors.min,
             high=local_number(high), high_words=item.anchors.max)


def display_answer(item: Item, value: object) -> str:
    """Return an answer in plain words for the review page."""
    if value is None or value == [] or value == "":
        return _("Not answered")
    if value == NOT_APPLICABLE and item.not_applicable:
        return _("Does not apply to me")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    labels = {str(o.value): o.label for o in item.options or []}
    if isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    if item.type == "nrs" and isinstance(value, int | float):
        return score_words(item, value)
    if item.type == "number" and isinstance(value, int | float):
        return local_number(value)
    return labels.get(_form_string(value), _form_string(value))


def pain_trend(db: Session, patient_id: int) -> list[float]:
    """Return the patient's pain-now scores over time: one mean across regions per survey."""
    rows = db.exec(select(SurveyScore.value, SurveyAssignment.id)
                   .join(SurveyAssignment, SurveyAssignment.id == SurveyScore.assignment_id)
                   .where(SurveyScore.patient_id == patient_id,
                          SurveyScore.score_id == PAIN_SCORE_ID, SurveyScore.value.is_not(None))
                   .order_by(SurveyAssignment.opens_at, SurveyAssignment.id)).all()
    by_assignment: dict[int, list[float]] = {}
    for value, assignment_id in rows:
        by_assignment.setdefault(assignment_id, []).append(value)
    return [round(sum(v) / len(v), 1) for v in by_assignment.values()]
