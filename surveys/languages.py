"""The languages NerveTrack's own wording ships in, with their script direction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Language:
    """A supported language: code, names, and which way its script runs."""

    code: str
    english_name: str
    native_name: str
    direction: Literal["ltr", "rtl"]


LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", "English", "ltr"),
    Language("fr", "French", "Français", "ltr"),
    Language("es", "Spanish", "Español", "ltr"),
    Language("fa", "Persian", "فارسی", "rtl"),
)
LANGUAGE_CODES: tuple[str, ...] = tuple(language.code for language in LANGUAGES)
DEFAULT_LANGUAGE = "en"
_BY_CODE = {language.code: language for language in LANGUAGES}


def base_language(tag: str) -> str:
    """Return the primary subtag of a language tag: "fr-CA" -> "fr"."""
    return tag.split("-", 1)[0].lower()


def find_language(tag: str | None) -> Language | None:
    """Return the supported language of a tag such as "fa" or "fr-CA"; None if unsupported."""
    return _BY_CODE.get(base_language(tag)) if tag else None


def get_language(tag: str | None, default: str = DEFAULT_LANGUAGE) -> Language:
    """Return the supported language of a tag, or the default language when unsupported."""
    return find_language(tag) or _BY_CODE[default]


def text_direction(tag: str | None) -> Literal["ltr", "rtl"]:
    """Return "rtl" or "ltr" for a tag (unsupported tags read left to right)."""
    language = find_language(tag)
    return language.direction if language else "ltr"
