"""Regions from files: the shipped `regions/` and files an operator imports.

A file (YAML or JSON) holds one region as a mapping, or a list of them: its `code`,
`name`, municipalities (NIS code, name, postal codes) and settings, as `POST /v1/regions`
takes them. Every problem in every file is reported at once, as `file#/json/pointer:
message`, the way scheme files are (app.services.catalog_files).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from app.db.regions import MunicipalityRow
from app.services.catalog_files import CatalogFileError, read_document, scheme_file_paths

_NAME = r"^[^\x00-\x1f\x7f]+$"


class _Municipality(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nis_code: Annotated[str, Field(pattern=r"^[0-9]{5}$")]
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=_NAME)]
    postal_codes: Annotated[
        list[Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$")]], Field(min_length=1, max_length=50)
    ]


class _Region(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,31}$")]
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=_NAME)]
    municipalities: Annotated[list[_Municipality], Field(min_length=1, max_length=400)]
    status_grace_days: Annotated[StrictInt, Field(ge=0, le=365)] = 0
    default_status_end: Annotated[
        str, Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
    ] = "04-30"
    end_statuses_on_move: StrictBool = True

    @field_validator("default_status_end")
    @classmethod
    def _real_day(cls, value: str) -> str:
        month, day = (int(part) for part in value.split("-"))
        date(2001, month, day)  # 02-30 is no day; 02-29 is not every year's
        return value

    @model_validator(mode="after")
    def _distinct(self) -> _Region:
        nis = [m.nis_code for m in self.municipalities]
        if len(set(nis)) != len(nis):
            raise ValueError("a municipality is listed twice")
        return self


@dataclass(frozen=True, slots=True)
class RegionFile:
    """One region as a file describes it."""

    code: str
    name: str
    municipalities: tuple[MunicipalityRow, ...]
    status_grace_days: int
    default_status_end: str
    end_statuses_on_move: bool


def load_region_files(paths: Iterable[str | os.PathLike[str]]) -> list[RegionFile]:
    """Every region in `paths` (files or directories, YAML or JSON), in order; raises
    CatalogFileError naming each problem's file and JSON pointer (a code or NIS code in
    two places is one too)."""
    found: list[RegionFile] = []
    problems: list[tuple[str, str, str]] = []
    codes: dict[str, str] = {}
    nis_codes: dict[str, str] = {}
    for path in scheme_file_paths(paths):
        name = str(path)
        try:
            document = read_document(path)
        except (OSError, ValueError, yaml.YAMLError) as error:
            problems.append((name, "", f"cannot be read: {error}"))
            continue
        entries = (
            [(f"/{i}", item) for i, item in enumerate(document)]
            if isinstance(document, list)
            else [("", document)]
        )
        for prefix, entry in entries:
            if not isinstance(entry, Mapping):
                problems.append((name, prefix, "must be a region (a mapping) or a list of them"))
                continue
            try:
                region = _Region.model_validate(entry)
            except ValidationError as error:
                problems += [
                    (name, prefix + "".join(f"/{p}" for p in e["loc"]), e["msg"])
                    for e in error.errors()
                ]
                continue
            if region.code in codes:
                problems.append(
                    (name, prefix + "/code", f"{region.code} is also in {codes[region.code]}")
                )
                continue
            codes[region.code] = name
            for index, muni in enumerate(region.municipalities):
                if muni.nis_code in nis_codes:
                    problems.append(
                        (
                            name,
                            f"{prefix}/municipalities/{index}/nis_code",
                            f"{muni.nis_code} is also in {nis_codes[muni.nis_code]}",
                        )
                    )
                nis_codes[muni.nis_code] = name
            found.append(
                RegionFile(
                    code=region.code,
                    name=region.name,
                    municipalities=tuple(
                        MunicipalityRow(m.nis_code, m.name, tuple(m.postal_codes))
                        for m in region.municipalities
                    ),
                    status_grace_days=region.status_grace_days,
                    default_status_end=region.default_status_end,
                    end_statuses_on_move=region.end_statuses_on_move,
                )
            )
    if problems:
        raise CatalogFileError(problems)
    return found
