"""The look of the app: Fusion style, a neutral palette, resources/style.qss and the icons."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from semh_desktop.core.paths import RESOURCES_DIR

ICONS_DIR = RESOURCES_DIR / "icons"
FONTS_DIR = RESOURCES_DIR / "fonts"
STYLESHEET = RESOURCES_DIR / "style.qss"

ACCENT = "#2f6f8f"
TEXT = "#1d2630"
MUTED = "#5b6672"
ERROR = "#b42318"
WARNING = "#8a5300"

BASE_POINT_SIZE = 10


def icon(name: str) -> QIcon:
    """An SVG icon from resources/icons, by file stem ("lock", "app")."""
    return QIcon(str(ICONS_DIR / f"{name}.svg"))


def stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8").replace("@ICONS@", ICONS_DIR.as_posix())


def palette() -> QPalette:
    pal = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#f4f5f7",
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f8f9fa",
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#ffffff",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: TEXT,
        QPalette.ColorRole.ToolTipText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#8a949e",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Mid: "#c3c9cf",
    }
    for role, colour in colours.items():
        pal.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#9aa5b1"))
    return pal


def apply(app: QApplication) -> None:
    """Style the whole application (called once by ui.app.run, and by tests that look)."""
    app.setStyle("Fusion")
    app.setPalette(palette())
    if not QFontDatabase.families():  # a bare machine: fall back to the bundled DejaVu Sans
        for path in sorted(FONTS_DIR.glob("*.ttf")):
            QFontDatabase.addApplicationFont(str(path))
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(stylesheet())
    app.setWindowIcon(icon("app"))


def set_role(widget: QWidget, role: str, **properties: str) -> None:
    """Tag a widget for the stylesheet (role="error", role="chip" status="alert", ...)."""
    widget.setProperty("role", role)
    for name, value in properties.items():
        widget.setProperty(name, value)
    repolish(widget)


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def monospace_font(point_size: int) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSize(point_size)
    return font
