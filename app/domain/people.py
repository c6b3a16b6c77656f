"""Rules about people's names and birth dates that do not depend on storage."""

from __future__ import annotations

import unicodedata
from datetime import date

MAX_AGE_YEARS = 120


def name_key(first_name: str, last_name: str) -> str:
    """A comparison key that ignores case, accents and spacing ("Van den Broeck, Zoë").

    Two registrations with the same key and birth date in one region are the same person.
    """

    def fold(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        letters = "".join(c for c in decomposed if not unicodedata.combining(c))
        return " ".join(letters.replace("-", " ").split())

    return f"{fold(last_name)}|{fold(first_name)}"


def display_name(first_name: str, last_name: str) -> str:
    """What a desk may see: first name and the initial of the last name ("Sofie D.")."""
    initial = last_name.strip()[:1].upper()
    return f"{first_name.strip()} {initial}." if initial else first_name.strip()


def birth_date_problem(birth_date: date, today: date) -> str | None:
    if birth_date > today:
        return "the birth date lies in the future"
    try:
        oldest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    if birth_date < oldest:
        return f"the birth date lies more than {MAX_AGE_YEARS} years ago"
    return None
