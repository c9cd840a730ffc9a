"""The house rules that neither ruff nor import-linter checks: module and function size, private
names kept private, and every cog under the "cogs are independent" contract."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from cogs import COGS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("warden", "cogs", "listener", "feeds", "bgs", "db", "settings")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
# Functions allowed to be longer, each with the reason (none today).
LONG_FUNCTIONS: dict[str, str] = {}


def production_modules() -> list[Path]:
    modules = [ROOT / "bot.py"]
    for package in PACKAGES:
        modules += sorted((ROOT / package).rglob("*.py"))
    return modules


def project_module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_production_module_is_over_500_lines() -> None:
    long = {
        project_module(path): lines
        for path in production_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_60_lines_unless_justified() -> None:
    long = []
    for path in production_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{project_module(path)}.{node.name}"
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    long.append(name)
    assert sorted(long) == sorted(LONG_FUNCTIONS)


def test_no_private_name_is_imported_from_another_module() -> None:
    imported = []
    for path in production_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module is not None
                and node.module.split(".")[0] in PACKAGES
            ):
                imported += [
                    f"{project_module(path)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_")
                ]
    assert imported == []


def test_every_cog_is_under_the_independence_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (independent,) = [c["modules"] for c in contracts if c["type"] == "independence"]
    assert sorted(independent) == sorted(COGS)
