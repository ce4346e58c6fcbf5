"""Fill a database for the dashboard benchmark: real-code patients and bulk synthetic cohorts.

seed_scleroderma_patient and seed_long_patient go through webapp.care.records and
webapp.survey.answers like a clinic would; seed_cohort bulk-inserts thousands of patients with
3 sessions, procedure records (injectate and volume per region), patient tags, index regions
and ~12 timepoints each.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlmodel import select

from surveys.catalogue import get_region, load_regions
from surveys.loader import load_library
from webapp import models as m
from webapp.care.records import add_treatment_session, record_procedure
from webapp.followup.replan import replan_course
from webapp.patients.enrolment import enrol_patient
from webapp.protocols.store import ensure_default_protocol
from webapp.survey.answers import complete_assignment, save_answers

LIBRARY = load_library()
NOW = datetime(2026, 6, 1, tzinfo=UTC)
SSC_REGIONS = ("median-forearm-left", "ulnar-elbow-left",
               "medial-antebrachial-cutaneous-forearm-left", "median-carpal-tunnel-right",
               "common-fibular-fibular-head-left", "superficial-fibular-lower-leg-left",
               "dorsal-cutaneous-foot-dorsum-foot-right")
COHORT_REGIONS = ("median-carpal-tunnel-right", "median-carpal-tunnel-left", "ulnar-elbow-left",
                  "lateral-femoral-cutaneous-inguinal-ligament-right", "tibial-tarsal-tunnel-left")
INJECTATES = ("D5W", "D5W", "D5W", "saline", "lidocaine", "other")
TAGS = ((), (), (), (), ("diabetes",), ("hypothyroidism",), ("diabetes", "pregnancy"))
ANSWERED = {"nt-pain": lambda v: {"pain_now": v, "pain_worst": min(v + 1, 10)},
            "nt-paresthesia": lambda v: {"paresthesia": v},
            "nt-psfs": lambda v: {"activity_1": "Grip", "rating_1": 10 - v},
            "nt-pgic": lambda v: {"pgic": 2 if v < 4 else 4}}
TIMEPOINTS = (("baseline", "Baseline", 0, "ppf"), ("pre-session", "Before session", 7, "pp"),
              ("pre-session", "Before session", 14, "pp"), *[
                  ("weekly", "Weekly", 7 * w, "ppf") for w in range(3, 8)],
              ("m1", "1 month", 44, "ppfg"), ("m3", "3 months", 105, "ppfg"),
              ("m6", "6 months", 196, "ppfg"), ("m12", "12 months", 379, "ppfg"))
CODES = {"p": "nt-pain", "f": "nt-psfs", "g": "nt-pgic"}


def _pain(region: int, day: int) -> int:
    return max(0, round(7 + region % 3 - (6 + region % 3) * min(max(day, 0) / 42, 1)))


def seed_scleroderma_patient(db, *, study_code: str, start=datetime(2025, 3, 3, 10, tzinfo=UTC)):
    """A 7-region patient, weekly sessions weeks 0-6, answers to 1 year (3 months missed)."""
    version = ensure_default_protocol(db)
    course = enrol_patient(db, study_code=study_code, first_name="Demo", timezone="Europe/London",
                           regions=list(SSC_REGIONS), protocol_version_id=version.id,
                           enrolled_on=start.date(), synthetic=True)
    for week in range(7):
        at = start + timedelta(weeks=week)
        row = add_treatment_session(db, course=course, scheduled_at=at, performed_at=at,
                                    status="performed")
        for index, code in enumerate(SSC_REGIONS):
            record_procedure(db, treatment_session=row, region_code=code, injectate="D5W",
                             concentration="5%", volume_ml=4.0,
                             csa_mm2=12.0 - week * 0.4 if index < 2 else None)
    replan_course(db, course.id, now=start - timedelta(days=10))
    for a in db.exec(select(m.SurveyAssignment).where(
            m.SurveyAssignment.course_id == course.id)).all():
        _answer_all(db, a, start)
    db.commit()
    return course.patient_id


def _answer_all(db, a, start) -> None:
    if a.slot == "m3":
        a.status = "missed"
        db.add(a)
        return
    when = datetime.combine(a.due_on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    day = (a.due_on - start.date()).days
    for iid in (i for i in a.instruments if i in ANSWERED):
        inst = LIBRARY.get(iid)
        for index, code in enumerate(a.regions if inst.per_region else [""]):
            save_answers(db, assignment=a, instrument=inst, region_code=code, now=when,
                         answers=ANSWERED[iid](_pain(index, day)))
    complete_assignment(db, assignment=a, library=LIBRARY, now=when)


def insert_rows(db, model, rows: list[dict]) -> list[int]:
    """Bulk insert and return the new ids in order (one round trip per batch)."""
    if not rows:
        return []
    table = model.__table__
    return list(db.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                           rows).scalars())


def _instruments(code: str) -> list[str]:
    names = [CODES[c] for c in code]
    return [names[0], "nt-paresthesia", *names[2:]]


def _assignment(pid, cid, slot, label, due, status, instruments, regions) -> dict:
    opens = datetime.combine(due, datetime.min.time(), tzinfo=UTC)
    return {"patient_id": pid, "course_id": cid, "slot": slot, "timepoint_key": slot.split(":")[0],
            "label": label, "due_on": due, "opens_at": opens, "closes_at": opens + timedelta(3),
            "instruments": instruments, "regions": regions, "status": status,
            "completed_at": opens + timedelta(hours=9) if status == "completed" else None,
            "created_at": NOW, "updated_at": NOW}


def _answers(db, assignments: list[dict], aids: list[int], value) -> None:
    """Store responses and scores for the completed assignments (value(a, region) -> score)."""
    responses, scores = [], []
    for a, aid in zip(assignments, aids, strict=True):
        if a["status"] != "completed":
            continue
        for iid in a["instruments"]:
            inst = LIBRARY.get(iid)
            for code in (a["regions"] if inst.per_region else [""]):
                responses.append({"assignment_id": aid, "patient_id": a["patient_id"],
                                  "instrument_id": iid, "instrument_version": "1",
                                  "region_code": code, "answers": {}, "is_complete": True,
                                  "started_at": a["completed_at"],
                                  "submitted_at": a["completed_at"]})
                scores.extend({"assignment_id": aid, "patient_id": a["patient_id"],
                               "instrument_id": iid, "region_code": code, "score_id": r.id,
                               "outcome": r.outcome, "value": value(a, code, r.outcome),
                               "scored_at": a["completed_at"]} for r in inst.scores)
    rids = insert_rows(db, m.SurveyResponse, responses)
    by_key = {(r["assignment_id"], r["instrument_id"], r["region_code"]): rid
              for r, rid in zip(responses, rids, strict=True)}
    for score in scores:
        score["response_id"] = by_key[(score["assignment_id"], score["instrument_id"],
                                       score["region_code"])]
    insert_rows(db, m.SurveyScore, scores)


def _course(db, *, study_code: str, regions, start: datetime, sessions: int):
    version = ensure_default_protocol(db)
    course = enrol_patient(db, study_code=study_code, first_name="Syn", timezone="UTC",
                           regions=list(regions), protocol_version_id=version.id,
                           enrolled_on=start.date(), synthetic=True)
    rows = [add_treatment_session(db, course=course, scheduled_at=start + timedelta(weeks=w),
                                  performed_at=start + timedelta(weeks=w), status="performed")
            for w in range(sessions)]
    return course, rows


def seed_long_patient(db, *, study_code: str, regions: int = 8, weeks: int = 104) -> int:
    """A patient with `regions` regions answered weekly for `weeks` weeks (bulk answers)."""
    codes = [r.code for r in load_regions()[:regions]]
    start = datetime(2024, 1, 8, 10, tzinfo=UTC)
    course, _ = _course(db, study_code=study_code, regions=codes, start=start, sessions=7)
    rows = [_assignment(course.patient_id, course.id, f"weekly:{w}", f"Week {w}",
                        start.date() + timedelta(weeks=w), "completed",
                        ["nt-pain", "nt-paresthesia", "nt-psfs"], codes)
            for w in range(weeks + 1)]
    aids = insert_rows(db, m.SurveyAssignment, rows)
    _answers(db, rows, aids, lambda a, code, o: float(
        _pain(codes.index(code) if code else 0, (a["due_on"] - start.date()).days)))
    db.commit()
    return course.patient_id


def _bulk_courses(db, rng, count: int, offset: int):
    """Insert patients (some tagged), courses (some with an index region) and their regions."""
    version = ensure_default_protocol(db)
    pids = insert_rows(db, m.Patient, [
        {"study_code": f"SYN-{offset + i:05d}", "first_name": "Syn", "timezone": "UTC",
         "language": "en", "preferred_channel": "email", "status": "active", "synthetic": True,
         "tags": list(rng.choice(TAGS)), "created_at": NOW, "updated_at": NOW}
        for i in range(count)])
    starts = [NOW - timedelta(days=rng.randint(30, 800)) for _ in pids]
    regions = [rng.sample(COHORT_REGIONS, 1 if rng.random() < 0.7 else 2) for _ in pids]
    cids = insert_rows(db, m.TreatmentCourse, [
        {"patient_id": pid, "enrolled_on": s.date(), "protocol_version_id": version.id,
         "status": "active", "needs_replan": False, "created_at": NOW, "updated_at": NOW,
         # A bilateral patient came for their second side in half the cases.
         "index_region_code": codes[-1] if len(codes) > 1 and rng.random() < 0.5 else None}
        for pid, s, codes in zip(pids, starts, regions, strict=True)])
    insert_rows(db, m.CourseRegion, [
        {"course_id": cid, "region_code": code, "nerve": get_region(code).nerve,
         "side": get_region(code).side, "site": get_region(code).site, "added_at": NOW}
        for cid, codes in zip(cids, regions, strict=True) for code in codes])
    return pids, cids, starts, regions


def _bulk_sessions(db, rng, cids, starts, regions) -> list[int]:
    """Insert 3 weekly performed sessions per course and a procedure record per region."""
    sids = insert_rows(db, m.TreatmentSession, [
        {"course_id": cid, "scheduled_at": s + timedelta(weeks=w),
         "performed_at": s + timedelta(weeks=w), "status": "performed", "created_at": NOW,
         "updated_at": NOW} for cid, s in zip(cids, starts, strict=True) for w in range(3)])
    injectates = [rng.choice(INJECTATES) for _ in cids]
    insert_rows(db, m.ProcedureRecord, [
        {"session_id": sids[3 * n + w], "region_code": code, "injectate": injectates[n],
         "volume_ml": rng.choice((1.0, 2.0, 4.0, 5.0, 10.0))}
        for n, codes in enumerate(regions) for w in range(3) for code in codes])
    return sids


def seed_cohort(db, count: int, *, offset: int = 0, seed: int = 3) -> None:
    """Bulk-insert `count` synthetic patients with 3 sessions and ~12 timepoints each."""
    rng = random.Random(seed + offset)
    today = NOW.date()
    pids, cids, starts, regions = _bulk_courses(db, rng, count, offset)
    sids = _bulk_sessions(db, rng, cids, starts, regions)
    rows, effect = [], {}
    for n, (pid, cid, s) in enumerate(zip(pids, cids, starts, strict=True)):
        effect[pid] = (rng.uniform(4, 9), rng.uniform(-0.3, 0.9), s.date())
        for key, label, day, code in TIMEPOINTS:
            due = s.date() + timedelta(days=day)
            slot = f"{key}:{sids[3 * n + day // 7]}" if key == "pre-session" else (
                f"{key}:{day // 7}" if key == "weekly" else key)
            status = "pending" if due >= today else (
                "completed" if rng.random() < 0.8 else "missed")
            rows.append(_assignment(pid, cid, slot, label, due, status, _instruments(code),
                                    regions[n]))
    aids = insert_rows(db, m.SurveyAssignment, rows)

    def value(a, _code, outcome):
        base, gain, start = effect[a["patient_id"]]
        progress = min(max((a["due_on"] - start).days, 0) / 42, 1) * gain
        if outcome == "pgic":
            return 2.0 if gain > 0.4 else 4.0
        return float(max(0, min(10, round(base * (1 - progress)))))

    _answers(db, rows, aids, value)
    db.commit()
