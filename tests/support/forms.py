"""Reading the forms of a page as a browser would: action, method and the fields it would send."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class Form:
    """One <form>: where it goes, how, and its fields with the values a browser would send."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urlsplit(urljoin(self.page_path, attrs.get("action") or self.page_path))
            self.forms.append(Form(action.path, attrs.get("method", "get").lower()))
        elif tag == "option" and self.forms and self._select:
            fields = self.forms[-1].fields
            if "selected" in attrs or self._select not in fields:
                fields[self._select] = attrs.get("value", "")
        elif self.forms and attrs.get("name"):
            self._field(tag, attrs)

    def _field(self, tag, attrs):
        fields, name = self.forms[-1].fields, attrs["name"]
        kind = attrs.get("type", "text").lower()
        if tag == "input" and kind in ("radio", "checkbox"):
            if "checked" in attrs or name not in fields:
                fields[name] = attrs.get("value", "on")
        elif tag in ("input", "button") and kind not in ("file", "image", "reset"):
            fields.setdefault(name, attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea, fields[name] = name, ""
        elif tag == "select":
            self._select = name

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def page_forms(html: str, page_path: str) -> list[Form]:
    """Return the forms of a page, with actions resolved against `page_path`."""
    parser = _FormParser(page_path)
    parser.feed(html)
    return parser.forms
