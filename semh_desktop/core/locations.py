"""Where the app keeps its databases on each operating system (overridable for tests)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "SEMH Desktop"


def data_dir() -> Path:
    override = os.environ.get("SEMH_DESKTOP_HOME")
    if override:
        return Path(override)
    if sys.platform == "win32":
        return (
            Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / APP_DIR_NAME
        )
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "semh-desktop"


def default_database() -> Path:
    return data_dir() / "semh.db"


def demo_database() -> Path:
    return data_dir() / "demo-school.db"


# The demo school is fictional, so its passphrase is published (README, unlock screen).
DEMO_PASSPHRASE = "demo"
