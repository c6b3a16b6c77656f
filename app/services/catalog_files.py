"""Scheme definitions from files: the shipped `catalog/` and files an admin imports.

A file (YAML or JSON) holds one scheme as a mapping, or a list of closely related schemes.
Every problem in every file is reported at once, each as `file#/json/pointer: message`, so
an editor of the catalogue fixes a file in one go instead of one error per run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from app.domain.schemes import SchemeDefinition, SchemeValidationError, parse_scheme

SCHEME_FILE_SUFFIXES = (".yaml", ".yml", ".json")


class CatalogFileError(ValueError):
    """One or more scheme files are invalid; `problems` lists (file, pointer, message)."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        lines = [f"{file}#{at}: {message}" for file, at, message in problems]
        super().__init__("invalid scheme file(s):\n" + "\n".join(lines))


def scheme_file_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The given files, with each directory replaced by its scheme files in name order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in SCHEME_FILE_SUFFIXES)
        else:
            found.append(path)
    return found


def load_scheme_files(paths: Iterable[str | os.PathLike[str]]) -> list[SchemeDefinition]:
    """Parse every scheme in `paths` (files or directories), in order.

    Raises CatalogFileError naming the file and the JSON pointer of each problem; a scheme
    code and version defined twice is a problem too.
    """
    schemes: list[SchemeDefinition] = []
    problems: list[tuple[str, str, str]] = []
    seen: dict[tuple[str, int], str] = {}
    for path in scheme_file_paths(paths):
        name = str(path)
        try:
            document = read_document(path)
        except (OSError, ValueError, yaml.YAMLError) as error:
            problems.append((name, "", f"cannot be read: {error}"))
            continue
        if isinstance(document, list):
            entries = [(f"/{i}", item) for i, item in enumerate(document)]
        else:
            entries = [("", document)]
        for prefix, entry in entries:
            if not isinstance(entry, Mapping):
                problems.append((name, prefix, "must be a scheme (a mapping) or a list of them"))
                continue
            try:
                scheme = parse_scheme(entry)
            except SchemeValidationError as error:
                problems += [(name, prefix + at, message) for at, message in error.errors]
                continue
            key = (scheme.code, scheme.version)
            if key in seen:
                problems.append(
                    (
                        name,
                        prefix + "/code",
                        f"{scheme.code} v{scheme.version} is also in {seen[key]}",
                    )
                )
                continue
            seen[key] = name
            schemes.append(scheme)
    if problems:
        raise CatalogFileError(problems)
    return schemes


def read_document(path: Path) -> object:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    # safe_load builds only plain data (no Python objects from tags); dates come back as
    # `date`, which parse_scheme accepts.
    return yaml.safe_load(text)
