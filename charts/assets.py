"""The locally served plotly.js bundle and figure payloads safe to embed in HTML."""

from __future__ import annotations

import json
import pathlib
from importlib import resources

import plotly.graph_objects as go
import plotly.io as pio

PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}

# Characters that could close the <script> element or start markup/entities; the Unicode
# line separators are escaped too so the payload is also a valid JavaScript literal.
_HTML_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


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


def figure_payload(fig: go.Figure | dict, config: dict | None = None) -> str:
    """Return {data, layout, config} as JSON safe inside <script type="application/json">.

    `fig` is a go.Figure or a plain {"data", "layout"} dict from a build_*_dict builder (the
    quick path: no deep copies). Plain JSON values go straight to the standard encoder;
    plotly's to_json() would first walk every value looking for numpy arrays to base64-encode,
    a third of the time on a 2-year weekly page. Anything else (NaN, numpy, dates) goes
    through plotly's own encoder.
    """
    figure = dict(fig) if isinstance(fig, dict) else fig.to_dict()
    figure["config"] = {**PLOTLY_CONFIG, **(config or {})}
    try:
        text = json.dumps(figure, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        text = pio.to_json(figure, validate=False)
    # str.replace per character: str.translate leaves its fast path at the first "<br>".
    for char, escape in _HTML_ESCAPES:
        text = text.replace(char, escape)
    return text
