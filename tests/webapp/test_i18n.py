"""Languages: the clinic's list, each request's locale, and catalogues that are up to date."""

from __future__ import annotations

import filecmp
import re
import shutil

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask import g, render_template_string
from flask_babel import refresh

from surveys.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES
from webapp import ConfigError, create_app
from webapp.cli.translations import WEBAPP
from webapp.i18n import (
    TRANSLATIONS,
    clinic_languages,
    gettext,
    local_digits,
    ngettext,
    request_translations,
    select_locale,
    text_direction,
)
from webapp.i18n import refresh as i18n_refresh


@pytest.mark.parametrize(("raw", "expected"), [
    (None, ("en", "fr", "es", "fa")), ("fa,en", ("fa", "en")), ("fr-CA, en, fr", ("fr", "en")),
    (["es"], ("es",)), ("", ("en", "fr", "es", "fa")),
])
def test_the_clinic_languages_come_from_the_setting(raw, expected):
    assert clinic_languages({"LANGUAGES": raw}) == expected


@pytest.mark.parametrize("raw", ["de", "en,xx", "klingon"])
def test_a_language_we_do_not_speak_is_a_configuration_error(raw):
    with pytest.raises(ConfigError, match="NERVETRACK_LANGUAGES"):
        clinic_languages({"LANGUAGES": raw})


@pytest.fixture
def bare_app(tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "LANGUAGES": "en,fr,fa",
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
                       "INSTANCE_PATH": str(tmp_path / "instance")})


@pytest.mark.parametrize(("patient", "header", "expected"), [
    ("fa", "fr", "fa"), (None, "fr-FR,fr;q=0.9", "fr"), (None, "de", "en"), ("de", None, "en"),
    (None, "es", "en"),  # Spanish is not one of this clinic's languages
])
def test_a_request_speaks_the_patient_language_else_the_browser_choice(bare_app, patient, header,
                                                                        expected):
    headers = {"Accept-Language": header} if header else {}
    with bare_app.test_request_context("/", headers=headers):
        if patient:
            g.locale = patient
        assert select_locale() == expected


def test_persian_pages_run_right_to_left(bare_app):
    with bare_app.test_request_context("/"):
        g.locale = "fa"
        assert text_direction() == "rtl" and text_direction("fr") == "ltr"
        page = '<html lang="{{ page_locale() }}" dir="{{ text_direction() }}">'
        html = render_template_string(page)
        assert html == '<html lang="fa" dir="rtl">'


def test_compiled_catalogues_match_their_sources(tmp_path):
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy)
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(copy), "--use-fuzzy"])
    for mo in TRANSLATIONS.glob("*/LC_MESSAGES/messages.mo"):
        fresh = copy / mo.relative_to(TRANSLATIONS)
        assert filecmp.cmp(mo, fresh, shallow=False), f"{mo} is stale: run `nervetrack " \
            "translations compile`"


PLACEHOLDER_RE = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+(?::[^}]*)?\}")


def _catalogue(path):
    with path.open("rb") as handle:
        return read_po(handle)


def _extracted(tmp_path):
    pot = tmp_path / "fresh.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(WEBAPP / "babel.cfg"),
                                "-k", "_l", "--no-location", "-o", str(pot), str(WEBAPP)])
    return {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(pot) if m.id}


def test_the_template_catalogue_holds_every_marked_string(tmp_path):
    committed = {m.id if isinstance(m.id, str) else m.id[0]
                 for m in _catalogue(TRANSLATIONS / "messages.pot") if m.id}
    fresh = _extracted(tmp_path)
    assert sorted(fresh - committed) == [], "run `nervetrack translations extract` and update"
    assert sorted(committed - fresh) == [], "strings no longer in the code: extract again"


@pytest.mark.parametrize("code", [c for c in LANGUAGE_CODES if c != DEFAULT_LANGUAGE])
def test_every_language_translates_every_string_with_the_same_placeholders(code):
    template = {m.id if isinstance(m.id, str) else m.id[0]
                for m in _catalogue(TRANSLATIONS / "messages.pot") if m.id}
    catalogue = _catalogue(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po")
    done, missing, mismatched = set(), [], []
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if "fuzzy" in message.flags or not all(strings):
            missing.append(key)
            continue
        done.add(key)
        wanted = sorted(PLACEHOLDER_RE.findall(key))
        if any(sorted(PLACEHOLDER_RE.findall(s)) != wanted for s in strings):
            mismatched.append(key)
    missing += sorted(template - done - set(missing))
    assert missing == [], f"{code}: {len(missing)} strings to translate"
    assert mismatched == [], f"{code}: placeholders differ from the English"


@pytest.mark.parametrize(("locale", "text", "shown"), [
    ("fa", "Pain down from 8 to 2.5 in 2026", "Pain down from ۸ to ۲.۵ in ۲۰۲۶"),
    ("fr", "de 8 à 2,5", "de 8 à 2,5"), ("en", "0-10", "0-10"), ("es", "10", "10"),
])
def test_numbers_are_shown_in_the_digits_of_the_page_language(bare_app, locale, text, shown):
    with bare_app.test_request_context("/"):
        g.locale = locale
        refresh()
        assert local_digits(text) == shown
        assert render_template_string("{{ t|local_digits }}", t=text) == shown


def test_a_request_looks_its_catalogue_up_once_and_again_after_a_change_of_language(bare_app):
    with bare_app.test_request_context("/"):
        g.locale = "fr"
        assert gettext("Next") == "Suivant"
        assert request_translations() is request_translations()  # kept for the request
        g.locale = "fa"
        assert gettext("Next") == "Suivant"  # the language is settled until a refresh
        i18n_refresh()
        assert gettext("Next") == render_template_string("{{ _('Next') }}") != "Suivant"
        assert ngettext("Please check the answer marked below.",
                        "Please check the answers marked below.", 2) \
            == render_template_string("{{ ngettext('Please check the answer marked below.', "
                                      "'Please check the answers marked below.', 2) }}")


def test_gettext_outside_a_request_leaves_the_english(bare_app):
    assert gettext("Page %(n)s of %(total)s", n=1, total=3) == "Page 1 of 3"
    with bare_app.app_context():
        assert render_template_string("{{ _('Next') }}") == "Next"


@pytest.mark.parametrize("source", [
    "{{ _('Think about %(period)s.', period=p) }}",
    "{{ _('Page %(n)s of %(total)s', n=p, total='<i>') }}",
    "{{ _('100%%') }} {{ _('Next') }}",
    "{% autoescape false %}{{ _('Think about %(period)s.', period=p) }}{% endautoescape %}",
])
@pytest.mark.parametrize("locale", ["en", "fr", "fa"])
def test_underscore_in_templates_is_jinjas_newstyle_gettext(bare_app, source, locale):
    """Our shorter ``_`` gives what Jinja's own newstyle alias gives: escaped, then formatted."""
    with bare_app.test_request_context("/"):
        g.locale = locale
        i18n_refresh()
        ours = render_template_string(source, p="<b>the last week</b>")
        bare_app.jinja_env.globals["_"] = bare_app.jinja_env.globals["gettext"]  # Jinja's
        theirs = render_template_string(source, p="<b>the last week</b>")
    assert ours == theirs
    assert "<b>" not in ours or "autoescape false" in source
