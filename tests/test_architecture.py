"""The shape of the code holds: layers import downward only, and every module imports alone.

Domain (`semh_desktop`): core <- register <- capabilities (graduated, plans, closure,
attendance) <- documents <- exchange, reporting <- demo <- cli. `ui` imports `semh_desktop`,
never the reverse: ui/common <- ui/features/<one capability> <- ui/shell <- ui/app, and a
feature never imports another feature. Only `semh_desktop/cli` imports argparse.

Imports under `if TYPE_CHECKING:` are not counted: they never run, so they cannot make a
cycle (a feature names `MainWindow` in a type hint that way).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6")

# Which domain packages each domain package may import (itself included).
_CORE = {"core"}
_REGISTER = _CORE | {"register"}
_CAPABILITIES = {"graduated", "plans", "closure", "attendance"}
DOMAIN_LAYERS: dict[str, set[str]] = {
    "": {"cli"},  # semh_desktop/__init__.py and __main__.py (the `python -m` entry)
    "core": _CORE,
    "register": _REGISTER,
    "graduated": _REGISTER | {"graduated"},
    "plans": _REGISTER | {"plans"},
    "closure": _REGISTER | {"plans", "closure"},
    "attendance": _REGISTER | {"attendance"},
    "documents": _REGISTER | _CAPABILITIES | {"documents"},
    "exchange": _REGISTER | _CAPABILITIES | {"documents", "exchange"},
    "reporting": _REGISTER | _CAPABILITIES | {"documents", "reporting"},
    "demo": _REGISTER | _CAPABILITIES | {"documents", "exchange", "reporting", "demo"},
    "cli": _REGISTER | _CAPABILITIES | {"documents", "exchange", "reporting", "demo", "cli"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Absolute names of the modules a source imports when it runs (not for type checking)."""
    found: set[str] = set()
    package_parts = module.split(".") if is_package else module.split(".")[:-1]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return found


def _imports_of(path: Path) -> set[str]:
    return runtime_imports(
        path.read_text("utf-8"), module_name(path), is_package=path.name == "__init__.py"
    )


def domain_layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in DOMAIN_LAYERS) else ""


def domain_violations() -> dict[str, list[str]]:
    bad: dict[str, list[str]] = {}
    for path in sources("semh_desktop"):
        module = module_name(path)
        allowed = DOMAIN_LAYERS[domain_layer(module)]
        wrong = set()
        for name in _imports_of(path):
            top, _, rest = name.partition(".")
            if top in QT or top == "ui" or (name == "argparse" and domain_layer(module) != "cli"):
                wrong.add(name)
            elif top == "semh_desktop" and rest:
                layer = rest.split(".")[0]
                if layer in DOMAIN_LAYERS and layer not in allowed:
                    wrong.add(name)
        if wrong:
            bad[module] = sorted(wrong)
    return bad


def ui_layer(module: str) -> tuple[str, str]:
    """('common'|'features'|'shell'|'app', the feature's name or '')."""
    parts = module.split(".")
    if len(parts) == 1:
        return "", ""
    if parts[1] == "features":
        return "features", parts[2] if len(parts) > 2 else ""
    return parts[1], ""


def ui_violations() -> dict[str, list[str]]:
    order = {"common": 0, "features": 1, "shell": 2, "app": 3, "": 3}
    bad: dict[str, list[str]] = {}
    for path in sources("ui"):
        module = module_name(path)
        layer, feature = ui_layer(module)
        wrong = set()
        for name in _imports_of(path):
            if not name.startswith("ui."):
                continue
            their_layer, their_feature = ui_layer(name)
            if not their_layer:
                continue
            if order[their_layer] > order[layer]:
                wrong.add(name)
            elif layer == their_layer == "features" and their_feature not in ("", feature):
                wrong.add(name)  # features do not import each other
        if wrong:
            bad[module] = sorted(wrong)
    return bad


def test_domain_layers_import_only_downward_and_never_qt_or_ui() -> None:
    assert domain_violations() == {}


def test_ui_layers_import_only_downward_and_features_stay_apart() -> None:
    assert ui_violations() == {}


def test_the_rules_catch_what_they_forbid() -> None:
    src = (
        "import argparse\nfrom PySide6.QtCore import Qt\nfrom semh_desktop.cli import main\n"
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ui.shell import x\n"
    )
    found = runtime_imports(src, "semh_desktop.plans.cases")
    assert {"argparse", "PySide6.QtCore", "semh_desktop.cli"} <= found
    assert not any(name.startswith("ui") for name in found)
    relative = runtime_imports("from ..common import theme", "ui.features.plans.tab")
    assert "ui.features.common" in relative
    assert domain_layer("semh_desktop.plans.cases") == "plans"
    assert ui_layer("ui.features.plans.tab") == ("features", "plans")


# ---------------------------------------------------------------- each module imports alone

# Run in a fresh interpreter that has imported none of our modules: it loads the big
# third-party libraries once (they cannot hide a cycle of ours), then forks a child per
# module, so each of our modules is imported first in a clean process.
FORK_PER_MODULE = """
import importlib, os, sys, traceback
import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets, reportlab.platypus, sqlite_utils
assert not [m for m in sys.modules if m.split(".")[0] in ("semh_desktop", "ui")]
failed = 0
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException:
            print("== " + name); traceback.print_exc(limit=4, file=sys.stdout); sys.stdout.flush()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    failed += status != 0
print(f"{failed} failed")
sys.exit(1 if failed else 0)
"""


def every_module() -> list[str]:
    return [
        module_name(path)
        for package in ("semh_desktop", "ui")
        for path in sources(package)
        if path.name != "__main__.py"
    ]


def import_each_alone(modules: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", FORK_PER_MODULE, *modules],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a child per module")
def test_every_module_imports_on_its_own_in_a_fresh_interpreter() -> None:
    modules = every_module()
    assert "ui.features.plans.tab" in modules and "semh_desktop.core.store" in modules
    result = import_each_alone(modules)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a child per module")
def test_the_import_check_catches_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclic.b import B\nA = 1\n")
    (package / "b.py").write_text("from cyclic.a import A\nB = 2\n")
    result = subprocess.run(
        [sys.executable, "-c", FORK_PER_MODULE, "cyclic.a"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 1 and "ImportError" in result.stdout
