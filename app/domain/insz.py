"""INSZ (Belgian social security number: national register or BIS number).

Validated with python-stdnum (11 digits, modulo-97 check, including the rule that births
from 2000 on are checked with a leading 2), and turned into a keyed pseudonym at once: the
HMAC is what the database stores and matches on; the number itself is never kept.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

from stdnum.be import ssn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError


class InvalidInsz(ValueError):
    """The text is not a valid INSZ; the message says why, without repeating the number."""


@dataclass(frozen=True, slots=True)
class Insz:
    """A validated INSZ. Its repr hides the digits so it cannot slip into a log line."""

    digits: str

    def __repr__(self) -> str:
        return "Insz(***********)"

    __str__ = __repr__

    def birth_date(self) -> date | None:
        """The birth date the number encodes, when it encodes a full one."""
        try:
            value = ssn.get_birth_date(self.digits)
        except ValidationError:
            return None
        return value if isinstance(value, date) else None

    def pseudonym(self, key: str) -> str:
        return insz_pseudonym(self.digits, key)


MAX_INSZ_TEXT = 20
"""The longest spelling accepted ('85.07.30-033.28' has 15 characters), as the API's field."""

_SPELLING = re.compile(r"[0-9 .\-]+")


def parse_insz(text: str) -> Insz:
    """Accept the usual spellings ('85.07.30-033.28', '85073003328').

    The length and the characters are checked before python-stdnum sees the text: stdnum
    turns the digits into an integer (thousands of digits exceed Python's limit on integer
    conversion) and reads any Unicode digit ('８５…' in full width), where the API accepts
    only ASCII digits with spaces, dots and hyphens.
    """
    if not text or len(text) > MAX_INSZ_TEXT:
        raise InvalidInsz("an INSZ has 11 digits")
    if not _SPELLING.fullmatch(text):
        raise InvalidInsz("an INSZ is written in the digits 0-9, with spaces, dots or hyphens")
    try:
        return Insz(ssn.validate(text))
    except InvalidLength:
        raise InvalidInsz("an INSZ has 11 digits") from None
    except InvalidChecksum:
        raise InvalidInsz("the INSZ check digits do not match (typing error?)") from None
    except InvalidComponent:
        raise InvalidInsz("the INSZ does not encode a possible birth date") from None
    except ValidationError:
        raise InvalidInsz("an INSZ has 11 digits") from None


def insz_pseudonym(digits: str, key: str) -> str:
    """HMAC-SHA256 of the 11 digits: stable for matching, useless without the key."""
    return hmac.new(key.encode(), digits.encode(), hashlib.sha256).hexdigest()
