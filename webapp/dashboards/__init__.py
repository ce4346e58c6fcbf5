"""Dashboards: the cohort view, safety flags, exports and the plotly.js bundle."""
