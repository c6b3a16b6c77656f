"""The message catalogues: complete in every language, placeholders kept, up to date with
the code (what `make messages` would extract is what the template holds)."""

from __future__ import annotations

import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.api.problems import END_USER_MESSAGES, end_user_message
from app.domain.localized import LANGUAGES
from app.domain.messages import Messages, UnknownMessage
from app.i18n import LOCALE_DIR, MESSAGES, catalogue_path, read_catalogue, texts, translate

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = LOCALE_DIR / "openpas.pot"


def template_keys(path: Path) -> set[str]:
    with path.open("rb") as file:
        return {
            message.id for message in read_po(file) if isinstance(message.id, str) and message.id
        }


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_template_names_every_message_of_the_code() -> None:
    assert len(template_keys(TEMPLATE)) > 250


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_of_the_template_is_translated_in_every_language(lang: str) -> None:
    keys = template_keys(TEMPLATE)
    catalogue = read_catalogue(catalogue_path(lang))

    assert sorted(keys - set(catalogue)) == []
    # And nothing that the code no longer uses.
    assert sorted(set(catalogue) - keys) == []
    assert [key for key, text in catalogue.items() if not text.strip()] == []


def test_a_translation_has_the_placeholders_of_the_dutch_text() -> None:
    dutch = read_catalogue(catalogue_path("nl"))
    wrong = {
        (lang, key): sorted(placeholders(text))
        for lang in LANGUAGES
        for key, text in read_catalogue(catalogue_path(lang)).items()
        if placeholders(text) != placeholders(dutch[key])
    }

    assert wrong == {}
    assert placeholders(dutch["summary.if"]) == {"clause", "price"}


def test_the_catalogues_are_up_to_date_with_the_code(tmp_path: Path) -> None:
    extracted = tmp_path / "openpas.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "--quiet",
            "extract",
            "-F",
            "babel.cfg",
            "--no-default-keywords",
            "-k",
            "N_",
            "-k",
            "t",
            "-k",
            "translate",
            "--no-location",
            "-o",
            str(extracted),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )

    assert template_keys(extracted) == template_keys(TEMPLATE), "run `make messages`"


def test_every_problem_code_has_its_sentence_in_every_language() -> None:
    for code in END_USER_MESSAGES:
        sentences = {lang: end_user_message(code, 400, lang) for lang in LANGUAGES}
        assert all(sentences.values()), code
        assert len(set(sentences.values())) == len(LANGUAGES), (code, sentences)


def test_a_message_is_looked_up_in_the_language_asked_for() -> None:
    assert end_user_message("card-not-found", 404, "de") == (
        "Diese Karte kennen wir nicht. Bitte prüfen Sie die Kartennummer."
    )
    assert translate("web.desk", "fr") == "Guichet"
    assert texts("de")("summary.tickets.many", count=3) == "3 Tickets"
    assert translate("report.title.settlement", "nl") == "Afrekening"
    # The dashboard and a sheet say "Settlement" in English, differently in Dutch: two keys.
    assert translate("web.settlement", "nl") == "Verrekening"


def test_a_message_missing_from_a_catalogue_falls_back_to_dutch() -> None:
    messages = Messages(
        {"nl": {"greeting": "Dag {name}"}, "fr": {}, "en": {"greeting": "Hello {name}"}, "de": {}}
    )

    assert messages.translate("greeting", "de", name="Sofie") == "Dag Sofie"
    assert messages.translate("greeting", "en", name="Sofie") == "Hello Sofie"
    with pytest.raises(UnknownMessage):
        messages.translate("farewell", "nl")


def test_the_loaded_messages_are_those_of_the_files() -> None:
    assert MESSAGES.catalogues["fr"] == read_catalogue(catalogue_path("fr"))
    assert MESSAGES.keys() == template_keys(TEMPLATE)
