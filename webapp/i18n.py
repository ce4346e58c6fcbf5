"""Languages: Flask-Babel for pages, the clinic's languages, and each request's locale.

Patient pages speak the patient's language (set by the survey views in ``g.locale``); other
pages follow the browser's Accept-Language among the clinic's languages. Catalogues live in
webapp/translations/ (``nervetrack translations`` extracts, updates and compiles them); the
compiled .mo files are committed, so an install needs no extra step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import flask_babel
from babel import Locale
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, get_locale, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup

from surveys.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES, find_language
from webapp.config import ConfigError

TRANSLATIONS = Path(__file__).parent / "translations"


def clinic_languages(config) -> tuple[str, ...]:
    """Return the clinic's languages (NERVETRACK_LANGUAGES, e.g. "en,fa"); the first is default."""
    raw = config.get("LANGUAGES") or ",".join(LANGUAGE_CODES)
    return _parse_languages(raw if isinstance(raw, str) else tuple(raw))


@lru_cache(maxsize=32)  # read on every request: parsed once per setting
def _parse_languages(raw: str | tuple) -> tuple[str, ...]:
    tags = raw.split(",") if isinstance(raw, str) else list(raw)
    codes = []
    for tag in (t.strip() for t in tags if str(t).strip()):
        language = find_language(tag)
        if language is None:
            raise ConfigError(
                f"NERVETRACK_LANGUAGES: {tag!r} is not one of {', '.join(LANGUAGE_CODES)}")
        codes.append(language.code)
    return tuple(dict.fromkeys(codes)) or (DEFAULT_LANGUAGE,)


def select_locale() -> str:
    """Return this request's locale: the patient's language, else the browser's choice."""
    languages = clinic_languages(current_app.config)
    chosen = g.get("locale") if has_request_context() else None
    if chosen and (language := find_language(chosen)) is not None:
        return language.code
    if has_request_context():
        return request.accept_languages.best_match(languages) or languages[0]
    return languages[0]


@lru_cache(maxsize=64)
def _parsed_locale(code: str) -> Locale:
    return Locale.parse(code)


def _babel_locale() -> Locale:
    # Flask-Babel parses whatever its selector returns, once per request; a Locale passes
    # through as it is, so each language is parsed once per process instead.
    return _parsed_locale(select_locale())


@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables) -> str:
    """``_()`` in templates: Jinja's newstyle gettext (escaped, then formatted with the
    variables), calling the catalogue directly instead of through three context calls."""
    text = request_translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    # Formatting with no variables changes only "%%": skip it (and Markup's escaping
    # formatter) for the many strings without a percent sign.
    return text % variables if variables or "%" in text else text


def page_locale(outside_app: str | None = None) -> str | None:
    """Return this request's language tag, as Flask-Babel resolved it (kept for the request);
    outside an app context, `outside_app`."""
    try:
        return g._nt_locale
    except AttributeError:
        pass
    except RuntimeError:  # no app context
        return outside_app
    locale = get_locale()
    g._nt_locale = tag = str(locale) if locale else select_locale()
    return tag


def text_direction(code: str | None = None) -> str:
    """Return "rtl" or "ltr" for a language (default: this request's locale)."""
    language = find_language(code or page_locale())
    return language.direction if language else "ltr"


# Flask-Babel finds the request's catalogue anew for every string (about ten lookups of
# request-bound globals each); a page asks for dozens. These find it once per request.
def request_translations():
    """Return this request's catalogue (Flask-Babel's), looked up once per request."""
    try:
        return g._nt_translations
    except AttributeError:
        pass
    except RuntimeError:  # no app context: Flask-Babel's own answer (no translation)
        return get_translations()
    g._nt_translations = translations = get_translations()
    return translations


def gettext(string: str, **variables) -> str:
    """Flask-Babel's gettext, with the request's catalogue looked up once."""
    text = request_translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's ngettext (num is offered to the text as %(num)s), the catalogue once."""
    variables.setdefault("num", num)
    return request_translations().ungettext(singular, plural, num) % variables


def refresh() -> None:
    """Forget this request's locale and catalogue after g.locale changed (Flask-Babel's refresh)."""
    flask_babel.refresh()
    g.pop("_nt_translations", None)
    g.pop("_nt_locale", None)


# The digits of the numbering systems our languages use by default (CLDR "arabext": Persian).
NATIVE_DIGITS = {"arabext": "۰۱۲۳۴۵۶۷۸۹", "arab": "٠١٢٣٤٥٦٧٨٩"}


def local_digits(text: str, locale: str | None = None) -> str:
    """Return text with its ASCII digits written as the language writes them (default: this
    request's; Persian: ۰-۹); numbers typed in answers are normalised to ASCII before scoring."""
    locale = locale or page_locale()
    if not locale:  # outside an app: plain digits
        return text
    table = _digit_table(str(locale))
    return text.translate(table) if table else text


@lru_cache(maxsize=64)
def _digit_table(locale: str) -> dict | None:
    digits = NATIVE_DIGITS.get(_parsed_locale(locale).default_numbering_system)
    return str.maketrans("0123456789", digits) if digits else None


def init_app(app: Flask) -> None:
    """Install Flask-Babel with NerveTrack's catalogues and locale selector."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config["LANGUAGES"] = clinic_languages(app.config)
    Babel(app, locale_selector=_babel_locale)
    translations = request_translations
    app.jinja_env.install_gettext_callables(  # as Flask-Babel's, the catalogue found once
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals["_"] = template_gettext
    app.jinja_env.globals.update(text_direction=text_direction, page_locale=page_locale)
    app.jinja_env.filters["local_digits"] = local_digits
