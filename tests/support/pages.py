"""Reading pages: the JSON figures and the script elements a page carries."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

FIG_RE = re.compile(r'<script type="application/json" id="fig-([a-z_]+)">(.*?)</script>', re.S)


class ScriptTags(HTMLParser):
    """Collect the attributes of every <script> element."""

    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))


def scripts_of(html: str) -> list[dict]:
    parser = ScriptTags()
    parser.feed(html)
    return parser.scripts


def figures_of(html: str) -> dict[str, dict]:
    """Parse every JSON figure out of a page."""
    return {name: json.loads(body) for name, body in FIG_RE.findall(html)}
