"""Nerve-region catalogue and body map SVGs."""

import re
import xml.etree.ElementTree as ET

import pytest

from surveys.bodymap import AREAS, render_body_map_svg
from surveys.catalogue import get_region, load_regions, nerves

SVG = "{http://www.w3.org/2000/svg}"
CLINICAL_NERVES = {
    "median": {"carpal-tunnel", "forearm"},
    "ulnar": {"elbow", "wrist"},
    "medial-antebrachial-cutaneous": None,
    "superficial-radial": None,
    "sciatic": None,
    "common-fibular": None,
    "superficial-fibular": None,
    "dorsal-cutaneous-foot": None,
    "tibial": {"tarsal-tunnel"},
    "lateral-femoral-cutaneous": None,
    "greater-occipital": None,
    "lesser-occipital": None,
}
CODES = [region.code for region in load_regions()]
JARGON = re.compile(r"\b(radial|ulnar|palmar|dorsal|medial|lateral|anterior|nerve|tunnel)\b", re.I)


@pytest.mark.parametrize("nerve", sorted(CLINICAL_NERVES))
def test_every_clinical_nerve_on_both_sides(nerve):
    regions = [r for r in load_regions() if r.nerve == nerve]
    sites = {r.site for r in regions}
    for site in sites:
        assert {r.side for r in regions if r.site == site} == {"left", "right"}
    expected_sites = CLINICAL_NERVES[nerve]
    assert sites if expected_sites is None else sites == expected_sites


def test_codes_unique_and_stable():
    assert len(CODES) == len(set(CODES)) == 28
    assert get_region("median-carpal-tunnel-right").patient_label == (
        "Right wrist and fingers: thumb to ring finger"
    )
    for region in load_regions():
        assert region.code == f"{region.nerve}-{region.site}-{region.side}"
        assert region.limb in {"arm", "leg", "head"}
        assert region.map_area in AREAS
        assert region.territory and region.nerve_name and region.site_name


@pytest.mark.parametrize("code", CODES)
def test_patient_labels_are_plain(code):
    region = get_region(code)
    assert region.patient_label.startswith(region.side.capitalize() + " ")
    assert not JARGON.search(region.patient_label), region.patient_label


def test_unknown_region_is_a_key_error():
    with pytest.raises(KeyError):
        get_region("median-carpal-tunnel-middle")


def test_nerves_lists_each_nerve_once_with_its_name():
    listed = nerves()
    assert [slug for slug, _ in listed] == list(dict.fromkeys(r.nerve for r in load_regions()))
    assert set(dict(listed)) == set(CLINICAL_NERVES)
    assert dict(listed)["tibial"] == "Tibial nerve"


@pytest.mark.parametrize("code", CODES)
def test_body_map_svg_is_small_well_formed_and_labelled(code):
    svg = render_body_map_svg(code)
    assert len(svg.encode()) < 1500
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    label = get_region(code).patient_label
    assert root.get("aria-label") == label
    assert root.find(f"{SVG}title").text == label
    assert "href" not in svg and "url(" not in svg and "<script" not in svg


@pytest.mark.parametrize("code", [c for c in CODES if c.endswith("-right")])
def test_left_is_the_mirror_of_right(code):
    right = ET.fromstring(render_body_map_svg(code))
    left = ET.fromstring(render_body_map_svg(code.removesuffix("-right") + "-left"))
    assert right.find(f"{SVG}g").get("transform") is None
    assert left.find(f"{SVG}g").get("transform") == "matrix(-1 0 0 1 100 0)"
    # Same drawing inside the mirror: only the side and label differ.
    inner = [ET.tostring(root.find(f"{SVG}g")[0]) for root in (right, left)]
    assert inner[0] == inner[1]


def test_labels_are_escaped_in_svg(monkeypatch):
    from surveys import bodymap
    from surveys.catalogue import Region

    region = get_region("tibial-tarsal-tunnel-left")
    fake = Region(**{**region.__dict__, "patient_label": 'Sole <& "heel">'})
    monkeypatch.setattr(bodymap, "get_region", lambda code: fake)
    root = ET.fromstring(bodymap.render_body_map_svg("x"))
    assert root.get("aria-label") == 'Sole <& "heel">'
