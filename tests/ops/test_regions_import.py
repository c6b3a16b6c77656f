"""`openpas regions import`: regions from files, so a real deployment starts on an empty
database; the shipped `regions/` are the demo's regions, and the catalogue loads on them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.services.catalog_files import CatalogFileError
from app.services.demo import REGIONS
from app.services.region_files import load_region_files
from app.services.regions import import_regions
from tests.ops.test_demo_and_cli import _openpas, scratch_database  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_region_files_are_the_demo_regions() -> None:
    loaded = {r.code: r for r in load_region_files([ROOT / "regions"])}
    assert set(loaded) == {r.code for r in REGIONS}
    for demo in REGIONS:
        found = loaded[demo.code]
        assert (found.name, found.status_grace_days) == (demo.name, demo.grace_days)
        assert found.municipalities == demo.municipalities


async def test_an_import_creates_regions_then_updates_them_and_a_second_run_changes_nothing(
    session: AsyncSession, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    first = tmp_path / "first.yaml"
    first.write_text(
        "code: R_IMPORT\nname: Regio Import\nstatus_grace_days: 10\n"
        "municipalities:\n- {nis_code: '71001', name: Een, postal_codes: ['3900']}\n"
    )
    assert await import_regions(session, load_region_files([first])) == ["R_IMPORT created"]
    assert await import_regions(session, load_region_files([first])) == []

    grown = tmp_path / "grown.json"
    grown.write_text(
        '{"code": "R_IMPORT", "name": "Regio Import", "status_grace_days": 20,'
        ' "municipalities": [{"nis_code": "71001", "name": "Een", "postal_codes": ["3900"]},'
        ' {"nis_code": "71002", "name": "Twee", "postal_codes": ["3910", "3911"]}]}'
    )
    assert await import_regions(session, load_region_files([grown])) == [
        "R_IMPORT status_grace_days changed; 1 municipalities added"
    ]
    [region] = [
        r for r in (await client.get("/v1/regions")).json()["items"] if r["code"] == "R_IMPORT"
    ]
    assert region["status_grace_days"] == 20
    assert [(m["nis_code"], m["postal_codes"]) for m in region["municipalities"]] == [
        ("71001", ["3900"]),
        ("71002", ["3910", "3911"]),
    ]


def test_broken_region_files_name_every_problem_and_load_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "code: lower\nname: X\nmunicipalities:\n- {nis_code: '123', name: Y, postal_codes: []}\n"
    )
    (tmp_path / "b.yaml").write_text("- 3\n")
    with pytest.raises(CatalogFileError) as raised:
        load_region_files([tmp_path])
    pointers = {(Path(file).name, at) for file, at, _ in raised.value.problems}
    assert ("a.yaml", "/code") in pointers
    assert ("a.yaml", "/municipalities/0/nis_code") in pointers
    assert ("a.yaml", "/municipalities/0/postal_codes") in pointers
    assert ("b.yaml", "/0") in pointers


def test_the_running_for_real_steps_work_on_an_empty_database(
    scratch_database: str,  # noqa: F811
) -> None:
    assert _openpas("migrate", database_url=scratch_database).returncode == 0
    imported = _openpas("regions", "import", str(ROOT / "regions"), database_url=scratch_database)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == ("regions: 2 read; BRUGGE created, REGIO_KORTRIJK created")
    again = _openpas("regions", "import", str(ROOT / "regions"), database_url=scratch_database)
    assert again.stdout.strip() == "regions: 2 read; nothing changed"
    schemes = _openpas("schemes", "import", str(ROOT / "catalog"), database_url=scratch_database)
    assert schemes.returncode == 0, schemes.stderr
    assert "KORTRIJK_KANSENTARIEF v1" in schemes.stdout
    broken = _openpas("regions", "import", str(ROOT / "README.md"), database_url=scratch_database)
    assert broken.returncode != 0
    assert broken.stderr.startswith("openpas: invalid region file")
