"""The pure scheduler modules import only the standard library (no web framework, no database)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PURE = ["scheduler.protocol", "scheduler.protocol_model", "scheduler.plan_model",
        "scheduler.localtime", "scheduler.planner", "scheduler.reconcile", "scheduler.messages",
        "scheduler.retry", "scheduler.channels"]
FORBIDDEN = ("flask", "sqlmodel", "sqlalchemy", "webapp", "pydantic", "apscheduler")
PROBE = """
import importlib, json, sys
before = set(sys.modules)
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(set(sys.modules) - before)))
"""


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports(module):
    out = subprocess.run([sys.executable, "-c", PROBE, module], check=True,
                         capture_output=True, text=True).stdout
    loaded = json.loads(out)
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert bad == []
    ours = {m.split(".")[0] for m in loaded if not m.startswith("_sysconfigdata")}
    ours -= set(sys.stdlib_module_names)
    assert ours <= {"scheduler"}, ours
