"""`nervetrack export-fhir --out DIR`: the cohort NDJSON, a summary of counts, one-line mistakes."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from sqlmodel import select

from tests.support.fhir import validate_bundle
from tests.support.trajectory import build_patient
from webapp.cli.main import cli
from webapp.fhir.cli import FILENAME
from webapp.models import AuditEvent


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_export_writes_one_bundle_per_patient_and_prints_the_counts(runner, db, tmp_path):
    for code in ("NT-0101", "NT-0102"):
        build_patient(db, study_code=code)
    out = tmp_path / "exports" / "fhir"
    result = runner.invoke(cli, ["export-fhir", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = (out / FILENAME).read_text(encoding="utf-8").splitlines()
    counts: Counter = Counter()
    for line in lines:
        counts.update(validate_bundle(json.loads(line)))
    assert len(lines) == 2 and counts["Patient"] == 2
    summary = result.output.strip()
    assert summary.startswith(f"Wrote 2 bundles ({sum(counts.values())} resources: ")
    printed = {kind: int(n) for n, kind in re.findall(r"(\d+) ([A-Z]\w+)", summary)}
    assert printed == dict(counts)
    assert [p.name for p in out.iterdir()] == [FILENAME]  # no partial file left behind
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "cohort_fhir_exported")).one()
    assert (event.actor_label, event.detail["patients"]) == ("cli", 2)


def test_an_empty_clinic_writes_an_empty_file(runner, db, tmp_path):
    result = runner.invoke(cli, ["export-fhir", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / FILENAME).read_text() == ""
    assert "Wrote 0 bundles (0 resources: no resources)" in result.output


@pytest.mark.parametrize(("args", "message"), [
    ([], "Missing option '--out'"),
    (["--out"], "Option '--out' requires an argument"),
    (["--out", "{dir}", "--bogus"], "No such option '--bogus'"),
    (["--out", "{file}"], "is a file, not a folder"),
])
def test_bad_flags_exit_2_with_one_line(runner, db, tmp_path, args, message):
    (tmp_path / "taken").write_text("x")
    filled = [a.format(dir=tmp_path, file=tmp_path / "taken") for a in args]
    result = runner.invoke(cli, ["export-fhir", *filled])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / FILENAME).exists()
