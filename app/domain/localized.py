"""Text in the languages of the pass: Dutch always, French and English when written.

German is the fourth language OpenPas answers in (Belgium's German-speaking Community):
the texts OpenPas writes itself are in German too (app/locale); texts a region or a
partner writes (a scheme's name, a price class's label) are not, and show in Dutch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from app.domain.validation import Problems, pointer, read_object, read_text

Lang = Literal["nl", "fr", "en", "de"]
# In the order a language switch shows them; Dutch first: the pass's language, the one a
# text is always written in, and what a missing translation falls back to.
LANGUAGES: Final[tuple[Lang, ...]] = ("nl", "fr", "en", "de")


@dataclass(frozen=True, slots=True)
class LocalizedText:
    nl: str
    fr: str | None = None
    en: str | None = None

    def get(self, lang: Lang) -> str:
        """The text in `lang`, or the Dutch text when it was not translated (German always:
        texts written by people are in Dutch, French and English)."""
        if lang == "fr" and self.fr is not None:
            return self.fr
        if lang == "en" and self.en is not None:
            return self.en
        return self.nl

    def to_dict(self) -> dict[str, str]:
        out = {"nl": self.nl}
        if self.fr is not None:
            out["fr"] = self.fr
        if self.en is not None:
            out["en"] = self.en
        return out

    @staticmethod
    def join(texts: Iterable[LocalizedText], separator: str) -> LocalizedText:
        """One label from several, language by language (a tariff made of two schemes)."""
        parts = tuple(texts)
        fr = (
            None if all(t.fr is None for t in parts) else separator.join(t.get("fr") for t in parts)
        )
        en = (
            None if all(t.en is None for t in parts) else separator.join(t.get("en") for t in parts)
        )
        return LocalizedText(separator.join(t.nl for t in parts), fr, en)


def parse_localized(
    value: object, at: str, problems: Problems, *, max_length: int
) -> LocalizedText:
    data = read_object(value, at, problems, required=("nl",), optional=("fr", "en"))

    def read(lang: Lang) -> str | None:
        if lang not in data:
            return None
        return read_text(data[lang], pointer(at, lang), problems, max_length=max_length)

    return LocalizedText(nl=read("nl") or "", fr=read("fr"), en=read("en"))
