"""Plausible answers for demo patients, stored through the same code as a real patient's."""

from __future__ import annotations

import math
import random
import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from webapp.models import SurveyAssignment
from webapp.survey.answers import complete_assignment, save_answers
from webapp.survey.instruments import library_for_default

ACTIVITIES = ("Opening jars", "Typing", "Walking to the shops", "Holding a steering wheel",
              "Lifting a shopping bag", "Sleeping through the night", "Buttoning a shirt",
              "Climbing stairs", "Running", "Lifting weights")


@dataclass(frozen=True)
class Trajectory:
    """Symptom intensity over time: baseline, relative improvement, speed and noise."""

    baseline: float
    improvement: float  # 0.6 = 60% better at the plateau; negative = worse
    tau_weeks: float
    noise: float
    seed: int
    fade_after_weeks: float | None = None  # the change starts to wane after this many weeks
    fade_weeks: float = 10.0  # ...and keeps about a third of itself this many weeks later

    def change(self, weeks: float) -> float:
        """Return the relative improvement reached `weeks` after the first session."""
        progress = 1 - math.exp(-max(weeks, 0) / self.tau_weeks)
        if self.fade_after_weeks is not None and weeks > self.fade_after_weeks:
            progress *= math.exp(-(weeks - self.fade_after_weeks) / self.fade_weeks)
        return self.improvement * progress

    def level(self, weeks: float, rng: random.Random, offset: float = 0.0) -> int:
        """Return a 0-10 rating at `weeks` after the first session."""
        value = (self.baseline + offset) * (1 - self.change(weeks))
        return max(0, min(10, round(value + rng.gauss(0, self.noise))))


def _answers_for(instrument_id: str, region_index: int, t: Trajectory, weeks: float,
                 rng: random.Random, adverse: bool) -> dict:
    offset = (region_index % 3 - 1) * 0.7  # regions differ a little
    pain = t.level(weeks, rng, offset)
    if instrument_id == "nt-pain":
        return {"pain_now": pain, "pain_worst": min(10, pain + rng.choice((0, 1, 1, 2)))}
    if instrument_id == "nt-paresthesia":
        return {"paresthesia": max(0, min(10, pain + rng.choice((-1, 0, 0, 1))))}
    if instrument_id == "nt-psfs":
        names = random.Random(t.seed).sample(ACTIVITIES, 3)
        answers = {f"activity_{i + 1}": name for i, name in enumerate(names)}
        answers.update({f"rating_{i + 1}": 10 - t.level(weeks, rng, 0.5 * i) for i in range(3)})
        return answers
    if instrument_id == "nt-pgic":
        return {"pgic": _pgic(t, weeks)}
    if instrument_id == "nt-after-session":
        answers = {k: False for k in ("bruising", "swelling", "pain_flare", "infection_signs",
                                      "new_weakness_numbness", "other_problem")}
        answers["bruising"] = rng.random() < 0.15
        answers["new_weakness_numbness"] = adverse
        return answers
    return {}


def _pgic(t: Trajectory, weeks: float) -> int:
    change = t.change(weeks)
    for threshold, answer in ((0.5, 1), (0.3, 2), (0.1, 3), (-0.1, 4), (-0.3, 5), (-0.5, 6)):
        if change >= threshold:
            return answer
    return 7


def answer_assignment(session: Session, assignment: SurveyAssignment, t: Trajectory,
                      weeks: float, at: datetime, *, adverse: bool = False) -> None:
    """Answer every page of an assignment as the patient would, then complete it."""
    library = library_for_default()
    # crc32, not hash(): str hashes change between processes and seeding must not
    rng = random.Random(zlib.crc32(f"{t.seed}:{assignment.slot}".encode()))
    for instrument_id in assignment.instruments:
        instrument = library.get(instrument_id)
        regions = assignment.regions if instrument.per_region else [""]
        for index, region in enumerate(regions):
            answers = _answers_for(instrument_id, index, t, weeks, rng, adverse)
            save_answers(session, assignment=assignment, instrument=instrument,
                         region_code=region, answers=answers, now=at)
    complete_assignment(session, assignment=assignment, library=library, now=at)
