"""Subgroups of the cohort: the dimensions a clinician can split or filter by, and their values.

A group has a key (what a URL carries, checked against these allow-lists) and a label (what
the page shows). Tags are the clinic's own words, so their allow-list is the set of tags the
live patients carry.
"""

from __future__ import annotations

from surveys.catalogue import load_regions, nerves

DIMENSIONS = {"none": "No split", "nerve": "Nerve", "site": "Nerve and site",
              "injectate": "Injectate", "volume": "Volume per session",
              "sessions": "Sessions received", "side": "Side", "tag": "Patient tag"}
ALL = ("all", "All")
# The stored injectate codes (webapp.models.INJECTATES) in the groups the trials compare.
INJECTATE_GROUPS = {"D5W": "D5W", "saline": "saline", "lidocaine": "anaesthetic"}
INJECTATE_LABELS = {"D5W": "D5W", "saline": "Saline", "anaesthetic": "Anaesthetic",
                    "other": "Other (D15W, other)"}
VOLUME_LABELS = {"up-to-2": "Up to 2 mL", "2-5": "2.1 to 5 mL", "over-5": "Over 5 mL",
                 "unknown": "Volume not recorded"}
SESSION_LABELS = {"1": "1 session", "2": "2 sessions", "3-4": "3 or 4 sessions",
                  "5+": "5 or more sessions", "0": "No session performed yet"}
SIDE_LABELS = {"one": "One side", "both": "Both sides"}
NO_TAG = ("", "No tag")
TAG_LIMIT = 60


def nerve_labels() -> dict[str, str]:
    """Return {nerve slug: 'Median nerve'} in catalogue order."""
    return dict(nerves())


def site_labels() -> dict[str, str]:
    """Return {'median-carpal-tunnel': 'Median nerve, carpal tunnel'} in catalogue order."""
    labels: dict[str, str] = {}
    for region in load_regions():
        labels.setdefault(site_key(region.nerve, region.site),
                          f"{region.nerve_name}, {region.site_name.lower()}")
    return labels


def site_key(nerve: str, site: str) -> str:
    """Return the key of a nerve at a site, e.g. 'median-carpal-tunnel'."""
    return f"{nerve}-{site}"


def vocabulary(dimension: str, tags: frozenset[str] = frozenset()) -> dict[str, str]:
    """Return {key: label} of every value a dimension may take (the allow-list)."""
    fixed = {"none": dict([ALL]), "injectate": INJECTATE_LABELS, "volume": VOLUME_LABELS,
             "sessions": SESSION_LABELS, "side": SIDE_LABELS}
    if dimension in fixed:
        return fixed[dimension]
    if dimension == "nerve":
        return nerve_labels()
    if dimension == "site":
        return site_labels()
    if dimension == "tag":
        return {NO_TAG[0]: NO_TAG[1], **{tag: tag for tag in sorted(tags)}}
    raise KeyError(dimension)


def injectate_group(counts: dict[str, int]) -> str:
    """Return the group of the injectate used in most of a region's sessions (ties: D5W,
    saline, anaesthetic, other), from {stored injectate code: sessions}."""
    if len(counts) == 1:  # most regions get one injectate throughout
        return INJECTATE_GROUPS.get(next(iter(counts)), "other")
    grouped: dict[str, int] = {}
    for code, sessions in counts.items():
        group = INJECTATE_GROUPS.get(code, "other")
        grouped[group] = grouped.get(group, 0) + sessions
    # max() keeps the first of equals: the order of INJECTATE_LABELS breaks ties.
    return max(INJECTATE_LABELS, key=lambda group: grouped.get(group, 0)) if grouped else "other"


def volume_band(mean_ml: float | None) -> str:
    """Return the band of a region's mean volume per session (1-2, 4-5 and 10 mL trials)."""
    if mean_ml is None:
        return "unknown"
    if mean_ml <= 2:
        return "up-to-2"
    return "2-5" if mean_ml <= 5 else "over-5"


def sessions_band(performed: int) -> str:
    """Return the band of the number of sessions a course has received."""
    if performed <= 2:
        return str(performed)
    return "3-4" if performed <= 4 else "5+"


def tag_keys(tags) -> tuple[str, ...]:
    """Return a patient's usable tags (text, trimmed, at most TAG_LIMIT characters), or the
    no-tag key; anything else stored in the JSON list is ignored."""
    usable = tuple(dict.fromkeys(t.strip() for t in tags or () if isinstance(t, str)
                                 and t.strip() and len(t.strip()) <= TAG_LIMIT))
    return usable or (NO_TAG[0],)
