"""The floor of the survey load benchmark: a bare Flask app doing a survey page's database work.

A page (GET) is one indexed lookup of the patient's open follow-up and a template compiled
once; a submit (POST) checks the form token, validates three answers (whole numbers 0 to 10),
reads the follow-up again and inserts the answers, in one transaction. The patient's id and
form token live in Flask's signed cookie. One psycopg connection per worker process, opened
after the fork. Run by bench/bench_survey_load.py:
gunicorn -w 2 'bench.floor_app:create_floor_app()' with FLOOR_DATABASE_URL and FLOOR_SECRET_KEY.
"""

from __future__ import annotations

import hmac
import json
import os
from datetime import UTC, datetime

import psycopg
from flask import Flask, abort, redirect, request, session

QUESTIONS = ("pain_now", "pain_worst", "paresthesia")
TABLE = "bench_floor_answer"
CREATE_TABLE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, "
                "assignment_id integer NOT NULL, page integer NOT NULL, answers jsonb NOT NULL, "
                "saved_at timestamptz NOT NULL)")
OPEN_ASSIGNMENT = ("SELECT id, label, closes_at FROM survey_assignment WHERE id = %s "
                   "AND patient_id = %s AND status IN ('pending', 'open', 'in_progress') "
                   "AND opens_at <= %s AND closes_at > %s")
SAVE = f"INSERT INTO {TABLE} (assignment_id, page, answers, saved_at) VALUES (%s, %s, %s, %s)"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your questions</title></head>
<body><main>
<p>Page {{ number }}: {{ label }}. Please answer by {{ closes_at.strftime('%d %B') }}.</p>
<form method="post">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
{% for name in questions %}
<fieldset><legend>{{ name.replace('_', ' ') }} (0 = none, 10 = worst)</legend>
{% for value in range(11) %}
<label><input type="radio" name="{{ name }}" value="{{ value }}"
{%- if errors.get(name) %} aria-invalid="true"{% endif %}> {{ value }}</label>
{% endfor %}
{% if errors.get(name) %}<p class="error">{{ errors[name] }}</p>{% endif %}
</fieldset>
{% endfor %}
<button>Next</button>
</form></main></body></html>
"""

_connection: psycopg.Connection | None = None


def _db() -> psycopg.Connection:
    global _connection  # one connection per worker process, opened on first use
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["FLOOR_DATABASE_URL"])
    return _connection


def _open_assignment(conn: psycopg.Connection, assignment_id: int):
    now = datetime.now(UTC)
    row = conn.execute(OPEN_ASSIGNMENT, (assignment_id, session.get("pid"), now, now)).fetchone()
    if row is None:
        conn.rollback()
        abort(404)
    return row


def _validate(form) -> tuple[dict, dict]:
    answers, errors = {}, {}
    for name in QUESTIONS:
        value = form.get(name, "")
        if value.isdigit() and 0 <= int(value) <= 10:
            answers[name] = int(value)
        else:
            errors[name] = "Please choose a number from 0 to 10."
    return answers, errors


def create_floor_app() -> Flask:
    """Build the floor app (configured from FLOOR_* environment variables)."""
    app = Flask(__name__)
    app.secret_key = os.environ["FLOOR_SECRET_KEY"]
    template = app.jinja_env.from_string(PAGE)  # compiled once

    def render(row, number, errors):
        return template.render(number=number, label=row[1], closes_at=row[2],
                               csrf=session.get("csrf", ""), questions=QUESTIONS, errors=errors)

    @app.get("/f/a/<int:assignment_id>/<int:number>")
    def show_page(assignment_id: int, number: int):
        conn = _db()
        row = _open_assignment(conn, assignment_id)
        conn.rollback()
        return render(row, number, {})

    @app.post("/f/a/<int:assignment_id>/<int:number>")
    def save_page(assignment_id: int, number: int):
        if not hmac.compare_digest(request.form.get("csrf_token", ""), session.get("csrf", "-")):
            abort(400)
        answers, errors = _validate(request.form)
        conn = _db()
        row = _open_assignment(conn, assignment_id)
        if errors:
            conn.rollback()
            return render(row, number, errors), 400
        conn.execute(SAVE, (assignment_id, number, json.dumps(answers), datetime.now(UTC)))
        conn.commit()
        return redirect(f"/f/a/{assignment_id}/{number + 1}", 303)

    @app.get("/f/ready")
    def ready():
        return "ok"

    return app
