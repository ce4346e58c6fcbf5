"""Shared look: colour palette and a tablet-friendly base layout."""

from __future__ import annotations

# Okabe-Ito plus two extras: distinguishable with the common colour-vision deficiencies.
PALETTE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
    "#56B4E9", "#000000", "#8C564B", "#7F7F7F", "#BCBD22",
)
SESSION_COLOUR = "#6b6b6b"
FONT_SIZE = 14


def colour(index: int) -> str:
    """Return the palette colour for the index-th series (cycling)."""
    return PALETTE[index % len(PALETTE)]


def rgba(hex_colour: str, alpha: float) -> str:
    """Turn '#rrggbb' into an rgba() string with the given opacity."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def base_layout(x_title: str, y_title: str, synthetic: bool = False) -> dict:
    """Return the shared layout: legend at the bottom, small margins, large font, autosize."""
    layout = {
        "autosize": True,
        "font": {"size": FONT_SIZE},
        "margin": {"l": 56, "r": 12, "t": 24, "b": 8},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top"},
        "hovermode": "closest",
        "xaxis": {"title": {"text": x_title}, "zeroline": False, "automargin": True},
        "yaxis": {"title": {"text": y_title}, "automargin": True},
        "plot_bgcolor": "white",
        # An explicit small template keeps ~8 kB of default-template JSON out of every figure.
        "template": {"layout": {"colorway": list(PALETTE)}},
    }
    if synthetic:
        layout["annotations"] = [synthetic_annotation()]
    return layout


def synthetic_annotation() -> dict:
    """Return the 'Synthetic data' corner annotation."""
    return {
        "text": "Synthetic data",
        "xref": "paper",
        "yref": "paper",
        "x": 1,
        "y": 1,
        "xanchor": "right",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": FONT_SIZE, "color": "#b00020"},
    }
