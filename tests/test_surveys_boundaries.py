"""The surveys package is the functional core: no web or database imports."""

import ast
from pathlib import Path

import pytest

SURVEYS = Path(__file__).parents[1] / "surveys"
FORBIDDEN = {"flask", "sqlmodel", "sqlalchemy", "webapp", "werkzeug"}


def imported_roots(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("path", sorted(SURVEYS.rglob("*.py")), ids=lambda p: p.name)
def test_no_web_or_database_imports(path):
    assert FORBIDDEN.isdisjoint(imported_roots(path))


def test_checker_sees_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import flask.views\nfrom sqlalchemy import select\n")
    assert set(imported_roots(sample)) == {"flask", "sqlalchemy"}
