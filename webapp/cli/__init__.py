"""The nervetrack command line."""
