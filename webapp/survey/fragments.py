"""Tap-to-answer questions rendered once per wording, language and answer, then reused.

A survey page repeats the same few questions for every patient: the 0-10 scale of "pain now"
in French with 7 ticked is the same HTML whoever sees it, and running it through the Jinja
macros (eleven labelled inputs, escaping, the words around them) costs more than the rest of
the page. So a question with tap choices is rendered once per (question as worded, language,
ticked values, error message) and kept; a typed answer (text, a number) is rendered every
time, as its value is the patient's own words and would only fill the cache.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app
from markupsafe import Markup

from webapp.i18n import page_locale
from webapp.survey.pages import Question

MACROS = "patient/_questions.html"
LIMIT = 1024  # entries of a few kB each; a clinic's questions, languages and answers fit

_rendered: dict[tuple, tuple[object, Markup]] = {}


def question_html(q: Question, vals: Sequence[str], error: object = None) -> Markup:
    """Return one question's HTML, as the `question` macro of patient/_questions.html writes it."""
    if not q.choices:
        return _macros().question(q, vals, error)
    key = (id(q.item), page_locale(), q.label, q.lead, q.optional, q.help, q.choices, q.extras,
           tuple(vals), str(error) if error else None)
    hit = _rendered.get(key)
    if hit is not None and hit[0] is q.item:  # the kept item keeps its id from being reused
        return hit[1]
    html = _macros().question(q, vals, error)
    if len(_rendered) >= LIMIT:
        _rendered.clear()
    _rendered[key] = (q.item, html)
    return html


def activity_html(view, values: dict, errors: dict) -> Markup:
    """Return one PSFS activity slot's HTML (the `activity` macro; not kept: it holds the
    patient's own words)."""
    return _macros().activity(view, values, errors)


def _macros():
    # The template's module without the page's context: made once, where a template's
    # {% from ... import %} under a context with extra globals makes it anew every time.
    return current_app.jinja_env.get_template(MACROS).module
