"""NerveTrack surveys: the functional core (no flask, sqlmodel, sqlalchemy or webapp here).

Public API:
- catalogue: ``load_regions() -> list[Region]``, ``get_region(code) -> Region`` (KeyError),
  ``nerves() -> list[tuple[slug, name]]``, ``region_label(code, lang, fallback=None) -> str``,
  ``missing_region_labels(lang) -> list[code]``
- languages: ``LANGUAGES`` (code, native_name, direction), ``LANGUAGE_CODES``,
  ``get_language(tag) -> Language``, ``text_direction(tag) -> "ltr" | "rtl"``
- i18n: ``localise(defn, lang, fallback=None) -> Instrument`` (worded in lang, string by string
  falling back to fallback then to its own wording), ``text_for(defn, item_id, lang, fallback)``,
  ``missing_translations(defn, languages) -> {lang: [path]}``, ``missing_wording(defns, languages)``
- bodymap: ``render_body_map_svg(region_code) -> str``
- loader: ``load_library(extra_dir: Path | None = None) -> InstrumentLibrary`` with
  ``.get(id, version=None)``, ``.all()``, ``.errors: list[DefinitionError]``
- schema: ``Instrument``, ``Item``, ``ScoreRule``, ``FlagRule``,
  ``DefinitionError(file, item, reason)``
- scoring: ``score_answers(defn, answers) -> dict[score_id, ScoreResult]``
- validation (re-exported by scoring): ``validate_answers(defn, raw, *, partial=False)
  -> (clean, errors)``, ``unknown_fields(defn, raw) -> list[str]``
- safety (re-exported by scoring): ``evaluate_flags(defn, answers) -> list[Flag]``
- outcomes: ``is_worsening``, ``pgic_worsening``, ``pgic_responder`` (safety rules; responder
  labels and change from baseline are charts.response's)
"""

from surveys.bodymap import render_body_map_svg
from surveys.catalogue import (
    Region,
    get_region,
    load_regions,
    missing_region_labels,
    nerves,
    region_label,
)
from surveys.i18n import localise, missing_translations, missing_wording, text_for
from surveys.languages import LANGUAGE_CODES, LANGUAGES, Language, get_language, text_direction
from surveys.loader import InstrumentLibrary, load_library
from surveys.outcomes import (
    is_worsening,
    pgic_responder,
    pgic_worsening,
)
from surveys.safety import Flag, evaluate_flags
from surveys.schema import DefinitionError, Instrument
from surveys.scoring import ScoreResult, score_answers
from surveys.validation import unknown_fields, validate_answers

__all__ = [
    "LANGUAGES",
    "LANGUAGE_CODES",
    "DefinitionError",
    "Flag",
    "Instrument",
    "InstrumentLibrary",
    "Language",
    "Region",
    "ScoreResult",
    "evaluate_flags",
    "get_language",
    "get_region",
    "is_worsening",
    "load_library",
    "load_regions",
    "localise",
    "missing_region_labels",
    "missing_translations",
    "missing_wording",
    "nerves",
    "pgic_responder",
    "pgic_worsening",
    "region_label",
    "render_body_map_svg",
    "score_answers",
    "text_direction",
    "text_for",
    "unknown_fields",
    "validate_answers",
]
