"""The arrow goes one way: ui -> semh_desktop. The domain never imports Qt or the ui package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[1] / "semh_desktop"
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "ui")


def imported_modules(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_domain_sources_import_neither_qt_nor_ui():
    offenders = {
        str(path.relative_to(DOMAIN)): sorted(
            imported_modules(path.read_text("utf-8")) & set(FORBIDDEN)
        )
        for path in DOMAIN.rglob("*.py")
    }
    offenders = {name: mods for name, mods in offenders.items() if mods}
    assert offenders == {}


def test_importing_every_domain_module_loads_no_qt():
    modules = sorted(
        "semh_desktop." + ".".join(path.relative_to(DOMAIN).with_suffix("").parts)
        for path in DOMAIN.rglob("*.py")
        if path.name != "__main__.py"
    )
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name.removesuffix('.__init__'))\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'ui')]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_itself_can_fail():
    assert imported_modules("from PySide6.QtCore import Qt\nimport ui.app") == {"PySide6", "ui"}
