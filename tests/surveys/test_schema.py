"""Definition format: broken files are rejected with file, item and reason; good ones still load."""

import copy
import json
from pathlib import Path

import pytest

from surveys.loader import load_library
from surveys.schema import DefinitionError, parse_definition

BASE = {
    "id": "clinic-check",
    "version": 1,
    "title": "Clinic check",
    "per_region": False,
    "items": [
        {"id": "ache", "type": "nrs", "text": "How bad?"},
        {
            "id": "mood",
            "type": "single",
            "text": "Mood?",
            "options": [{"value": 1, "label": "Good"}, {"value": 2, "label": "Bad"}],
        },
        {"id": "steps", "type": "number", "text": "Steps?", "min": 0, "max": 100},
    ],
    "scores": [
        {
            "id": "total",
            "label": "Total",
            "outcome": "other",
            "method": "sum",
            "items": ["ache", "mood"],
            "direction": "higher_worse",
        },
    ],
}


def broken(path, value):
    """Return a copy of BASE with the value at a path like ('items', 1, 'options') replaced."""
    data = copy.deepcopy(BASE)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()
DUPLICATE_ITEMS = {**BASE, "items": BASE["items"] + [BASE["items"][0]]}

CASES = [
    (DUPLICATE_ITEMS, "ache", "duplicate item id"),
    (broken(("scores", 0, "items"), ["ache", "nope"]), "total", "unknown item 'nope'"),
    (broken(("items", 1, "options"), DELETE), "mood", "needs a non-empty 'options' list"),
    (broken(("items", 1, "options"), []), "mood", "needs a non-empty 'options' list"),
    (broken(("items", 0, "min"), 10), "ache", "min (10) must be less than max (10)"),
    (broken(("items", 2, "min"), 200), "steps", "min (200) must be less than max (100)"),
    (broken(("items", 2, "max"), DELETE), "steps", "needs both 'min' and 'max'"),
    (broken(("scores", 0, "method"), "median"), "total", "unknown method 'median'"),
    (broken(("scores", 0, "outcome"), "mood"), "total", "unknown outcome 'mood'"),
    (broken(("scores", 0, "range"), [0, 10, 20]), "total", "range must be a pair"),
    (broken(("scores", 0, "range"), [10, 0]), "total", "range must be a pair"),
    (broken(("scores", 0, "method"), "weighted_sum"), "total", "0 weights given for 2 items"),
    (
        broken(("scores", 0), {**BASE["scores"][0], "method": "weighted_sum", "weights": [1]}),
        "total",
        "1 weights given for 2 items",
    ),
    (
        broken(("scores", 0), {**BASE["scores"][0], "min_answered": 1, "missing": "none"}),
        "total",
        "only one of min_answered, max_missing or missing",
    ),
    (broken(("scores", 0, "items"), ["ache", "mood", "ache"]), "total", "item 'ache' listed twice"),
    (broken(("items", 0, "type"), "slider"), "ache", "type"),
    (broken(("items", 0, "requried"), False), "ache", "requried"),
    (broken(("items", 0, "id"), "Bad Id"), "Bad Id", "id"),
    (broken(("items", 0, "depends_on"), "ghost"), "ache", "unknown item 'ghost'"),
    (broken(("title",), DELETE), "(definition)", "title: Field required"),
    (broken(("items",), []), "(definition)", "items"),
    (
        {
            **BASE,
            "flags": [{"id": "f", "item": "ghost", "when": 1, "severity": "watch", "message": "m"}],
        },
        "f",
        "unknown item 'ghost'",
    ),
    (broken(("scores", 0, "method"), "answer"), "total", "exactly one item"),
]


@pytest.mark.parametrize(("data", "item", "fragment"), CASES)
def test_broken_definition_names_file_item_and_reason(tmp_path, data, item, fragment):
    (tmp_path / "broken.json").write_text(json.dumps(data))
    library = load_library(extra_dir=tmp_path)
    assert len(library.errors) == 1
    error = library.errors[0]
    assert (error.file, error.item) == ("broken.json", item)
    assert fragment in error.reason
    assert str(error).startswith(f"broken.json: {item}: ")
    with pytest.raises(KeyError):
        library.get("clinic-check")


def test_base_definition_is_valid():
    assert parse_definition(BASE, "base.json").id == "clinic-check"


