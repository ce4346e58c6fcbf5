"""The standing hostile-input run: every route of the app with hostile path, query and form values.

A plan is built from `app.url_map` alone, so a new route is covered the day it is added: path
parameters are swapped for out-of-range, negative, huge, non-ASCII and NUL values; query
strings and form fields (read from the real forms the visitor can see) for NUL, lone
surrogates, 10,000 characters, superscripts, other scripts' digits and huge numbers; JSON
fields also for deep nesting. The visitor who passes a route's access check gets the full
sets (ids and values other than a few sent everywhere rotate from route to route); a visitor
turned away, or a second visitor of a public route, gets one request with everything hostile.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from sqlmodel import SQLModel

from tests.support.forms import Form, page_forms
from tests.support.security import route_path, routes

# Path segments, already percent-encoded as a client would send them.
INT_PATH = {"zero": "0", "negative": "-1", "2^31": str(2**31), "2^63": str(2**63),
            "20 digits": "9" * 20, "superscript two": "%C2%B2", "Arabic-Indic five": "%D9%A5",
            "full-width one": "%EF%BC%91", "NUL": "%00", "one then NUL": "1%00",
            "lone surrogate": "%ED%A0%80"}
TEXT_PATH = {"NUL": "%00", "lone surrogate": "%ED%A0%80", "10k characters": "x" * 10_000,
             "superscript two": "%C2%B2", "dot-dot": "..%2F..%2Fsecret", "2^63": str(2**63)}
# Values as typed: sent URL-encoded (a lone surrogate as the UTF-8 bytes a client would send).
VALUES = {"NUL": "a\x00b", "lone surrogate": "\ud800", "10k characters": "x" * 10_000,
          "superscript two": "\u00b2", "Arabic-Indic five": "\u0665", "20 digits": "9" * 20,
          "2^31": str(2**31), "negative": "-1"}
# Every name a view reads from the query string; GET forms add their own fields.
QUERY_NAMES = ("q", "page", "patient", "from", "before", "status", "nerve", "responder", "flags",
               "overdue", "outcome", "timepoint", "action", "actor", "since", "until", "copy",
               "then", "next", "v", "kind", "severity", "region")
TRACE_WORDS = ("Traceback (most recent call last)", 'File "/', "sqlalchemy.exc", "psycopg.",
               "IntegrityError", "werkzeug.exceptions")
CSRF = "csrf_token"
# Sent on every route a visitor reaches; the other values rotate from route to route.
ALWAYS_IDS = ("2^31", "superscript two")
ALWAYS_VALUES = ("NUL", "superscript two", "20 digits")


@dataclass(frozen=True)
class Case:
    """One hostile request."""

    endpoint: str
    method: str
    path: str
    label: str
    query: str = ""
    form: tuple[tuple[str, str], ...] | None = None
    json_body: str | None = None  # sent as application/json, with the CSRF token in a header


def _encode(text: str) -> str:
    return quote(text, safe="", errors="surrogatepass")


def swapped_path(rule, ids: dict, name: str, raw: str) -> str:
    """The route's path with valid ids, except argument `name`, which is `raw` (encoded)."""
    path = rule.rule
    for arg in rule.arguments:
        value = raw if arg == name else quote(str(ids[arg]), safe="")
        path = re.sub(rf"<(?:[^:<>]+:)?{re.escape(arg)}>", lambda _m, v=value: v, path)
    return path


def path_values(rule, name: str) -> dict[str, str]:
    """The hostile values for one path argument, by its converter."""
    converter = type(rule._converters[name]).__name__
    if converter in ("BoundedIntConverter", "IntegerConverter"):
        return INT_PATH
    if converter in ("UnicodeConverter", "PathConverter"):
        return TEXT_PATH
    raise AssertionError(f"{rule.rule}: no hostile values for a {converter} argument")


