"""The words OpenPas writes itself, by message key, in every language of the pass.

Every user-facing text (a problem's `end_user_message`, report headers and payer labels,
the plain-language scheme summaries, the desk's and the dashboard's words, a printed
voucher) is a message in the gettext catalogues under `app/locale/<lang>/LC_MESSAGES/
openpas.po`; `app.i18n` reads them once at start-up into a `Messages`, and the domain is
handed one (it does no I/O and imports no Babel).

Message ids are stable keys (`problem.card-not-found`, `report.settlement.payer`), not
English sentences: English is a translation like Dutch, French and German, so improving
an English sentence leaves the other three standing; and the same English word in two
places ("Settlement" is "Verrekening" on the dashboard and "Afrekening" on a sheet) gets
two keys and so two translations. A key is written in the code through `N_` (or `t(...)`,
`translate(...)`), which is what `pybabel extract` looks for.

Placeholders are `{name}` (str.format), the same in every language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from app.domain.localized import LANGUAGES, Lang

# What a message missing from a catalogue falls back to: Dutch, the language every text of
# the pass is written in (a test keeps the shipped catalogues complete, so this is for a
# catalogue edited by hand).
FALLBACK: Final[Lang] = "nl"


def N_(key: str) -> str:  # noqa: N802  # gettext's name for a marker, which pybabel knows
    """Mark a message key for extraction where it is written but not yet translated."""
    return key


class UnknownMessage(KeyError):
    """A key in no catalogue: a typo in the code, or a catalogue not updated."""


@dataclass(frozen=True, slots=True)
class Texts:
    """The messages of one language: `t("summary.pay_percent", percent="20 %")`."""

    language: Lang
    messages: Messages

    def __call__(self, key: str, /, **params: object) -> str:
        return self.messages.translate(key, self.language, **params)


@dataclass(frozen=True, slots=True)
class Messages:
    """Every catalogue, loaded: message key -> text, per language."""

    catalogues: Mapping[Lang, Mapping[str, str]]

    def translate(self, key: str, lang: Lang, /, **params: object) -> str:
        text = self.catalogues[lang].get(key) or self.catalogues[FALLBACK].get(key)
        if text is None:
            raise UnknownMessage(key)
        return text.format(**params) if params else text

    def of(self, lang: Lang) -> Texts:
        return Texts(lang, self)

    def keys(self) -> frozenset[str]:
        return frozenset(key for lang in LANGUAGES for key in self.catalogues.get(lang, {}))
