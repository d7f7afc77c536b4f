"""Where the files that ship beside the code live (source tree, wheel and frozen bundle alike)."""

from __future__ import annotations

import sys
from pathlib import Path


def _root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)  # PyInstaller unpacks db/ and resources/ here
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parents[2]  # semh_desktop/core/paths.py


ROOT = _root()
MIGRATIONS_DIR = ROOT / "db"
RESOURCES_DIR = ROOT / "resources"
