"""Nerve-region catalogue: a region is nerve + side + site, kept as data in data/regions.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from surveys.languages import base_language

REGIONS_FILE = Path(__file__).parent / "data" / "regions.json"
SIDES = ("right", "left")
LABEL_LANGUAGE = "en"  # the language of patient_label; others live in patient_labels


@dataclass(frozen=True)
class Region:
    """One treatable nerve region (nerve + side + site)."""

    code: str
    nerve: str
    nerve_name: str
    side: str
    site: str
    site_name: str
    limb: str
    patient_label: str
    territory: str
    map_area: str


def _expand_site(nerve: dict, site: dict) -> list[Region]:
    # Sides are generated so the data file holds each nerve/site only once.
    return [
        Region(
            code=f"{nerve['nerve']}-{site['site']}-{side}",
            nerve=nerve["nerve"],
            nerve_name=nerve["nerve_name"],
            side=side,
            site=site["site"],
            site_name=site["site_name"],
            limb=site["limb"],
            patient_label=site["patient_label"].format(side=side.capitalize()),
            territory=site["territory"],
            map_area=site["map_area"],
        )
        for side in SIDES
    ]


@cache
def _load(path: Path) -> tuple[Region, ...]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        region
        for nerve in data["nerves"]
        for site in nerve["sites"]
        for region in _expand_site(nerve, site)
    )


def load_regions() -> list[Region]:
    """Return every nerve region in catalogue order (cached)."""
    return list(_load(REGIONS_FILE))


@cache
def _by_code() -> dict[str, Region]:
    return {region.code: region for region in _load(REGIONS_FILE)}


def get_region(code: str) -> Region:
    """Return the region with this code; KeyError if unknown."""
    try:
        return _by_code()[code]
    except KeyError:
        raise KeyError(f"unknown nerve region {code!r}") from None


def nerves() -> list[tuple[str, str]]:
    """Return (slug, clinician name) for each nerve, in catalogue order."""
    seen: dict[str, str] = {}
    for region in _load(REGIONS_FILE):
        seen.setdefault(region.nerve, region.nerve_name)
    return list(seen.items())


@cache
def _translated_labels() -> dict[str, dict[str, str]]:
    # {code: {language: label}}; English stays in Region.patient_label.
    data = json.loads(REGIONS_FILE.read_text(encoding="utf-8"))
    labels: dict[str, dict[str, str]] = {}
    for nerve in data["nerves"]:
        for site in nerve["sites"]:
            for lang, sides in site.get("patient_labels", {}).items():
                for side, label in sides.items():
                    code = f"{nerve['nerve']}-{site['site']}-{side}"
                    labels.setdefault(code, {})[lang] = label
    return labels


def region_label(code: str, lang: str | None, fallback: str | None = None) -> str:
    """Return a region's patient label in lang, else fallback, else English; KeyError if unknown."""
    region = get_region(code)
    labels = _translated_labels().get(code, {})
    for tag in filter(None, (lang, fallback)):
        if base_language(tag) == LABEL_LANGUAGE:
            break
        if base_language(tag) in labels:
            return labels[base_language(tag)]
    return region.patient_label


def missing_region_labels(lang: str) -> list[str]:
    """Return the codes of regions with no patient label in this language."""
    if base_language(lang) == LABEL_LANGUAGE:
        return []
    labels = _translated_labels()
    return [r.code for r in load_regions() if base_language(lang) not in labels.get(r.code, {})]
