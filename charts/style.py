"""Shared look: colour palette and a tablet-friendly base layout."""

from __future__ import annotations

# Okabe-Ito plus two extras: distinguishable with the common colour-vision deficiencies.
PALETTE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
    "#56B4E9", "#000000", "#8C564B", "#7F7F7F", "#BCBD22",
)
SESSION_COLOUR = "#6b6b6b"
FONT_SIZE = 14
LEGEND_FONT_SIZE = 12  # entries are long ("Left median nerve · Forearm: −6 (−86%) · substantial")
# Height in px: the plot itself, plus one line per legend entry past the first two (entries
# carry long region names and verdicts, so a tablet-width legend holds about one per line).
PLOT_HEIGHT = 380
LEGEND_LINE = 22


def colour(index: int) -> str:
    """Return the palette colour for the index-th series (cycling)."""
    return PALETTE[index % len(PALETTE)]


def rgba(hex_colour: str, alpha: float) -> str:
    """Turn '#rrggbb' into an rgba() string with the given opacity."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def figure_height(legend_entries: int) -> int:
    """Return the figure height that leaves the plot its room whatever the legend's length."""
    return PLOT_HEIGHT + LEGEND_LINE * max(0, legend_entries - 2)


def base_layout(x_title: str, y_title: str, synthetic: bool = False,
                legend_entries: int = 0) -> dict:
    """Return the shared layout: legend under the x-axis title, small margins, large font,
    full width and a height that grows with the legend."""
    layout = {
        "autosize": True,
        "height": figure_height(legend_entries),
        "font": {"size": FONT_SIZE},
        "margin": {"l": 56, "r": 12, "t": 24, "b": 8},
        # Measured from the bottom of the whole figure, not the plot: a paper-relative legend
        # below the plot landed on the x-axis title once it grew past a few entries.
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "yref": "container", "y": 0,
                   "yanchor": "bottom", "font": {"size": LEGEND_FONT_SIZE}},
        "hovermode": "closest",
        "xaxis": {"title": {"text": x_title}, "zeroline": False, "automargin": True},
        "yaxis": {"title": {"text": y_title}, "automargin": True},
        "plot_bgcolor": "white",
        # An explicit small template keeps ~8 kB of default-template JSON out of every figure.
        "template": {"layout": {"colorway": list(PALETTE)}},
    }
    if synthetic:
        # The legend's title rather than a corner annotation, which the long legend of a
        # 7-region patient could cover.
        layout["legend"]["title"] = synthetic_title()
    return layout


def synthetic_title() -> dict:
    """Return the red 'Synthetic data' legend title of figures drawn from synthetic patients."""
    return {"text": "Synthetic data", "side": "top left",
            "font": {"size": FONT_SIZE, "color": "#b00020"}}
