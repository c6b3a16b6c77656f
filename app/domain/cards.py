"""Card numbers: 13 digits, the last a Luhn check digit; random, so not guessable."""

from __future__ import annotations

import secrets
from enum import StrEnum

from stdnum import luhn
from stdnum.exceptions import ValidationError

CARD_NUMBER_LENGTH = 13


class CardStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    REPLACED = "replaced"


def card_refusal(status: str) -> CardStatus | None:
    """Whether the desk may sell on a card of this status: None when it may, else the
    status that stops it (only an active card gets a tariff; a status this code does not
    know stops it as a block does)."""
    if status == CardStatus.ACTIVE:
        return None
    if status == CardStatus.REPLACED:
        return CardStatus.REPLACED
    return CardStatus.BLOCKED


class BlockReason(StrEnum):
    LOST = "lost"
    STOLEN = "stolen"
    DEFECT = "defect"


class InvalidCardNumber(ValueError):
    pass


def new_card_number(random_digits: str | None = None) -> str:
    """Twelve random digits and their Luhn check digit.

    Numbers are drawn at random rather than counted up, so knowing one card number tells
    nothing about any other. `random_digits` makes a number reproducible (demo data).
    """
    body = random_digits or "".join(secrets.choice("0123456789") for _ in range(12))
    if len(body) != CARD_NUMBER_LENGTH - 1 or not body.isdigit():
        raise InvalidCardNumber("a card number body has 12 digits")
    return body + luhn.calc_check_digit(body)


def parse_card_number(text: str) -> str:
    """The 13-digit number, spaces and dashes allowed; `InvalidCardNumber` says what is off."""
    digits = text.replace(" ", "").replace("-", "")
    if not digits.isdigit():
        raise InvalidCardNumber("a card number has only digits")
    if len(digits) != CARD_NUMBER_LENGTH:
        raise InvalidCardNumber(f"a card number has {CARD_NUMBER_LENGTH} digits")
    try:
        luhn.validate(digits)
    except ValidationError:
        raise InvalidCardNumber("the card number's check digit does not match") from None
    return digits
