"""The locally served plotly.js bundle and figure payloads safe to embed in HTML."""

from __future__ import annotations

import json
import pathlib
from importlib import resources

import plotly.graph_objects as go

PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}

# Characters that could close the <script> element or start markup/entities; the Unicode
# line separators are escaped too so the payload is also a valid JavaScript literal.
_HTML_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def plotly_js_path() -> pathlib.Path:
    """Return the path of plotly.min.js bundled in the installed plotly package."""
    resource = resources.files("plotly") / "package_data" / "plotly.min.js"
    path = pathlib.Path(str(resource))
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js not found at {path}")
    return path


def plotly_js_size() -> int:
    """Return the size of the bundled plotly.min.js in bytes."""
    return plotly_js_path().stat().st_size


def figure_payload(fig: go.Figure, config: dict | None = None) -> str:
    """Return {data, layout, config} as JSON safe inside <script type="application/json">."""
    body = fig.to_json()
    merged = json.dumps({**PLOTLY_CONFIG, **(config or {})}, separators=(",", ":"))
    # fig.to_json() is an object; splice config in rather than parse and re-serialise it.
    text = body[:-1].rstrip() + f',"config":{merged}}}'
    return text.translate(_HTML_ESCAPES)