def test_bad_and_good_files_side_by_side(tmp_path):
    (tmp_path / "a-bad.json").write_text("{not json")
    (tmp_path / "b-good.json").write_text(json.dumps(BASE))
    (tmp_path / "c-bad.json").write_text(json.dumps(broken(("scores", 0, "method"), "x")))
    library = load_library(extra_dir=tmp_path)
    assert [e.file for e in library.errors] == ["a-bad.json", "c-bad.json"]
    assert "not readable JSON" in str(library.errors[0])
    assert library.get("clinic-check").title == "Clinic check"
    assert library.get("nt-pain").id == "nt-pain"


def test_versions_latest_and_specific(tmp_path):
    for version in (1, 2, 10):
        data = {**BASE, "version": version, "title": f"v{version}"}
        (tmp_path / f"v{version}.json").write_text(json.dumps(data))
    library = load_library(extra_dir=tmp_path)
    assert library.get("clinic-check").title == "v10"
    assert library.get("clinic-check", version=2).title == "v2"
    assert library.get("clinic-check", version="2").title == "v2"
    with pytest.raises(KeyError):
        library.get("clinic-check", version=3)


def test_duplicate_id_and_version_is_rejected(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps(BASE))
    (tmp_path / "two.json").write_text(json.dumps(BASE))
    library = load_library(extra_dir=tmp_path)
    assert [str(e) for e in library.errors] == [
        "two.json: clinic-check: version 1 is already defined"
    ]


def test_all_lists_builtins_but_not_templates():
    ids = {d.id for d in load_library().all()}
    assert ids == {"nt-pain", "nt-paresthesia", "nt-psfs", "nt-pgic", "nt-after-session"}


def test_missing_extra_dir_is_reported(tmp_path):
    library = load_library(extra_dir=tmp_path / "nowhere")
    assert "not a directory" in str(library.errors[0])
    assert library.get("nt-pain")


FIXTURES = Path(__file__).parents[1] / "fixtures" / "instruments"


def wording_file(**changes):
    data = json.loads((FIXTURES / "quickdash-en.json").read_text())
    data.update(changes)
    return data


def without_q11():
    data = wording_file()
    del data["wording"]["q11"]
    return data


WORDING_CASES = [
    (without_q11(), "q11", "no wording given for this item"),
    (wording_file(wording={**wording_file()["wording"], "q99": "x"}), "q99", "not an item"),
    (wording_file(extends="dash-full"), "extends", "unknown template 'dash-full'"),
    (wording_file(option_labels={}), "q1", "no option label for values"),
    (wording_file(option_labels={"*": {"1": "a"}}), "q1", "['2', '3', '4', '5']"),
    (
        wording_file(option_labels={**wording_file()["option_labels"], "q2": {"9": "x"}}),
        "q2",
        "unknown option values ['9']",
    ),
    (wording_file(wording=None), "wording", "valid dictionary"),
    (wording_file(id="Bad Id"), "id", "pattern"),
]


@pytest.mark.parametrize(("data", "item", "fragment"), WORDING_CASES)
def test_broken_wording_file(tmp_path, data, item, fragment):
    (tmp_path / "qd.json").write_text(json.dumps(data))
    library = load_library(extra_dir=tmp_path)
    assert [(e.file, e.item) for e in library.errors] == [("qd.json", item)]
    assert fragment in library.errors[0].reason


def test_wording_is_merged_and_scoring_kept():
    library = load_library(extra_dir=FIXTURES)
    quickdash = library.get("quickdash-en")
    assert quickdash.extends == "quickdash"
    assert quickdash.language == "en-GB"
    assert quickdash.recall_period == "the past week"
    assert quickdash.item("q3").text == "Placeholder item 3"
    assert quickdash.item("q3").options[0].label == "Placeholder option 1"
    assert quickdash.scores[0].method == "rescaled_mean"
    assert quickdash.scores[0].mcid == 15
    assert library.get("bctq-en").item("fss_1").options[4].label == "Placeholder difficulty 5"


def test_templates_ship_no_licensed_wording():
    for path in (Path(__file__).parents[2] / "surveys" / "templates").glob("*.json"):
        data = json.loads(path.read_text())
        for item in data["items"]:
            assert "(load your licensed wording)" in item["text"], (path.name, item["id"])
            for option in item.get("options", []):
                assert "(load your licensed label)" in option["label"]


def test_definition_error_str():
    error = DefinitionError("a.json", "q1", "bad")
    assert str(error) == "a.json: q1: bad"
