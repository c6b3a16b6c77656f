"""The shipped catalogue: every file parses, and its schemes give the real-world prices."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

import pytest

from app.domain.entitlements import EntitlementFact
from app.domain.facts import HolderFacts, OfferFacts, PriceClass
from app.domain.pricing import price
from app.domain.schemes import SchemeDefinition
from app.services.catalog_files import CatalogFileError, load_scheme_files, scheme_file_paths

CATALOG = Path(__file__).resolve().parents[2] / "catalog"
SALE_DAY = date(2026, 3, 14)


@pytest.fixture(scope="module")
def catalog() -> list[SchemeDefinition]:
    return load_scheme_files([CATALOG])


def holder(*types: str, nis: str = "34022", region: str = "REGIO_KORTRIJK") -> HolderFacts:
    statuses = tuple(EntitlementFact(t, region, date(2025, 5, 1), date(2026, 4, 30)) for t in types)
    return HolderFacts("h", date(1985, 1, 1), nis, region, statuses)


KV_KORTRIJK = OfferFacts("season", "kv-kortrijk", "REGIO_KORTRIJK", "34022", "sport")
CONCERTGEBOUW = OfferFacts("concert", "concertgebouw", "BRUGGE", "31005", "muziek")


def test_every_catalogue_file_parses_with_unique_codes(catalog: list[SchemeDefinition]) -> None:
    codes = [s.code for s in catalog]

    assert len(scheme_file_paths([CATALOG])) >= 7
    assert len(codes) == len(set(codes))
    assert {
        "KORTRIJK_KANSENTARIEF",
        "BRUGGE_TERUGBETALING_VOLWASSENE",
        "BRUGGE_TERUGBETALING_KIND",
        "ARTIKEL_27",
        "KORTRIJK_JONGER_DAN_12",
        "KORTRIJK_65_PLUS",
        "BRUGGE_GROOT_GEZIN",
        "EUROPEAN_DISABILITY_CARD",
        "KORTRIJK_WELKOMSTBON",
    } <= set(codes)


def test_a_119_euro_season_ticket_costs_23_euro_80_with_the_kortrijk_kansentarief(
    catalog: list[SchemeDefinition],
) -> None:
    quote = price(
        offer=KV_KORTRIJK,
        price_class=PriceClass("season", 11900),
        holder=holder("kansenstatuut"),
        at=SALE_DAY,
        quantity=1,
        usage={},
        schemes=catalog,
    )

    best = quote.best
    assert best is not None
    # The welcome voucher comes on top: €23.80 − €5.
    assert [(p.scheme_code, p.discount_cents) for p in best.parts] == [
        ("KORTRIJK_KANSENTARIEF", 9520),
        ("KORTRIJK_WELKOMSTBON", 500),
    ]
    assert best.unit_price_cents == 1880
    kansentarief = [s for s in best.funding if s.scheme_code == "KORTRIJK_KANSENTARIEF"]
    assert [(s.payer, s.amount_cents) for s in kansentarief] == [
        ("partner", 4760),
        ("scheme_owner", 4760),
    ]


def test_brugge_refunds_80_percent_and_an_article_27_ticket_costs_1_euro_25(
    catalog: list[SchemeDefinition],
) -> None:
    brugge = holder("kansenstatuut", nis="31005", region="BRUGGE")
    article27 = holder("article27", nis="31005", region="BRUGGE")
    concert = PriceClass("standard", 3000)

    at_the_concert = partial(
        price, offer=CONCERTGEBOUW, price_class=concert, at=SALE_DAY, quantity=1, usage={}
    )
    refund = at_the_concert(holder=brugge, schemes=catalog).best
    ticket = at_the_concert(holder=article27, schemes=catalog).best

    assert refund is not None
    assert ticket is not None
    assert (refund.scheme_code, refund.unit_price_cents) == ("BRUGGE_TERUGBETALING_VOLWASSENE", 600)
    assert (ticket.scheme_code, ticket.unit_price_cents) == ("ARTIKEL_27", 125)


def test_a_broken_file_is_named_with_the_pointer_of_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "- code: GOED_GENOEG\n"
        "  name: {nl: Goed}\n"
        "  eligibility: {card_holder: true}\n"
        "  applies_to: {partners: all}\n"
        "  price: {type: pay_percent, percent: 150}\n"
        "  funding: [{payer: partner, rest: true}]\n",
        encoding="utf-8",
    )

    with pytest.raises(CatalogFileError) as raised:
        load_scheme_files([broken])

    assert raised.value.problems == [(str(broken), "/0/price/percent", "must be between 0 and 100")]
    assert f"{broken}#/0/price/percent: must be between 0 and 100" in str(raised.value)


def test_a_file_that_is_no_yaml_is_reported_not_raised_as_a_crash(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("code: [unclosed\n", encoding="utf-8")

    with pytest.raises(CatalogFileError) as raised:
        load_scheme_files([broken])

    assert raised.value.problems[0][:2] == (str(broken), "")
