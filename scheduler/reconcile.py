"""Compare stored assignments with a fresh plan: what to create, move, cancel and keep.

- completed, in_progress and missed assignments are history: kept as they are, never moved.
- cancelled assignments stay cancelled (a coordinator may have cancelled them) and their slot is
  not created again.
- pending and open assignments follow the plan: moved when their window changed, cancelled when
  their slot disappeared, kept when unchanged or when their window already closed (the dispatcher
  marks those missed).
- new slots are created unless their window has already closed at ``now``.
- a second stored row for the same slot is cancelled when still pending/open, else kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scheduler.plan_model import ExistingAssignment, Plan, PlannedAssignment, Reconciliation
from scheduler.states import UNSTARTED_ASSIGNMENT_STATUSES as _LIVE


def _claim_order(ex: ExistingAssignment) -> tuple:
    return (ex.slot, ex.status == "cancelled", str(ex.id))


def _decide(ex: ExistingAssignment, target: PlannedAssignment | None, now: datetime) -> str:
    if ex.status not in _LIVE:
        return "keep"
    if target is None:
        return "cancel"
    unchanged = (ex.opens_at, ex.closes_at) == (target.opens_at, target.closes_at)
    if unchanged or ex.closes_at <= now:
        return "keep"
    return "move"


def reconcile(existing: Sequence[ExistingAssignment], plan: Plan,
              now: datetime) -> Reconciliation:
    """Return the changes that bring stored assignments in line with the plan."""
    planned = plan.by_slot()
    result = Reconciliation()
    claimed: set[str] = set()
    for ex in sorted(existing, key=_claim_order):
        target = None if ex.slot in claimed else planned.get(ex.slot)
        duplicate = ex.slot in claimed
        claimed.add(ex.slot)
        action = "cancel" if duplicate and ex.status in _LIVE else _decide(ex, target, now)
        if duplicate and action != "cancel":
            action = "keep"
        if action == "move":
            result.move.append((ex.id, target))
        elif action == "cancel":
            result.cancel.append(ex.id)
        else:
            result.keep.append(ex.id)
    for assignment in plan.assignments:
        if assignment.slot not in claimed and assignment.closes_at > now:
            result.create.append(assignment)
    return result
