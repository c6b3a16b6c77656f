"""The pages' languages; their words are messages `web.*` in the catalogues (app/locale).

Templates call `t('web.desk', lang)`. A key a template builds from a value
(`t('web.status_' ~ sale.status, lang)`) is listed here, so that `pybabel extract` finds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from app.domain.localized import LANGUAGES, Lang
from app.domain.messages import N_

__all__ = ["BUILT_KEYS", "LANGUAGES", "LANGUAGE_NAMES", "NOTICES"]

LANGUAGE_NAMES: Final[Mapping[Lang, str]] = {
    "nl": "Nederlands",
    "fr": "Français",
    "en": "English",
    "de": "Deutsch",
}

# The statuses of a card and of a sale, as a template names them.
BUILT_KEYS: Final = (
    N_("web.status_active"),
    N_("web.status_confirmed"),
    N_("web.status_held"),
    N_("web.status_cancelled"),
    N_("web.status_expired"),
)

# What the login page may say after a redirect (`/login?notice=activated`).
NOTICES: Final[Mapping[str, str]] = {
    "activated": N_("web.activated"),
    "logged_out": N_("web.logged_out"),
}
