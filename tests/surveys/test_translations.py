"""Per-language wording: completeness, fallback, loader rejections, licensed files, old files."""

import copy
import json
import re
from pathlib import Path

import pytest

from surveys.catalogue import get_region, load_regions, missing_region_labels, region_label
from surveys.i18n import (
    localise,
    missing_translations,
    missing_wording,
    text_for,
    translatable_strings,
    wording_language,
)
from surveys.languages import LANGUAGE_CODES, LANGUAGES, get_language, text_direction
from surveys.loader import BUILTIN_DIR, load_library
from surveys.schema import parse_definition

FIXTURES = Path(__file__).parents[1] / "fixtures" / "instruments"
BUILTIN_IDS = ["nt-after-session", "nt-pain", "nt-paresthesia", "nt-pgic", "nt-psfs"]
TRANSLATED = [code for code in LANGUAGE_CODES if code != "en"]
LIBRARY = load_library()
BUILTINS = [LIBRARY.get(instrument_id) for instrument_id in BUILTIN_IDS]
CODES = [region.code for region in load_regions()]


def patient_strings(lang):
    """Every built-in patient-facing string and region label in one language."""
    found = [s for defn in BUILTINS for s in translatable_strings(localise(defn, lang)).values()]
    return found + [region_label(code, lang) for code in CODES]


def test_supported_languages_with_direction_and_native_names():
    table = {(lang.code, lang.native_name, lang.direction) for lang in LANGUAGES}
    assert table == {
        ("en", "English", "ltr"),
        ("fr", "Français", "ltr"),
        ("es", "Español", "ltr"),
        ("fa", "فارسی", "rtl"),
    }
    assert (text_direction("fa-IR"), text_direction("fr-CA"), text_direction("de")) == (
        "rtl",
        "ltr",
        "ltr",
    )
    assert get_language("de").code == "en" and get_language("es-MX").code == "es"


@pytest.mark.parametrize("lang", LANGUAGE_CODES)
def test_builtin_wording_is_complete(lang):
    missing = missing_wording(BUILTINS, [lang])[lang] + missing_region_labels(lang)
    print(f"missing in {lang}: {missing}")
    assert missing == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_string_is_really_translated(lang):
    for defn in BUILTINS:
        english = translatable_strings(defn)
        local = translatable_strings(localise(defn, lang))
        assert local.keys() == english.keys()
        assert [p for p in english if english[p] == local[p]] == [], (defn.id, lang)
    assert all(region_label(c, lang) != get_region(c).patient_label for c in CODES)


@pytest.mark.parametrize("text", patient_strings("fa"))
def test_persian_uses_persian_script_only(text):
    assert not re.search(r"[A-Za-z]", text)
    assert not re.search("[\u064a\u0643\u0660-\u0669]", text)  # Arabic ye, kaf and digits
    assert re.search("[\u0600-\u06ff]", text)


SIDE_WORDS = {
    "fr": ("droit", "gauche", r"\bnerfs?\b"),
    "es": ("derech", "izquierd", r"\bnervios?\b"),
    "fa": ("راست", "چپ", "عصب"),
}


@pytest.mark.parametrize(("lang", "code"), [(lang, code) for lang in SIDE_WORDS for code in CODES])
def test_region_labels_name_the_side_in_plain_words(lang, code):
    right, left, jargon = SIDE_WORDS[lang]
    label = region_label(code, lang)
    assert (right if code.endswith("-right") else left) in label
    assert (left if code.endswith("-right") else right) not in label
    assert not re.search(jargon, label, re.I)


@pytest.mark.parametrize(
    ("lang", "fallback", "expected"),
    [
        ("fa", None, "مچ دست چپ و انگشتان: از شست تا انگشت حلقه"),
        ("fa-IR", "fr", "مچ دست چپ و انگشتان: از شست تا انگشت حلقه"),
        ("de", "es", "Muñeca izquierda y dedos: del pulgar al anular"),
        ("de", None, "Left wrist and fingers: thumb to ring finger"),
        ("en", "fr", "Left wrist and fingers: thumb to ring finger"),
        (None, None, "Left wrist and fingers: thumb to ring finger"),
    ],
)
def test_region_label_falls_back(lang, fallback, expected):
    assert region_label("median-carpal-tunnel-left", lang, fallback) == expected


def test_unknown_region_label_is_a_key_error():
    with pytest.raises(KeyError):
        region_label("median-carpal-tunnel-middle", "fr")


