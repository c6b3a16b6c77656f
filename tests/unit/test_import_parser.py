"""The import parser under arbitrary input: rows or reasons, never an exception."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.imports import (
    MAX_LINE_CHARS,
    ImportFormatError,
    Unreadable,
    _parse_row,
    _Row,
    read_csv,
    read_json_lines,
)

KEY = "k" * 32
FUZZ = settings(max_examples=300, deadline=None)

# Pieces a hostile or broken list is made of: separators, quotes, line breaks of every
# kind, digits of other scripts, very long runs, and the words the parser looks for.
PIECES = st.one_of(
    st.sampled_from(
        [
            ";",
            ",",
            '"',
            '""',
            "\n",
            "\r\n",
            "\r",
            "\x00",
            "\u2028",
            "\x0c",
            "\ufeff",
            "insz",
            "type",
            "valid_from",
            "valid_until",
            "evidence",
            "kansenstatuut",
            "2026-01-01",
            "20260101",
            "85073003328",
            "８５０７３００３３２８",
            "٣",
            "[",
            "{",
            '{"insz": ',
            "}",
            "null",
            "true",
            "1e999",
        ]
    ),
    st.text(max_size=20),
    st.integers(min_value=0, max_value=3_000).map(lambda n: "9" * n),
    st.integers(min_value=0, max_value=2_500).map(lambda n: "[" * n),
)
HOSTILE = st.lists(PIECES, max_size=40).map("".join)


def _parse_all(rows: object) -> list[object]:
    outcomes: list[object] = []
    for number, raw in rows:  # type: ignore[attr-defined]
        assert isinstance(number, int)
        assert number >= 1
        assert isinstance(raw, Unreadable) or all(
            isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
        )
        outcomes.append(_parse_row(number, raw, KEY, "04-30"))
    return outcomes


@FUZZ
@given(HOSTILE)
def test_any_csv_gives_rows_or_reasons_or_an_unreadable_list(text: str) -> None:
    try:
        outcomes = _parse_all(read_csv(text))
    except ImportFormatError:
        return
    for outcome in outcomes:
        if isinstance(outcome, str):
            assert outcome
            assert len(outcome) < 300


@FUZZ
@given(HOSTILE)
def test_any_json_lines_give_rows_or_reasons(text: str) -> None:
    for outcome in _parse_all(read_json_lines(text)):
        if isinstance(outcome, str):
            assert outcome
            assert len(outcome) < 300


@FUZZ
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["insz", "type", "valid_from", "valid_until", "evidence", "x"]),
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(),
                st.floats(),
                st.text(max_size=30),
                st.lists(st.integers(), max_size=3),
            ),
        ),
        max_size=10,
    )
)
def test_any_json_objects_give_rows_or_reasons(objects: list[dict[str, object]]) -> None:
    text = "\n".join(json.dumps(o) for o in objects)
    outcomes = _parse_all(read_json_lines(text))
    assert len(outcomes) == len(objects)


@FUZZ
@given(st.integers(min_value=1, max_value=60), st.sampled_from(["\n", "\r\n", "\r"]))
def test_a_line_is_rejected_by_its_length_before_it_is_parsed(extra: int, newline: str) -> None:
    long_cell = "9" * (MAX_LINE_CHARS + extra)
    text = newline.join(["insz;type;valid_from", f"{long_cell};kansenstatuut;2026-01-01"])
    [(number, raw)] = list(read_csv(text))
    assert (number, raw) == (1, Unreadable("line 2: longer than 2000 characters"))


@FUZZ
@given(st.lists(st.booleans(), min_size=1, max_size=30))
def test_every_valid_line_survives_a_stray_quote_in_another(broken: list[bool]) -> None:
    insz = "85073003328"
    lines = [
        f'{insz};kansenstatuut;"2026-01-01' if is_broken else f"{insz};kansenstatuut;2026-01-01"
        for is_broken in broken
    ]
    outcomes = _parse_all(read_csv("\n".join(["insz;type;valid_from", *lines])))
    assert [isinstance(o, str) for o in outcomes] == broken
    for line_number, (outcome, is_broken) in enumerate(zip(outcomes, broken, strict=True), 2):
        if is_broken:
            assert isinstance(outcome, str)
            assert outcome.startswith(f"line {line_number}: ")
        else:
            assert isinstance(outcome, _Row)
            assert outcome.valid_from == date(2026, 1, 1)
