"""The demo seed: the published case, a cohort of at least 60, deterministic and idempotent."""

from __future__ import annotations

from datetime import date

from sqlmodel import func, select

from webapp.demo.seed import (
    DEMO_PATIENTS_ABROAD,
    SCLERODERMA_CODE,
    SCLERODERMA_REGIONS,
    seed_demo,
)
from webapp.models import (
    CourseRegion,
    Patient,
    ProcedureRecord,
    SafetyFlag,
    StaffUser,
    SurveyAssignment,
    SurveyScore,
    TreatmentCourse,
    TreatmentSession,
)

TODAY = date(2026, 11, 21)


def _fingerprint(db) -> list:
    rows = db.exec(select(Patient.study_code, SurveyAssignment.slot, SurveyScore.score_id,
                          SurveyScore.region_code, SurveyScore.value)
                   .join(SurveyAssignment, SurveyAssignment.patient_id == Patient.id)
                   .join(SurveyScore, SurveyScore.assignment_id == SurveyAssignment.id)).all()
    return sorted(rows)


def test_seed_is_complete_deterministic_and_idempotent(db):
    summary = seed_demo(session=db, today=TODAY)
    assert summary.created == {"staff users": 3, "patients": 68}
    assert {u.role for u in db.exec(select(StaffUser)).all()} == {"clinician", "coordinator",
                                                                   "admin"}
    synthetic = db.exec(select(func.count()).select_from(Patient)
                        .where(Patient.synthetic.is_(True))).one()
    assert synthetic >= 60
    first = _fingerprint(db)
    _assert_subgroups_to_analyse(db)
    again = seed_demo(session=db, today=TODAY)
    assert again.describe() == "Demo data already present: nothing changed."
    assert _fingerprint(db) == first


def _assert_subgroups_to_analyse(db) -> None:
    """Carpal tunnel on D5W and on other injectates, clinic tags, index regions."""
    carpal = db.exec(select(ProcedureRecord.injectate).distinct().where(
        ProcedureRecord.region_code.like("median-carpal-tunnel-%"))).all()
    assert set(carpal) == {"D5W", "saline", "lidocaine"}
    tagged = [tags for tags in db.exec(select(Patient.tags).where(Patient.synthetic)).all()
              if tags]
    assert len(tagged) >= 10 and {"diabetes", "hypothyroidism"} <= {t for ts in tagged
                                                                      for t in ts}
    chosen = db.exec(select(TreatmentCourse.id, TreatmentCourse.index_region_code)
                     .where(TreatmentCourse.index_region_code.is_not(None))).all()
    first = {cid: db.exec(select(CourseRegion.region_code).where(CourseRegion.course_id == cid)
                          .order_by(CourseRegion.id)).first() for cid, _ in chosen}
    assert len(chosen) >= 10
    assert any(first[cid] != code for cid, code in chosen)  # not always the first enrolled


def test_the_scleroderma_case_follows_the_paper(db):
    seed_demo(session=db, today=TODAY, cohort_size=0)
    case = db.exec(select(Patient).where(Patient.study_code == SCLERODERMA_CODE)).one()
    assert case.synthetic is False
    regions = db.exec(select(CourseRegion.region_code)).all()
    assert set(SCLERODERMA_REGIONS) <= set(regions) and len(SCLERODERMA_REGIONS) == 7
    sessions = db.exec(select(TreatmentSession).order_by(TreatmentSession.scheduled_at)).all()
    case_sessions = [s for s in sessions if s.status == "performed"]
    assert len(case_sessions) == 7
    pairs = zip(case_sessions, case_sessions[1:], strict=False)
    gaps = {(b.scheduled_at - a.scheduled_at).days for a, b in pairs}
    assert gaps == {7}
    injectates = set(db.exec(select(ProcedureRecord.injectate)).all())
    assert injectates == {"D5W", "D15W"}
    assert case.tags == ["scleroderma"]
    notes = [s.notes for s in case_sessions]
    assert all(notes) and max(len(n) for n in notes) <= 100 and "D5W" in notes[0]
    index = db.exec(select(TreatmentCourse.index_region_code)
                    .where(TreatmentCourse.patient_id == case.id)).one()
    assert index == SCLERODERMA_REGIONS[0]
    pain = db.exec(select(SurveyAssignment.slot, func.avg(SurveyScore.value))
                   .join(SurveyScore, SurveyScore.assignment_id == SurveyAssignment.id)
                   .where(SurveyAssignment.patient_id == case.id,
                          SurveyScore.score_id == "pain_now")
                   .group_by(SurveyAssignment.slot)).all()
    by_slot = dict(pain)
    assert by_slot["baseline"] >= 7
    assert by_slot["m12"] <= 1.5  # near-complete resolution, still well at one year


def test_some_patients_answer_in_french_and_in_persian(db):
    seed_demo(session=db, today=TODAY)
    answered = dict(db.exec(select(Patient.language, func.count(func.distinct(Patient.id)))
                            .join(SurveyScore, SurveyScore.patient_id == Patient.id)
                            .group_by(Patient.language)).all())
    assert answered.get("fr", 0) >= 1 and answered.get("fa", 0) >= 1 and answered["en"] > 10
    languages = dict(db.exec(select(Patient.study_code, Patient.language)).all())
    assert languages[SCLERODERMA_CODE] == "fa"
    assert [languages[code] for code, *_ in DEMO_PATIENTS_ABROAD] == ["fr", "fa"]


def test_cohort_has_varied_outcomes_missed_visits_and_flags(db):
    seed_demo(session=db, today=TODAY)
    statuses = set(db.exec(select(SurveyAssignment.status)).all())
    assert {"completed", "missed", "pending"} <= statuses
    kinds = set(db.exec(select(SafetyFlag.kind)).all())
    assert kinds == {"adverse_event", "worsening"}
    serious = db.exec(select(func.count()).select_from(SafetyFlag)
                      .where(SafetyFlag.severity == "serious")).one()
    assert serious >= 1


def test_demo_command_prepares_and_prints_logins_and_a_working_link(tmp_path):
    import os
    import re
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("NERVETRACK_")}
    result = subprocess.run([sys.executable, "-c", "from webapp.cli.main import main; main()",
                             "demo", "--no-serve", "--port", "5099"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    for role in ("clinician", "coordinator", "admin"):
        assert f"{role}@demo.nervetrack.org" in result.stdout
    link = re.search(r"http://127\.0\.0\.1:5099/p/t/([A-Za-z0-9_-]{43})", result.stdout)
    assert link, result.stdout
    assert (tmp_path / "instance" / "nervetrack.db").exists()
    assert (tmp_path / "instance" / "secret_key").exists()
    from webapp import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    response = app.test_client().get(f"/p/t/{link.group(1)}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/p/")
    for language, heading in (("French", "Vos questions pour aujourd'hui"),
                              ("Persian", "پرسش‌های امروز شما")):
        token = re.search(rf"patient link in {language}: http://127\.0\.0\.1:5099/p/t/"
                          r"([A-Za-z0-9_-]{43})", result.stdout)
        assert token, result.stdout
        client = app.test_client()
        assert client.get(f"/p/t/{token.group(1)}").status_code == 303
        page = client.get("/p/", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert heading in page.replace("&#39;", "'")
