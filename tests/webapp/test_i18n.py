"""Languages: the clinic's list, each request's locale, and catalogues that are up to date."""

from __future__ import annotations

import filecmp
import shutil

import pytest
from babel.messages.frontend import CommandLineInterface
from flask import g, render_template_string

from webapp import ConfigError, create_app
from webapp.i18n import TRANSLATIONS, clinic_languages, select_locale, text_direction


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
