"""Every audit action code the code base can write has plain words on the admin's trail.

The codes are read from the source itself: every call of `add_event`, `audit.record` or a
module's `_audit` helper, with string literals, `a if c else b`, and
names bound to them in the function, at module level, or in the module they are imported
from. A call whose action cannot be read that way fails the test, so no code can slip past it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from webapp.admin.audit_words import ACTION_WORDS, RECORD_NOUNS, action_words

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("webapp", "scheduler")
EMITTERS = {"add_event", "record"}  # action is the second positional argument
HELPERS = {"_audit"}  # modules' own wrappers: their callers pass the action as a literal


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _strings(node, assigned: dict, params: set) -> set[str] | None:
    """The string values `node` can take, or None if they cannot be read from the source."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body, assigned, params), _strings(node.orelse, assigned,
                                                                         params)
        return None if body is None or orelse is None else body | orelse
    if isinstance(node, ast.Name) and node.id in params:
        return set()  # a helper passing its own parameter on: its callers are read instead
    if isinstance(node, ast.Name) and node.id in assigned:
        found = [_strings(value, assigned, params) for value in assigned[node.id]]
        return None if any(f is None for f in found) else set().union(*found)
    return None


def _functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _assignments(nodes, assigned: dict | None = None) -> dict:
    assigned = {key: list(values) for key, values in (assigned or {}).items()}
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
    return assigned


def _codes_in_function(function, module: dict, where: str) -> tuple[set[str], list[str]]:
    assigned, codes, unreadable = _assignments(ast.walk(function), module), set(), []
    params = {a.arg for a in function.args.args + function.args.kwonlyargs}
    for call in ast.walk(function):
        if not isinstance(call, ast.Call):
            continue
        name = _called(call)
        if name in EMITTERS and len(call.args) >= 2:
            found = _strings(call.args[1], assigned, params)
            if found is None:
                unreadable.append(f"{where}:{call.lineno}")
            codes |= found or set()
        elif name in HELPERS:
            for arg in call.args:
                codes |= _strings(arg, assigned, params) or set()
    return codes, unreadable


def _modules() -> dict[str, ast.Module]:
    trees = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            trees[name] = ast.parse(path.read_text(encoding="utf-8"))
    return trees


def _module_scope(tree, constants: dict) -> dict:
    """Module-level names: constants imported from sibling modules, then its own assignments."""
    scope = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in constants:
            source = constants[node.module]
            for alias in node.names:
                if alias.name in source:
                    scope[alias.asname or alias.name] = source[alias.name]
    scope.update(_assignments(tree.body))
    return scope


def emitted_action_codes() -> tuple[set[str], list[str]]:
    """Every action code written anywhere, and the calls whose action cannot be read."""
    trees = _modules()
    constants = {name: _assignments(tree.body) for name, tree in trees.items()}
    codes, unreadable = set(), []
    for name, tree in trees.items():
        scope = _module_scope(tree, constants)
        for function in _functions(tree):
            found, bad = _codes_in_function(function, scope, name)
            codes |= found
            unreadable += bad
    return codes, unreadable


def test_every_action_code_written_anywhere_has_words():
    codes, unreadable = emitted_action_codes()
    assert unreadable == [], "action codes that cannot be read from the source"
    assert len(codes) >= 40  # the reader still finds them all
    missing = sorted(codes - ACTION_WORDS.keys())
    assert missing == [], "add plain words to webapp/admin/audit_words.py for these codes"


@pytest.mark.parametrize(("code", "words"), [
    ("sign_in", "signed in"),
    ("export_cohort", "exported the cohort"),
    ("something_new", "something new"),  # never a bare code, even if one slips in
])
def test_action_words(code, words):
    assert action_words(code) == words


def test_words_read_as_plain_text():
    for table in (ACTION_WORDS, RECORD_NOUNS):
        for code, words in table.items():
            assert "_" not in words and words == words.strip() and words[0].islower(), code