PARTIAL = {
    "id": "clinic-check",
    "version": 1,
    "title": "Clinic check",
    "language": "en",
    "recall_period": "today",
    "per_region": False,
    "items": [
        {"id": "ache", "type": "nrs", "text": "How bad?", "help": "Pick one.",
         "anchors": {"min": "None", "max": "Worst"}},
        {"id": "mood", "type": "single", "text": "Mood?",
         "options": [{"value": 1, "label": "Good"}, {"value": 2, "label": "Bad"}]},
    ],
    "translations": {
        "fr": {"title": "Contrôle", "items": {"ache": {"text": "À quel point ?"}}},
        "es": {"title": "Control", "recall_period": "hoy",
               "items": {"mood": {"text": "¿Ánimo?", "option_labels": {"1": "Bien", "2": "Mal"}}}},
    },
}
PARTIAL_DEFN = parse_definition(PARTIAL, "partial.json")


@pytest.mark.parametrize(
    ("lang", "fallback", "title", "recall", "ache", "ache_help", "mood", "good", "language"),
    [
        ("fr", None, "Contrôle", "today", "À quel point ?", "Pick one.", "Mood?", "Good", "fr"),
        ("fr", "es", "Contrôle", "hoy", "À quel point ?", "Pick one.", "¿Ánimo?", "Bien", "fr"),
        ("fa", "es", "Control", "hoy", "How bad?", "Pick one.", "¿Ánimo?", "Bien", "es"),
        ("fa", None, "Clinic check", "today", "How bad?", "Pick one.", "Mood?", "Good", "en"),
        ("en", "fr", "Clinic check", "today", "How bad?", "Pick one.", "Mood?", "Good", "en"),
        ("es-MX", None, "Control", "hoy", "How bad?", "Pick one.", "¿Ánimo?", "Bien", "es"),
    ],
)
def test_missing_strings_fall_back_one_by_one(
    lang, fallback, title, recall, ache, ache_help, mood, good, language
):
    local = localise(PARTIAL_DEFN, lang, fallback)
    assert (local.title, local.recall_period, local.language) == (title, recall, language)
    assert (local.item("ache").text, local.item("ache").help) == (ache, ache_help)
    assert local.item("ache").anchors.max == "Worst"
    assert (local.item("mood").text, local.item("mood").options[0].label) == (mood, good)
    assert text_for(PARTIAL_DEFN, "mood", lang, fallback) == mood
    assert wording_language(PARTIAL_DEFN, lang, fallback) == language


def test_localised_copy_keeps_everything_but_words():
    for defn in BUILTINS:
        local = localise(defn, "fa")
        assert local.scores == defn.scores and local.flags == defn.flags
        assert [(i.id, i.type, i.option_values()) for i in local.items] == [
            (i.id, i.type, i.option_values()) for i in defn.items
        ]
        assert local.translations == {} and localise(local, "fr") is local
    assert localise(PARTIAL_DEFN, "en") is PARTIAL_DEFN


def test_missing_translations_lists_paths_per_language():
    missing = missing_translations(PARTIAL_DEFN)
    assert missing["en"] == []
    assert missing["fr"] == [
        "recall_period",
        "items.ache.help",
        "items.ache.anchors.min",
        "items.ache.anchors.max",
        "items.mood.text",
        "items.mood.option_labels.1",
        "items.mood.option_labels.2",
    ]
    assert "items.ache.text" in missing["es"] and len(missing["fa"]) == 9


def changed(lang, block):
    data = copy.deepcopy(PARTIAL)
    data["translations"][lang] = block
    return data


FR = PARTIAL["translations"]["fr"]
REJECTED = [
    (changed("fr", {**FR, "items": {"ghost": {"text": "x"}}}), "ghost", "fr: not an item"),
    (changed("de", FR), "(definition)", "translations.de: unknown language 'de'"),
    (changed("en", FR), "(definition)", "translations.en: 'en' is the instrument's own language"),
    (changed("fr-CA", FR), "(definition)", "unknown language 'fr-CA'"),
    (changed("fr", {"items": {}}), "(definition)", "translations.fr.title: Field required"),
    (changed("fr", {**FR, "items": {"ache": {}}}), "ache", "translations.fr.text: Field required"),
    (changed("fr", {**FR, "items": {"ache": {"txt": "x", "text": "y"}}}), "ache", "fr.txt"),
    (changed("fr", {**FR, "items": {"mood": {"text": "x", "option_labels": {"1": "a"}}}}),
     "mood", "translations.fr: no option label for values ['2']"),
    (changed("fr", {**FR, "items": {"mood": {"text": "x", "option_labels": {"1": "a", "2": "b",
                                                                             "3": "c"}}}}),
     "mood", "unknown option values ['3']"),
    (changed("fr", {**FR, "items": {"ache": {"text": "x", "option_labels": {}}}}),
     "ache", "the item has no options"),
    (changed("fr", {**FR, "items": {"mood": {"text": "x", "help": "y"}}}),
     "mood", "help given but the item has none"),
    (changed("fr", {**FR, "items": {"mood": {"text": "x", "anchors": {"min": "a", "max": "b"}}}}),
     "mood", "anchors given but the item has none"),
    (changed("fr", {**FR, "items": {"ache": {"text": "x", "anchors": {"min": "a"}}}}),
     "ache", "translations.fr.anchors.max: Field required"),
]


