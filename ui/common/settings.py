"""Per-computer settings (window layout, idle lock, how each database is keyed) via QSettings.

When SEMH_DESKTOP_HOME is set (tests, a portable copy), the settings file lives there too,
so that nothing leaks into the user's real settings.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PySide6.QtCore import QSettings

from semh_desktop.core.locations import APP_DIR_NAME, data_dir

DEFAULT_IDLE_MINUTES = 5
IDLE_MINUTES_RANGE = (1, 120)


def app_settings() -> QSettings:
    if os.environ.get("SEMH_DESKTOP_HOME"):
        return QSettings(str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_DIR_NAME, APP_DIR_NAME
    )


def idle_minutes() -> int:
    value = app_settings().value("lock/idle_minutes", DEFAULT_IDLE_MINUTES)
    try:
        minutes = int(str(value))
    except ValueError:
        return DEFAULT_IDLE_MINUTES
    low, high = IDLE_MINUTES_RANGE
    return minutes if low <= minutes <= high else DEFAULT_IDLE_MINUTES


def set_idle_minutes(minutes: int) -> None:
    app_settings().setValue("lock/idle_minutes", int(minutes))


def _database_key(path: Path) -> str:
    # Paths hold slashes that QSettings would read as groups; a digest is one flat key.
    digest = hashlib.sha256(str(Path(path).expanduser().resolve()).encode("utf-8")).hexdigest()
    return f"databases/{digest[:32]}"


def remembered_key_mode(path: Path) -> str | None:
    """'keyring' or 'passphrase' if this computer has opened or created the file before."""
    value = app_settings().value(_database_key(path))
    return str(value) if value in ("keyring", "passphrase") else None


def remember_key_mode(path: Path, mode: str) -> None:
    if mode in ("keyring", "passphrase"):
        app_settings().setValue(_database_key(path), mode)
