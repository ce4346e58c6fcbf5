"""The demo: seeded staff, the scleroderma case and a synthetic cohort."""