@pytest.mark.parametrize(("data", "item", "fragment"), REJECTED)
def test_bad_translation_blocks_are_rejected(tmp_path, data, item, fragment):
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    library = load_library(extra_dir=tmp_path)
    assert [(e.file, e.item) for e in library.errors] == [("bad.json", item)]
    assert fragment in library.errors[0].reason


def test_recall_period_translated_only_if_the_instrument_has_one(tmp_path):
    data = {**changed("fr", {**FR, "recall_period": "aujourd'hui"}), "recall_period": None}
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    assert "recall_period given but the instrument has none" in str(
        load_library(extra_dir=tmp_path).errors[0]
    )


def licensed(**fa_changes):
    data = json.loads((FIXTURES / "quickdash-fr-fa.json").read_text(encoding="utf-8"))
    data["translations"]["fa"].update(fa_changes)
    return data


def without_fa_q11():
    data = licensed()
    del data["translations"]["fa"]["wording"]["q11"]
    return data


WORDING_REJECTED = [
    (without_fa_q11(), "q11", "translations.fa: no wording given for this item"),
    (licensed(wording={**licensed()["translations"]["fa"]["wording"], "q99": "x"}), "q99",
     "translations.fa: not an item of template 'quickdash'"),
    (licensed(option_labels={"*": {"1": "a"}}), "q1", "translations.fa: no option label"),
    (licensed(title=None), "translations.fa.title", "valid string"),
    ({**licensed(), "translations": {"de": licensed()["translations"]["fa"]}}, "(definition)",
     "translations.de: unknown language 'de'"),
    ({**licensed(), "translations": {"fr": licensed()["translations"]["fa"]}}, "(definition)",
     "translations.fr: 'fr' is the instrument's own language"),
]


@pytest.mark.parametrize(("data", "item", "fragment"), WORDING_REJECTED)
def test_bad_licensed_translations_are_rejected(tmp_path, data, item, fragment):
    (tmp_path / "qd.json").write_text(json.dumps(data), encoding="utf-8")
    library = load_library(extra_dir=tmp_path)
    assert [(e.file, e.item) for e in library.errors] == [("qd.json", item)]
    assert fragment in library.errors[0].reason


def test_licensed_wording_file_in_two_languages_loads():
    library = load_library(extra_dir=FIXTURES)
    assert library.errors == []
    quickdash = library.get("quickdash-fr-fa")
    assert (quickdash.language, sorted(quickdash.translations)) == ("fr", ["fa"])
    assert quickdash.item("q3").text == "Texte provisoire 3"
    persian = localise(quickdash, "fa")
    assert (persian.title, persian.item("q3").text) == ("پرسشنامه نمونه", "متن نمونه ۳")
    assert persian.item("q11").options[4].label == "گزینه نمونه ۵"
    assert localise(quickdash, "en").item("q3").text == "Texte provisoire 3"
    assert persian.scores == library.get("quickdash-en").scores
    assert missing_translations(quickdash, ["fr", "fa"]) == {"fr": [], "fa": []}


@pytest.mark.parametrize("path", sorted(BUILTIN_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_builtin_files_without_translations_load_as_before(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    bare = parse_definition({k: v for k, v in raw.items() if k != "translations"}, path.name)
    loaded = LIBRARY.get(raw["id"])
    assert loaded.model_copy(update={"translations": {}}) == bare
    assert localise(loaded, "en") is loaded and localise(loaded, "en", fallback="fa") is loaded


@pytest.mark.parametrize("instrument_id", ["quickdash-en", "bctq-en", "lefs-en", "dn4-fr"])
def test_existing_wording_files_load_unchanged(instrument_id):
    defn = load_library(extra_dir=FIXTURES).get(instrument_id)
    assert defn.translations == {}
    assert all(localise(defn, lang) is defn for lang in LANGUAGE_CODES)
