"""Chart builders for NerveTrack: plain data in, plotly figures (or SVG strings) out.

Never imports flask, sqlmodel, sqlalchemy, webapp or surveys.

Public API
----------
charts.data
    Observation(region_code, region_label, outcome, day, when, value, timepoint, missed=False)
    TreatedRegion(region_label, injectate, concentration, volume_ml)
    SessionMarker(day, when, number, regions)
        .status = "performed" | "scheduled" (default "performed"), .note = None (optional)
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
charts.timeaxis (pure: day 0 = first session; treatment phase linear on [0, 0.55])
    build_time_axis(session_days, last_day, *, first_day=0, timepoints=(), share=0.55,
        min_gap=0.07) -> TimeAxis(start, treatment_end, end, share, ticks, named)
    TimeAxis.x(day) -> fraction in [0, 1]; .treatment_share; Tick(day, x, label, unit, value)
    week_ticks(axis) / month_ticks(axis, min_gap, taken) -> list[Tick]  # "W3", "M12"
charts.panels_svg (server-drawn SVG small multiples; no JavaScript)
    render_panels(data, *, timepoints=None, csa_cutoffs=None, specs=DEFAULT_SPECS)
        -> list[SvgPanel(kind, region_code, title, summary, svg)]  # per region symptoms,
        then CSA; then function, pgic
    render_panels_svg(data, **options) -> str; time_axis_for(data, timepoints=None) -> TimeAxis
    csa_cutoff(region_code, region_label="") -> 10.0 (median carpal tunnel, ulnar elbow) | None
charts.progress_svg (a patient's own page: no procedure names; words passed in)
    render_progress_svg(data, region_code, *, label=None, words=PATIENT_WORDS) -> str
    progress_changes(data, region_code) -> list[ProgressChange(outcome, direction, start,
        latest, answers)]; progress_sentence(change, words=PATIENT_WORDS) -> str
charts.panels_text, charts.svg_parts, charts.svg_marks: the panels' words and drawing pieces
charts.assets
    plotly_js_path() -> pathlib.Path; plotly_js_size() -> int
    figure_payload(fig_or_dict, config=None) -> str  # JSON + config, safe in <script type=json>
charts.samples (synthetic, seeded; for demos and bench)
    scleroderma_case(seed=7), long_follow_up_case(regions=8, weeks=104, seed=11),
    synthetic_cohort(patients, seed=3)
charts.stats (cohort analysis; plain floats, scipy; undefined parts are None, never raise)
    summarise(values, level=0.95) -> Summary(n, mean, sd, ci_low, ci_high, median, q1, q3)
    mean_ci(values, level=0.95) -> (low, high); median_iqr(values) -> (q1, median, q3)
    wilson_ci(k, n, level=0.95) -> Proportion(k, n, share, ci_low, ci_high)
    welch_difference(a, b, level=0.95) -> Difference(difference, se, df, ci_low, ci_high)
    hedges_g(a, b) -> float | None
charts.timepoints
    TimepointWindow(name, label, due, opens, closes, order); DatedAnswer(region, outcome,
        when, value) -> AssignedAnswer(region, outcome, timepoint, label, order, due, when, value)
    assign_timepoints(windows, answers) -> list[AssignedAnswer]  # nearest due, tie earlier
    window_of(windows, when) -> TimepointWindow | None; by_timepoint(assigned) -> dict
charts.survival
    ResponderRule(direction="higher_worse", mcid=2.0, level="moderate", responder_max=None)
    durability(answers, baseline, rule) -> Durability(first_response_day, loss_day, last_day)
        .time, .lost; survival_times(durabilities) -> [(time, lost)]
    kaplan_meier(times, at_days=()) -> KaplanMeier(n, events, times, survival, censored,
        at_risk, median); kaplan_meier_by_group(groups, at_days=()) -> dict[group, KaplanMeier]
    responder_share(answers, baseline, rule) -> float | None; median_share(shares)
    region_response(answers, baseline, rule) -> (Durability, share)  # both, one pass
charts.trial_table
    RegionValue(patient, region, group, timepoint, baseline, value)
    build_trial_rows(values, *, direction, mcid, responder_max, timepoints, groups)
        -> list[TrialRow]  # complete cases only
    compare_groups(values, timepoint, group_a, group_b, measure="change") -> GroupComparison
    trial_rows_csv(rows) -> str  # text cells neutralised as webapp/export.py does
charts.cohort_figures (plain {"data", "layout"} dicts)
    build_change_dict(rows) / build_responder_dict(rows, field="responders_30")
    build_km_dict(curves: dict[group, KaplanMeier])  # with a numbers-at-risk table
"""