def json_values(default: str) -> dict[str, str]:
    """Hostile JSON for a field whose default is a JSON document."""
    values = {"JSON nested 5000 deep": "[" * 5000 + "]" * 5000,
              "JSON number 10^5000": "1" + "0" * 5000}
    try:
        document = json.loads(default)
    except ValueError:
        return values
    if isinstance(document, dict):
        first_text = next((k for k, v in document.items() if isinstance(v, str)), None)
        if first_text:
            values["JSON lone surrogate"] = json.dumps({**document, first_text: "\ud800"})
        for key in ("channels", "quiet_hours"):
            if key in document:
                values[f"JSON {key} null"] = json.dumps({**document, key: None})
    return values


def is_json(text: str) -> bool:
    return text.lstrip().startswith(("{", "["))


@dataclass
class Site:
    """What a visitor can see: the forms on the pages it may open, and its CSRF token."""

    post_forms: dict[str, Form]
    get_fields: dict[str, set[str]]
    token: str


def crawl(client, app, ids: dict) -> Site:
    """Open every GET route with valid ids and collect the forms on the pages."""
    post_forms: dict[str, Form] = {}
    get_fields: dict[str, set[str]] = {}
    token = ""
    for rule, method in routes(app):
        if method != "GET" or rule.endpoint in ("static", "dashboards.send_plotly_js"):
            continue
        path = route_path(rule, ids)
        response = client.get(path)
        html = response.get_data(as_text=True)
        response.close()  # a streamed body holds its request's database session until closed
        if not response.content_type.startswith("text/html"):
            continue
        for form in page_forms(html, path):
            token = form.fields.get(CSRF, token)
            if form.method == "post":
                known = post_forms.get(form.action)
                if known is None or len(form.fields) > len(known.fields):
                    post_forms[form.action] = form
            else:
                get_fields.setdefault(form.action, set()).update(form.fields)
    return Site(post_forms, get_fields, token)


def _pick(values: dict, index: int, count: int, always: tuple[str, ...] = ()) -> dict:
    """The `always` values, and `count` others rotating with the route's index."""
    others = sorted(set(values) - set(always))
    chosen = list(always) + [others[(index + k) % len(others)] for k in range(count)]
    return {label: values[label] for label in chosen}


def plan(app, ids: dict, site: Site, every_value: Callable[[str], bool]) -> Iterator[Case]:
    """The hostile requests for one visitor: the full sets where `every_value(endpoint)`."""
    ordered = sorted(routes(app), key=lambda rm: rm[0].endpoint == "auth.logout")
    for index, (rule, method) in enumerate(ordered):
        if not every_value(rule.endpoint):
            yield _sample_case(rule, method, ids, site, index)
            continue
        yield from _path_cases(rule, method, ids, site, index)
        yield from _query_cases(rule, method, ids, site, index)
        if method == "POST":
            yield from _form_cases(rule, ids, site, index)


def _form_for(rule, ids: dict, site: Site) -> dict[str, str]:
    form = site.post_forms.get(route_path(rule, ids))
    fields = dict(form.fields) if form else {"name": "x", "note": "x"}
    fields[CSRF] = site.token
    return fields


def _sample_case(rule, method, ids, site, index) -> Case:
    """One request with everything hostile at once: for a route that turns the visitor away,
    or a public one whose every value another visitor sends."""
    value_label = sorted(VALUES)[index % len(VALUES)]
    value = VALUES[value_label]
    path, label = route_path(rule, ids), f"sample all={value_label}"
    if rule.arguments and index % 2 == 0:  # else the ids are valid, so the access check runs
        name = sorted(rule.arguments)[0]
        raw_label, raw = _pick(path_values(rule, name), index, 1).popitem()
        path, label = swapped_path(rule, ids, name, raw), f"{label}, path {name}={raw_label}"
    query = "&".join(f"{n}={_encode(value)}" for n in QUERY_NAMES)
    form = None
    if method == "POST":
        form = tuple({**dict.fromkeys(_form_for(rule, ids, site), value),
                      CSRF: site.token}.items())
    return Case(rule.endpoint, method, path, label, query=query, form=form)


