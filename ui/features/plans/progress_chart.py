"""A small grouped bar chart of baseline, mid-point and final scores per target and aim.

Drawn with QPainter: QtCharts ships only in PySide6-Addons (a download of over 100 MB), and a
dozen bars do not need it. The three series differ by fill pattern as well as shade (solid
grey, hatched, solid accent), each bar carries its number, and the widget's accessible
description reads the values out, so nothing depends on colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from semh_desktop.plans.progress import ItemProgress
from ui.common import theme

SERIES = (
    ("Baseline", QColor("#b7bec6"), Qt.BrushStyle.SolidPattern),
    ("Mid-point", QColor(theme.ACCENT), Qt.BrushStyle.BDiagPattern),
    ("Final", QColor(theme.ACCENT), Qt.BrushStyle.SolidPattern),
)
OUTLINE = QColor(theme.TEXT)
GRID = QColor("#e1e4e8")
TOP_SCORE = 10


def _short_label(item: ItemProgress) -> str:
    return item.label.replace("Target ", "T").replace("Goal ", "G").replace("Aim ", "A")


class ProgressChart(QWidget):
    """Grouped bars: for each item, its baseline, mid-point and final agreed scores."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("progressChart")
        self.setAccessibleName("Progress chart")
        self.setMinimumHeight(190)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # reachable, so screen readers read it
        self._items: list[ItemProgress] = []

    def set_items(self, items: Sequence[ItemProgress]) -> None:
        self._items = list(items)
        self.setAccessibleDescription(self.describe())
        self.setToolTip(self.describe().replace("; ", "\n"))
        self.update()

    def items(self) -> list[ItemProgress]:
        return list(self._items)

    def has_scores(self) -> bool:
        return any(v is not None for i in self._items for v in (i.baseline, i.mid, i.final))

    def describe(self) -> str:
        if not self.has_scores():
            return "No scores yet."
        parts = []
        for item in self._items:
            values = ", ".join(
                f"{name.lower()} {value}"
                for (name, _c, _s), value in zip(
                    SERIES, (item.baseline, item.mid, item.final), strict=True
                )
                if value is not None
            )
            parts.append(f"{item.label}: {values or 'not scored'}")
        return "; ".join(parts)

    def sizeHint(self) -> QSize:
        return QSize(520, 240)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        if not self.has_scores():
            painter.setPen(QColor(theme.MUTED))
            painter.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "No scores yet: the chart fills in after the baseline meeting.",
            )
            painter.end()
            return
        left = metrics.horizontalAdvance("10") + 14
        top = line * 2 + 6
        bottom = line + 12
        plot = QRectF(
            left, top, max(10.0, self.width() - left - 10), max(10.0, self.height() - top - bottom)
        )
        self._draw_legend(painter, metrics)
        # Grid and score axis.
        for score in range(0, TOP_SCORE + 1, 2):
            y = plot.bottom() - plot.height() * score / TOP_SCORE
            painter.setPen(QPen(GRID, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(QColor(theme.MUTED))
            painter.drawText(
                QRectF(0, y - line / 2, left - 6, line),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(score),
            )
        painter.setPen(QPen(OUTLINE, 1))
        painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
        # Bars.
        groups = len(self._items)
        group_w = plot.width() / groups
        bar_w = min(34.0, group_w * 0.8 / len(SERIES))
        wide = group_w > metrics.horizontalAdvance("Target 3") + 8
        for index, item in enumerate(self._items):
            start = plot.left() + index * group_w + (group_w - bar_w * len(SERIES)) / 2
            values = (item.baseline, item.mid, item.final)
            for series, ((_name, colour, pattern), value) in enumerate(
                zip(SERIES, values, strict=True)
            ):
                if value is None:
                    continue
                height = plot.height() * value / TOP_SCORE
                bar = QRectF(start + series * bar_w, plot.bottom() - height, bar_w - 2, height)
                painter.setPen(QPen(OUTLINE, 1))
                if pattern != Qt.BrushStyle.SolidPattern:
                    painter.setBrush(QBrush(QColor("#ffffff")))
                    painter.drawRect(bar)
                painter.setBrush(QBrush(colour, pattern))
                painter.drawRect(bar)
                painter.setPen(QColor(theme.TEXT))
                painter.drawText(
                    QRectF(bar.left() - 6, bar.top() - line - 1, bar.width() + 12, line),
                    Qt.AlignmentFlag.AlignCenter,
                    str(value),
                )
            label = item.label if wide else _short_label(item)
            painter.setPen(QColor(theme.TEXT))
            painter.drawText(
                QRectF(plot.left() + index * group_w, plot.bottom() + 4, group_w, line + 4),
                Qt.AlignmentFlag.AlignCenter,
                label,
            )
        painter.end()

    def _draw_legend(self, painter: QPainter, metrics: QFontMetrics) -> None:
        x = 8.0
        box = metrics.height() * 0.8
        for name, colour, pattern in SERIES:
            swatch = QRectF(x, 6, box * 1.4, box)
            painter.setPen(QPen(OUTLINE, 1))
            painter.setBrush(QBrush(QColor("#ffffff")))
            painter.drawRect(swatch)
            painter.setBrush(QBrush(colour, pattern))
            painter.drawRect(swatch)
            painter.setPen(QColor(theme.TEXT))
            text_x = swatch.right() + 5
            painter.drawText(
                QRectF(text_x, 2, metrics.horizontalAdvance(name) + 4, metrics.height() + 4),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                name,
            )
            x = text_x + metrics.horizontalAdvance(name) + 18
