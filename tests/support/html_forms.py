"""Submitting a page's form as a browser would: every field with its current value."""

from __future__ import annotations

from html.parser import HTMLParser

_TEXTUAL = {"text", "hidden", "number", "time", "date", "datetime-local", "search", "email",
            "tel", "url", "password"}


class _FormFields(HTMLParser):
    """Collect the successful controls of the forms whose class list holds `form_class`."""

    def __init__(self, form_class: str):
        super().__init__(convert_charrefs=True)
        self.form_class = form_class
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = self.form_class in (a.get("class") or "").split()
        elif self.inside and "disabled" not in a:
            self._start_control(tag, a)

    def _start_control(self, tag, a):
        kind = (a.get("type") or "text").lower()
        if tag == "input" and a.get("name"):
            if kind in _TEXTUAL:
                self.fields.append((a["name"], a.get("value") or ""))
            elif kind in ("checkbox", "radio") and "checked" in a:
                self.fields.append((a["name"], a.get("value") or "on"))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "first": None, "chosen": None}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "text": ""}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "option" and self._option is not None:
            self._close_option()
        elif tag == "select" and self._select is not None:
            chosen = self._select["chosen"] or self._select["first"]
            if chosen is not None:
                self.fields.append((self._select["name"], chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea["name"], self._textarea["text"].lstrip("\n")))
            self._textarea = None

    def _close_option(self):
        option, self._option = self._option, None
        value = option["value"] if option["value"] is not None else option["text"].strip()
        if self._select["first"] is None:
            self._select["first"] = value
        if option["selected"]:
            self._select["chosen"] = value


def form_fields(html: str, form_class: str) -> list[tuple[str, str]]:
    """(name, value) pairs a browser would send from the form with this class (no buttons)."""
    parser = _FormFields(form_class)
    parser.feed(html)
    return parser.fields
