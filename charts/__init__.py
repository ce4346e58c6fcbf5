"""Chart builders for NerveTrack: plain data in, plotly figures (or SVG strings) out.

Never imports flask, sqlmodel, sqlalchemy, webapp or surveys.

Public API
----------
charts.data
    Observation(region_code, region_label, outcome, day, when, value, timepoint, missed=False)
    TreatedRegion(region_label, injectate, concentration, volume_ml)
    SessionMarker(day, when, number, regions)
    CsaPoint(region_code, region_label, day, csa_mm2, pain)
    OutcomeSpec(outcome, label, direction, mcid_points, range, responder_max=None)
    TrajectoryData(title, observations, sessions, csa_points=[], synthetic=False)
    DEFAULT_SPECS: dict[str, OutcomeSpec]  # pain, pain_worst, paresthesia, function, pgic
charts.response
    change_from_baseline(baseline, value, direction) -> (points, percent | None)
    improvement(baseline, value, direction) -> (points, percent | None)  # positive = better
    responder_label(baseline, value, direction, mcid=None) -> "substantial" | "moderate"
        | "minimal" | "none" | "worse"
    find_baseline(pairs of (day, value)) -> float | None
    format_change(points, percent) -> "−5 (−63%)"
charts.trajectory
    build_trajectory_figures(data, specs=DEFAULT_SPECS) -> dict[outcome, Figure]
    build_outcome_figure(observations, spec, sessions=(), synthetic=False) -> Figure
    build_csa_figure(data, csa_reference=10.0) -> Figure | None
    build_trajectory_dicts / build_outcome_dict / build_csa_dict: the same figures as plain
        {"data", "layout"} dicts (what the patient page serialises; no plotly deep copies)
charts.cohort
    CohortRow(patient_key, nerve, nerve_label, outcome, week, timepoint, baseline, value,
              completed)
    build_cohort_view(rows, outcome="pain", direction="higher_worse", mcid=2) -> CohortView
    CohortView.figures / .tables: keys "change", "responders", "completion"
charts.sparkline
    render_sparkline_svg(values, *, width=160, height=40, lo=0, hi=10, label) -> str
charts.assets
    plotly_js_path() -> pathlib.Path; plotly_js_size() -> int
    figure_payload(fig_or_dict, config=None) -> str  # JSON + config, safe in <script type=json>
charts.samples (synthetic, seeded; for demos and bench)
    scleroderma_case(seed=7), long_follow_up_case(regions=8, weeks=104, seed=11),
    synthetic_cohort(patients, seed=3)
"""
