"""Clinician pages: patient list and filters, patient dashboard, access per role."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests.support.factories import make_course
from tests.support.pages import figures_of, scripts_of
from tests.support.trajectory import build_patient
from tests.support.web import STAFF_PASSWORD, login
from webapp.models import AuditEvent, Patient, SafetyFlag


@pytest.fixture
def clinician(client, make_staff):
    make_staff("clinician")
    login(client, "clinician@clinic.test", STAFF_PASSWORD)
    return client


def _audits(db, action):
    db.expire_all()
    return db.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_dashboard_has_json_figures_local_scripts_only_and_is_audited(clinician, db):
    course = build_patient(db, synthetic=True)
    response = clinician.get(f"/clinic/patients/{course.patient_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    figures = figures_of(html)
    # one interactive figure per panel: each region's symptoms, the median's CSA, function
    assert set(figures) == {"symptoms_median_carpal_tunnel_right", "symptoms_ulnar_elbow_left",
                            "csa_median_carpal_tunnel_right", "function"}
    median = figures["symptoms_median_carpal_tunnel_right"]
    # pain and paresthesia x (band, baseline, line, missed) + sessions + the named-time axis
    assert len(median["data"]) == 2 * 4 + 2
    assert len(figures["function"]["data"]) == 3 + 2  # band, baseline, line + the same two
    assert median["config"]["displayModeBar"] is False  # no nested interactive mode bar
    scripts = scripts_of(html)
    assert all(s.get("src") or s.get("type") == "application/json" for s in scripts)
    sources = [s["src"] for s in scripts if s.get("src")]
    # plotly.js loads only when a view is opened
    assert [src.split("?")[0] for src in sources] == ["/static/panels.js"]
    plotly = re.search(r'data-plotly-src="([^"]+)"', html).group(1)
    assert re.fullmatch(r"/clinic/assets/plotly\.min\.js\?v=[0-9a-f]{16}", plotly)
    assert "synthetic" in html and not re.search(r"<[^>]+\son[a-z]+=", html)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "style-src 'self' 'unsafe-inline'" in csp
    events = _audits(db, "patient_dashboard_viewed")
    assert [(e.patient_id, e.actor_type) for e in events] == [(course.patient_id, "staff")]


def test_summary_table_shows_change_and_responder(clinician, db):
    course = build_patient(db)
    html = clinician.get(f"/clinic/patients/{course.patient_id}").get_data(as_text=True)
    summary = html.split('id="summary"')[1].split("</table>")[0]
    assert "substantial" in summary and "minimal" in summary and "-5" in summary


@pytest.mark.parametrize("erase", [False, True])
def test_unknown_or_erased_patient_is_404(clinician, db, erase):
    course = make_course(db, study_code="NT-0300")
    patient_id = course.patient_id if erase else 9999
    if erase:
        patient = db.get(Patient, course.patient_id)
        patient.erased_at = datetime(2026, 1, 1, tzinfo=UTC)
        db.commit()
    for path in (f"/clinic/patients/{patient_id}", f"/clinic/patients/{patient_id}/sessions/new",
                 f"/clinic/patients/{patient_id}/export.csv"):
        assert clinician.get(path).status_code == 404


def test_plotly_asset_is_served_locally_with_long_cache(app_config, tmp_path):
    from charts.assets import plotly_js_path
    from webapp import create_app
    from webapp.db import get_engine

    # An empty asset folder: no basic bundle, so the full one from the plotly package.
    app = create_app({**app_config, "ASSET_DIR": str(tmp_path / "no-assets")})
    client = app.test_client()
    full = plotly_js_path().read_bytes()
    response = client.get("/clinic/assets/plotly.min.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.get_data() == full and "Content-Encoding" not in response.headers
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{16}"', etag)
    cache = response.cache_control
    assert cache.public and cache.max_age == 365 * 24 * 3600 and cache.immutable
    assert "Accept-Encoding" in response.vary
    assert client.get("/clinic/assets/plotly.min.js",
                      headers={"If-None-Match": etag}).status_code == 304
    packed = client.get("/clinic/assets/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and packed.headers["ETag"] != etag
    assert len(packed.get_data()) < len(full) / 2
    get_engine(app).dispose()


def test_patient_list_search_filters_and_synthetic_label(clinician, db):
    build_patient(db, study_code="NT-0100")
    make_course(db, study_code="NT-0201", first_name="Robin",
                regions=("tibial-tarsal-tunnel-left",), synthetic=True)
    flagged = make_course(db, study_code="NT-0202", first_name="Kim", email="kim@example.test")
    db.add(SafetyFlag(patient_id=flagged.patient_id, kind="worsening", severity="watch",
                      rule_id="worsening:pain", detail="up"))
    db.commit()

    def codes(query):
        response = clinician.get(f"/clinic/patients{query}")
        assert response.status_code == 200
        return re.findall(r">(NT-\d{4})</a>", response.get_data(as_text=True))

    assert codes("") == ["NT-0100", "NT-0201", "NT-0202"]
    assert codes("?q=robin") == ["NT-0201"] and codes("?q=0100") == ["NT-0100"]
    assert codes("?nerve=tibial") == ["NT-0201"]
    assert codes("?flags=1") == ["NT-0202"]
    assert codes("?responder=moderate") == ["NT-0100"]  # mean pain 7 -> 4: -43%
    assert codes("?responder=substantial") == []
    assert codes("?responder=no+data") == ["NT-0201", "NT-0202"]
    assert codes("?status=withdrawn") == []
    assert codes("?q=%25") == [] and codes("?q=NT_0") == []  # wildcards match themselves
    assert codes("?overdue=1") == ["NT-0100"]  # its later follow-ups are long past due
    html = clinician.get("/clinic/patients?q=robin").get_data(as_text=True)
    assert '<span class="tag">synthetic</span>' in html
    assert _audits(db, "patient_list_viewed")


@pytest.mark.parametrize("query", ["?nerve=spleen", "?status=asleep", "?responder=great",
                                   "?flags=yes"])
def test_patient_list_refuses_unknown_filter_values(clinician, db, query):
    response = clinician.get(f"/clinic/patients{query}")
    assert response.status_code == 400
    assert "choose one from the list" in response.get_data(as_text=True)


PAGES = ["/clinic/patients", "/clinic/patients/{pid}", "/clinic/patients/{pid}/report",
         "/clinic/patients/{pid}/sessions/new",
         "/clinic/cohort", "/clinic/safety", "/clinic/export.csv",
         "/clinic/patients/{pid}/export.csv"]


@pytest.mark.parametrize("role", ["clinician", "coordinator", "admin", None])
def test_each_role(client, make_staff, db, role):
    course = make_course(db, study_code="NT-0400")
    if role:
        make_staff(role)
        login(client, f"{role}@clinic.test", STAFF_PASSWORD)
    expected = {"clinician": 200, "coordinator": 403, "admin": 403, None: 302}[role]
    for page in PAGES:
        response = client.get(page.format(pid=course.patient_id))
        assert response.status_code == expected, page
        if role is None:
            assert "/login" in response.headers["Location"]
