"""Server-drawn SVG sparklines: well-formed, accessible, escaped, small."""

import xml.etree.ElementTree as ET

from charts.sparkline import render_sparkline_svg

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg):
    return ET.fromstring(svg)


def test_well_formed_with_role_and_title():
    root = _parse(render_sparkline_svg([8, 6, 5, 3], label="Right wrist pain"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert (root.get("width"), root.get("height")) == ("160", "40")
    assert root.find(f"{SVG}title").text == "Right wrist pain: 8, 6, 5, 3"


def test_gap_splits_the_polyline_and_last_point_is_dotted():
    root = _parse(render_sparkline_svg([8, 6, None, 4, 2], label="pain", width=100, height=20))
    lines = root.findall(f"{SVG}polyline")
    assert [len(line.get("points").split()) for line in lines] == [2, 2]
    (dot,) = root.findall(f"{SVG}circle")
    last_x, last_y = lines[-1].get("points").split()[-1].split(",")
    assert (dot.get("cx"), dot.get("cy")) == (last_x, last_y)
    assert "missed" in root.find(f"{SVG}title").text


def test_values_map_onto_lo_hi_scale():
    root = _parse(render_sparkline_svg([0, 10], label="x", height=40))
    ys = [float(p.split(",")[1]) for p in root.find(f"{SVG}polyline").get("points").split()]
    assert ys[0] > ys[1]  # 0 is drawn at the bottom, 10 at the top
    assert 0 <= min(ys) and max(ys) <= 40


def test_label_is_escaped():
    svg = render_sparkline_svg([1, 2], label='<script>alert("x")</script> & co')
    assert "<script>" not in svg
    assert _parse(svg).find(f"{SVG}title").text.startswith('<script>alert("x")</script> & co')


def test_under_one_kilobyte_for_twenty_points():
    values = [(i * 37 % 11) * 0.9 for i in range(20)]
    assert len(render_sparkline_svg(values, label="Left ulnar (elbow) pain").encode()) < 1024


def test_empty_and_single_value_render():
    assert _parse(render_sparkline_svg([], label="none")).find(f"{SVG}polyline") is None
    root = _parse(render_sparkline_svg([5], label="one"))
    assert root.find(f"{SVG}circle") is not None