def _path_cases(rule, method, ids, site, index) -> Iterator[Case]:
    form = tuple(_form_for(rule, ids, site).items()) if method == "POST" else None
    for name in sorted(rule.arguments):
        values = path_values(rule, name)
        # Every id goes through the same converter, so rotating values across the routes
        # covers them all; text arguments reach the views, so they get every value.
        chosen = _pick(values, index, 2, ALWAYS_IDS) if values is INT_PATH else values
        for label, raw in chosen.items():
            yield Case(rule.endpoint, method, swapped_path(rule, ids, name, raw),
                       f"path {name}={label}", form=form)


def _query_cases(rule, method, ids, site, index) -> Iterator[Case]:
    path = route_path(rule, ids)
    names = sorted(set(QUERY_NAMES) | site.get_fields.get(path, set()))
    form = tuple(_form_for(rule, ids, site).items()) if method == "POST" else None
    for label, value in _pick(VALUES, index, 2, ALWAYS_VALUES).items():
        query = "&".join(f"{_encode(n)}={_encode(value)}" for n in names)
        yield Case(rule.endpoint, method, path, f"query all={label}", query=query, form=form)


def _representatives(names: list[str], index: int) -> list[str]:
    """One field per shape of name ("steps-0-days", "steps-1-days"...), rotating by route."""
    shapes: dict[str, list[str]] = {}
    for name in names:
        shapes.setdefault(re.sub(r"[0-9]+", "#", name), []).append(name)
    return [members[index % len(members)] for members in shapes.values()]


def _form_cases(rule, ids, site, index) -> Iterator[Case]:
    path, fields = route_path(rule, ids), _form_for(rule, ids, site)
    names = [n for n in fields if n != CSRF]
    for label, value in _pick(VALUES, index, 2, ALWAYS_VALUES).items():
        yield Case(rule.endpoint, "POST", path, f"form all={label}",
                   form=tuple({**fields, **dict.fromkeys(names, value)}.items()))
    labels = sorted(VALUES)
    # Each field alone (one per shape of name), the others as the page had them.
    for number, name in enumerate(_representatives(names, index)):
        label = labels[(number + index) % len(labels)]
        yield Case(rule.endpoint, "POST", path, f"form {name}={label}",
                   form=tuple({**fields, name: VALUES[label]}.items()))
        if is_json(fields[name]):
            for json_label, text in json_values(fields[name]).items():
                yield Case(rule.endpoint, "POST", path, f"form {name}={json_label}",
                           form=tuple({**fields, name: text}.items()))
    bodies = {"nested 5000 deep": "[" * 5000 + "]" * 5000,
              "lone surrogates": json.dumps(dict.fromkeys(names or ["x"], "\ud800"))}
    for label, text in bodies.items():
        yield Case(rule.endpoint, "POST", path, f"JSON body {label}",
                   form=((CSRF, fields[CSRF]),), json_body=text)


def send(client, case: Case):
    """Send one case as a browser (or a script) would."""
    url = case.path + (f"?{case.query}" if case.query else "")
    if case.method == "GET":
        response = client.get(url)
    elif case.json_body is not None:
        response = client.post(url, data=case.json_body.encode("ascii"),
                               content_type="application/json",
                               headers={"X-CSRFToken": dict(case.form or ()).get(CSRF, "")})
    else:
        body = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in case.form or ())
        response = client.post(url, data=body.encode("ascii"),
                               content_type="application/x-www-form-urlencoded")
    response.get_data()  # read a streamed body to its end, as a client would, then close it
    response.close()
    return response


def table_counts(db) -> dict[str, int]:
    """Count the rows of every table in one plain statement (cheap: it runs after each case)."""
    names = [t.name for t in SQLModel.metadata.sorted_tables]
    counts = ", ".join(f'(SELECT count(*) FROM "{name}") AS "{name}"' for name in names)
    row = db.connection().exec_driver_sql(f"SELECT {counts}").one()
    db.rollback()
    return dict(zip(names, row, strict=True))


def trace_in(response) -> str | None:
    """The first stack-trace word in a text response, if any."""
    if not response.content_type.startswith(("text/", "application/json")):
        return None
    body = response.get_data(as_text=True)
    return next((word for word in TRACE_WORDS if word in body), None)


def changed(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    """The tables whose row counts differ."""
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}

