"""Durability of response: first response, loss of response, Kaplan-Meier, responder share.

Definitions from CLINICAL.md ("Analysis", Durability). A region responds at its first answer
meeting the responder threshold, and loses the response at the first of two consecutive
answers that no longer meet it, or at a single non-meeting answer that is its last. The time
from first response to loss is censored at the last answer. Answers are (day, value) pairs
with day 0 = the first session; answers before day 0 are baselines and are not follow-up.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from charts.response import responder_label

LEVELS = {"moderate": frozenset({"moderate", "substantial"}),
          "substantial": frozenset({"substantial"})}
MEMO_LIMIT = 20_000


@dataclass(frozen=True)
class ResponderRule:
    """Which answers count as a response: >= 30% ('moderate') or >= 50% ('substantial') and
    at least `mcid` points, via charts.response; or, for PGIC, a value <= `responder_max`."""

    direction: str = "higher_worse"
    mcid: float | None = 2.0
    level: str = "moderate"
    responder_max: float | None = None
    # A cohort asks about the same (baseline, value) pairs tens of thousands of times.
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False,
                        hash=False)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown responder level {self.level!r}")

    def meets(self, baseline: float | None, value: float) -> bool:
        """Return True when this answer meets the threshold against the baseline."""
        key = (baseline, value)
        met = self._memo.get(key)
        if met is None:
            met = self._meets(baseline, value)
            if len(self._memo) < MEMO_LIMIT:
                self._memo[key] = met
        return met

    def _meets(self, baseline: float | None, value: float) -> bool:
        if self.responder_max is not None:
            return value <= self.responder_max
        if baseline is None:
            return False
        # responder_label is the patient view's rule: baseline 0 on a pain scale is never one.
        return responder_label(baseline, value, self.direction, self.mcid) in LEVELS[self.level]


@dataclass(frozen=True)
class Durability:
    """One region's response: first response day, loss day (None = kept) and last answer day."""

    first_response_day: float | None
    loss_day: float | None
    last_day: float | None

    @property
    def lost(self) -> bool:
        """True when the response was lost (an event), False when censored or never started."""
        return self.loss_day is not None

    @property
    def time(self) -> float | None:
        """Days from first response to loss, or to the last answer when censored."""
        if self.first_response_day is None:
            return None
        end = self.loss_day if self.loss_day is not None else self.last_day
        return end - self.first_response_day


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier curve as steps (times, survival), censor marks and numbers at risk."""

    n: int
    events: int
    times: tuple[float, ...] = ()
    survival: tuple[float, ...] = ()
    censored: tuple[tuple[float, float], ...] = ()
    at_risk: tuple[tuple[float, int], ...] = ()
    median: float | None = None


def follow_up(answers: Iterable[tuple[float, float | None]]) -> list[tuple[float, float]]:
    """Return the answered (day, value) pairs from day 0 on, ordered by day."""
    return sorted((day, value) for day, value in answers if value is not None and day >= 0)


def durability(
    answers: Iterable[tuple[float, float | None]], baseline: float | None,
    rule: ResponderRule = ResponderRule(),
) -> Durability:
    """Return the region's first response day, loss day and last answer day."""
    return region_response(answers, baseline, rule)[0]


def region_response(
    answers: Iterable[tuple[float, float | None]], baseline: float | None,
    rule: ResponderRule = ResponderRule(),
) -> tuple[Durability, float | None]:
    """Return durability() and responder_share() of one region, judging each answer once."""
    ordered = follow_up(answers)
    if not ordered:
        return Durability(None, None, None), None
    meets = [rule.meets(baseline, value) for _, value in ordered]
    return _durability(ordered, meets), _share(ordered, meets)


def _durability(ordered: Sequence[tuple[float, float]], meets: Sequence[bool]) -> Durability:
    last_day = ordered[-1][0]
    start = next((index for index, met in enumerate(meets) if met), None)
    if start is None:
        return Durability(None, None, last_day)
    loss = loss_index(meets, start)
    loss_day = None if loss is None else ordered[loss][0]
    return Durability(ordered[start][0], loss_day, last_day)


def loss_index(meets: Sequence[bool], start: int) -> int | None:
    """Return the index where a response starting at `start` is lost, or None if kept.

    One miss between two meeting answers is a blip, not a loss; a miss at the last answer is
    a loss, since no later answer can show the response came back.
    """
    for index in range(start + 1, len(meets)):
        if meets[index]:
            continue
        if index == len(meets) - 1 or not meets[index + 1]:
            return index
    return None


def responder_share(
    answers: Iterable[tuple[float, float | None]], baseline: float | None,
    rule: ResponderRule = ResponderRule(),
) -> float | None:
    """Return the share of days from day 0 to the last answer spent as a responder.

    The days between two answers count as responder days when the earlier one met the
    threshold; the days before the first answer never do. None without follow-up.
    """
    ordered = follow_up(answers)
    return _share(ordered, [rule.meets(baseline, value) for _, value in ordered])


def _share(ordered: Sequence[tuple[float, float]], meets: Sequence[bool]) -> float | None:
    if not ordered or ordered[-1][0] <= 0:
        return None
    days = sum(later[0] - earlier[0]
               for (earlier, later), met in zip(pairwise(ordered), meets, strict=False) if met)
    return days / ordered[-1][0]


def median_share(shares: Iterable[float | None]) -> float | None:
    """Return the median responder share across regions, skipping regions without one."""
    present = [share for share in shares if share is not None]
    return statistics.median(present) if present else None


def survival_times(durabilities: Iterable[Durability]) -> list[tuple[float, bool]]:
    """Return (time, lost) for the regions that responded; the others are not at risk."""
    return [(d.time, d.lost) for d in durabilities if d.time is not None]


def kaplan_meier(times: Iterable[tuple[float, bool]], at_days: Sequence[float] = ()) -> KaplanMeier:
    """Return the Kaplan-Meier estimate of staying a responder (scipy.stats.ecdf), numbers at
    risk at `at_days` and the median (first time the curve is at or below 0.5), if reached."""
    pairs = [(float(time), bool(lost)) for time, lost in times]
    at_risk = tuple((day, sum(time >= day for time, _ in pairs)) for day in at_days)
    events = sum(lost for _, lost in pairs)
    if not pairs:
        return KaplanMeier(0, 0, at_risk=at_risk)
    from scipy.stats import CensoredData, ecdf  # on first use: survey workers never load it

    data = CensoredData(uncensored=[t for t, lost in pairs if lost],
                        right=[t for t, lost in pairs if not lost])
    sf = ecdf(data).sf
    steps = [float(x) for x in sf.quantiles]
    levels = [float(p) for p in sf.probabilities]
    # The curve starts at 1 on day 0, the day of first response, before any step.
    times_out, survival = (0.0, *steps), (1.0, *levels)
    level_at = dict(zip(steps, levels, strict=True))
    censored = tuple((t, level_at[t]) for t in sorted({t for t, lost in pairs if not lost}))
    median = next((t for t, s in zip(steps, levels, strict=True) if s <= 0.5), None)
    return KaplanMeier(len(pairs), events, times_out, survival, censored, at_risk, median)


def kaplan_meier_by_group(
    groups: Mapping[str, Iterable[tuple[float, bool]]], at_days: Sequence[float] = ()
) -> dict[str, KaplanMeier]:
    """Return one Kaplan-Meier estimate per group, in the mapping's order."""
    return {group: kaplan_meier(times, at_days) for group, times in groups.items()}
