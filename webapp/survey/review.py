"""What the review page lists for a page's stored answers: each question with its meaning."""

from __future__ import annotations

from collections.abc import Mapping

from surveys.schema import Instrument
from surveys.scoring import is_missing
from webapp.survey.activities import activity_pairs, review_activities
from webapp.survey.pages import carried_items, display_answer, ordered_items, question_label


def answer_rows(instrument: Instrument, answers: Mapping[str, object],
                carried: Mapping[str, str]) -> list[tuple[str, str]]:
    """Return (question, answer in words) rows; activities as (name, score in words)."""
    pairs = activity_pairs(instrument)
    hidden = carried_items(instrument, carried) | {item.id for pair in pairs for item in pair}
    rows = []
    for item in ordered_items(instrument, hidden):
        # A question that depends on an unanswered one was never asked.
        if item.depends_on and is_missing(answers.get(item.depends_on)):
            continue
        rows.append((question_label(instrument, item, answers),
                     display_answer(item, answers.get(item.id))))
    return rows + review_activities(pairs, answers, carried)
