"""Figures are built without plotly's runtime validation; here every one is validated in full."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from charts.assets import figure_payload
from charts.samples import long_follow_up_case, scleroderma_case
from charts.trajectory import (
    build_csa_dict,
    build_csa_figure,
    build_trajectory_dicts,
    build_trajectory_figures,
)


@pytest.mark.parametrize("case", [scleroderma_case, long_follow_up_case])
def test_every_trajectory_figure_passes_plotly_validation(case):
    data = case()
    figures = build_trajectory_figures(data)
    assert figures
    for name, figure in figures.items():
        checked = go.Figure(figure.to_dict())  # raises ValueError on any invalid property
        assert checked.to_plotly_json()["data"] == figure.to_plotly_json()["data"], name
    csa = build_csa_figure(data)
    if csa is not None:
        go.Figure(csa.to_dict())


def test_validation_would_catch_a_bad_property():
    with pytest.raises(ValueError):
        go.Figure({"data": [{"type": "scatter", "not_a_property": 1}], "layout": {}})


@pytest.mark.parametrize("case", [scleroderma_case, long_follow_up_case])
def test_the_page_dicts_serialise_exactly_as_their_figures(case):
    """The patient page sends build_*_dict output; it must be the validated figure, byte for
    byte once parsed."""
    data = case()
    dicts, figures = build_trajectory_dicts(data), build_trajectory_figures(data)
    assert list(dicts) == list(figures)
    for name in dicts:
        go.Figure(dicts[name])  # validated in full
        assert json.loads(figure_payload(dicts[name])) == json.loads(
            figure_payload(figures[name])), name
    assert json.loads(figure_payload(build_csa_dict(data))) == json.loads(
        figure_payload(build_csa_figure(data)))
