"""The domain is pure rules: standard library, itself, and nothing that does I/O.

The one exception is python-stdnum, which DESIGN.md asks for to check card numbers (Luhn)
and national numbers: a pure validation library, no framework.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[3] / "app" / "domain"
ALLOWED_THIRD_PARTY = frozenset({"stdnum"})


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def is_allowed(module: str) -> bool:
    top = module.split(".")[0]
    in_domain = module == "app.domain" or module.startswith("app.domain.")
    return in_domain or top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    files = sorted(DOMAIN.glob("*.py"))
    foreign = {
        f"{path.name}: {module}"
        for path in files
        for module in imported_modules(path)
        if not is_allowed(module)
    }

    assert len(files) > 5
    assert foreign == set()


def test_the_import_check_would_catch_a_framework() -> None:
    source = "import yaml\nfrom sqlalchemy import select\nfrom fastapi import FastAPI\n"
    tree = ast.parse(source)
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]

    assert [is_allowed(name) for name in names] == [False, False, False]
