"""Per-computer settings (window layout, idle lock) via QSettings.

Nothing here says how a database is keyed: every database has key slots beside it.

When SEMH_DESKTOP_HOME is set (tests, a portable copy), the settings file lives there too,
so that nothing leaks into the user's real settings.
"""

from __future__ import annotations

import os

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
