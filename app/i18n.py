"""The message catalogues, read once at start-up: `translate(key, lang, **params)`.

The catalogues are gettext `.po` files under `app/locale/<lang>/LC_MESSAGES/openpas.po`,
read with Babel's `read_po` when this module is first imported, so neither `make run` nor
the image needs a compile step (no `.mo` files); a look-up is two dict look-ups. See
`app.domain.messages` for the keys, placeholders and the fallback, and the README's
"Translations" for adding a message or a language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from babel.messages.pofile import read_po

from app.domain.localized import LANGUAGES, Lang
from app.domain.messages import Messages, Texts

LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "openpas"


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(path: Path) -> dict[str, str]:
    """A catalogue's translated messages: key -> text (untranslated and fuzzy ones are
    left out, so they fall back rather than show a half-done text)."""
    with path.open("rb") as file:
        catalog = read_po(file, domain=DOMAIN)
    return {
        message.id: message.string
        for message in catalog
        if isinstance(message.id, str)
        and message.id
        and isinstance(message.string, str)
        and message.string
        and not message.fuzzy
    }


def load() -> Messages:
    return Messages({lang: read_catalogue(catalogue_path(lang)) for lang in LANGUAGES})


MESSAGES: Final = load()


def translate(key: str, lang: Lang, /, **params: object) -> str:
    return MESSAGES.translate(key, lang, **params)


def texts(lang: Lang) -> Texts:
    return MESSAGES.of(lang)
