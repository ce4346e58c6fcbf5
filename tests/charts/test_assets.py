"""charts.assets: the plotly.js bundle path and the figure payload embedded in pages."""



from charts.assets import figure_payload, plotly_js_path, plotly_js_size


def test_plotly_js_bundle_is_served_from_the_package():
    path = plotly_js_path()
    assert path.name == "plotly.min.js" and path.is_file()
    assert plotly_js_size() == path.stat().st_size > 1_000_000


def test_figure_payload_has_config_and_is_safe_in_a_script_element():
    import json

    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[1], y=[2], name="</script><b>A & B</b>"))
    payload = figure_payload(fig)
    assert not {"<", ">", "&"} & set(payload)
    parsed = json.loads(payload)
    assert parsed["data"][0]["name"] == "</script><b>A & B</b>"
    assert parsed["config"] == {"displaylogo": False, "responsive": True,
                                "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
    assert set(parsed) == {"data", "layout", "config"}


def _trajectory_and_cohort_figures():
    from charts.cohort import build_cohort_view
    from charts.samples import scleroderma_case, synthetic_cohort
    from charts.trajectory import build_csa_figure, build_trajectory_figures

    case = scleroderma_case()
    figures = [*build_trajectory_figures(case).values(), build_csa_figure(case)]
    return figures + list(build_cohort_view(synthetic_cohort(40)).figures.values())


def test_figure_payload_is_what_plotly_itself_would_serialise():
    import json

    figures = _trajectory_and_cohort_figures()
    assert len(figures) >= 8
    for fig in figures:
        ours = json.loads(figure_payload(fig, {"responsive": False}))
        config = ours.pop("config")
        assert ours == json.loads(fig.to_json())
        assert config["responsive"] is False and config["displaylogo"] is False


def test_figure_payload_falls_back_to_plotly_for_values_json_cannot_hold():
    import json
    from datetime import date

    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[date(2025, 4, 15), 2], y=[float("nan"), 1],
                               text=["line\u2028separator", "<"]))
    payload = figure_payload(fig)
    assert "\u2028" not in payload and not {"<", ">", "&"} & set(payload)
    parsed = json.loads(payload)
    assert parsed["data"][0]["x"][0] == "2025-04-15"
    assert parsed["data"][0]["y"][0] is None  # plotly writes NaN as null
    assert parsed["data"][0]["text"] == ["line\u2028separator", "<"]
    assert "config" in parsed
