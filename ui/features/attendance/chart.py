"""A pupil's attendance and suspensions over time, with each intervention's start and end.

Drawn with QPainter (QtCharts is only in PySide6-Addons). Attendance is a line of dots with a
dashed 90% line (below it is persistent absence); suspensions are hatched bars along the foot
whose height is their length in days; a permanent exclusion is a dashed line marked "PEX";
each intervention is a shaded band with solid lines at its start and end (a dotted end while
it is open). Shapes and words carry the meaning, not colour alone, and the widget's accessible
description reads the figures out.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from semh_desktop.attendance.support_windows import Timeline
from semh_desktop.attendance.suspensions import format_days
from semh_desktop.core.dates import format_date
from ui.common import theme

LINE = QColor(theme.ACCENT)
INK = QColor(theme.TEXT)
MUTED = QColor(theme.MUTED)
GRID = QColor("#e1e4e8")
BAND = QColor(47, 111, 143, 28)
SUSPENSION = QColor("#8a5300")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class AttendanceChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attendanceChart")
        self.setAccessibleName("Attendance and suspensions chart")
        self.setMinimumHeight(230)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._timeline: Timeline | None = None

    def set_timeline(self, timeline: Timeline | None) -> None:
        self._timeline = timeline
        text = self.describe()
        self.setAccessibleDescription(text)
        self.setToolTip(text.replace("; ", "\n"))
        self.update()

    @property
    def timeline(self) -> Timeline | None:
        return self._timeline

    def describe(self) -> str:
        t = self._timeline
        if t is None or t.is_empty:
            return "No attendance figures, suspensions or interventions recorded."
        parts = []
        if t.attendance:
            first, last = t.attendance[0], t.attendance[-1]
            parts.append(
                f"Attendance {first.percent:.1f}% on {format_date(first.as_of)}, "
                f"{last.percent:.1f}% on {format_date(last.as_of)} "
                f"({len(t.attendance)} figures)"
            )
        if t.suspensions:
            halves = sum(s.half_days for s in t.suspensions)
            parts.append(f"{len(t.suspensions)} suspension(s), {format_days(halves)} day(s)")
        for day, outcome in t.exclusions:
            parts.append(f"Permanent exclusion {format_date(day)} ({outcome})")
        for item in t.interventions:
            end = format_date(item.end) if item.end else "still open"
            parts.append(f"{item.label} from {format_date(item.start)} to {end}")
        return "; ".join(parts)

    # -- drawing -------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        metrics = QFontMetrics(self.font())
        t = self._timeline
        if t is None or t.is_empty:
            painter.setPen(MUTED)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.describe())
            painter.end()
            return
        line_height = metrics.height()
        plot = QRectF(
            44, line_height * 2 + 8, self.width() - 60, self.height() - line_height * 4 - 16
        )
        first, last = t.date_range()
        first -= dt.timedelta(days=7)
        last += dt.timedelta(days=7)
        span = max((last - first).days, 1)
        low = 50.0 if all(p.percent >= 50 for p in t.attendance) else 0.0

        def x_of(day: dt.date) -> float:
            return plot.left() + plot.width() * (day - first).days / span

        def y_of(percent: float) -> float:
            return plot.bottom() - plot.height() * (percent - low) / (100 - low)

        self._draw_grid(painter, plot, low, y_of, metrics)
        self._draw_months(painter, plot, first, last, x_of, metrics)
        for item in t.interventions:
            start_x = x_of(item.start)
            end_x = x_of(item.end or t.today)
            painter.fillRect(
                QRectF(start_x, plot.top(), max(end_x - start_x, 1), plot.height()), BAND
            )
            painter.setPen(QPen(INK, 1.5))
            painter.drawLine(QPointF(start_x, plot.top()), QPointF(start_x, plot.bottom()))
            painter.setPen(
                QPen(INK, 1.5, Qt.PenStyle.SolidLine if item.end else Qt.PenStyle.DotLine)
            )
            painter.drawLine(QPointF(end_x, plot.top()), QPointF(end_x, plot.bottom()))
            painter.setPen(INK)
            label = f"{item.label} start"
            painter.drawText(QPointF(start_x + 3, plot.top() + line_height), label)
            end_label = "end" if item.end else "open"
            painter.drawText(
                QPointF(
                    end_x - metrics.horizontalAdvance(end_label) - 3, plot.top() + 2 * line_height
                ),
                end_label,
            )
        top_days = max([5.0, *[s.half_days / 2 for s in t.suspensions]])
        for span_item in t.suspensions:
            x = x_of(span_item.start_date)
            days = span_item.half_days / 2
            height = plot.height() * 0.35 * days / top_days
            bar = QRectF(x - 3, plot.bottom() - height, 6, height)
            painter.setPen(QPen(SUSPENSION, 1))
            painter.setBrush(QBrush(SUSPENSION, Qt.BrushStyle.BDiagPattern))
            painter.drawRect(bar)
            painter.drawText(QPointF(x - 3, bar.top() - 2), format_days(span_item.half_days))
        for day, outcome in t.exclusions:
            x = x_of(day)
            painter.setPen(QPen(SUSPENSION, 2, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            painter.drawText(QPointF(x + 3, plot.top() + 3 * line_height), f"PEX ({outcome})")
        if t.attendance:
            painter.setPen(QPen(LINE, 2))
            points = [QPointF(x_of(p.as_of), y_of(p.percent)) for p in t.attendance]
            for a, b in itertools.pairwise(points):
                painter.drawLine(a, b)
            painter.setBrush(QBrush(LINE))
            for point in points:
                painter.drawEllipse(point, 3, 3)
        self._draw_legend(painter, metrics)
        painter.end()

    def _draw_grid(
        self,
        painter: QPainter,
        plot: QRectF,
        low: float,
        y_of: Callable[[float], float],
        metrics: QFontMetrics,
    ) -> None:
        step = 10 if low else 20
        value = low
        while value <= 100:
            y = y_of(value)
            painter.setPen(QPen(GRID, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(MUTED)
            text = f"{value:.0f}%"
            painter.drawText(
                QPointF(
                    plot.left() - metrics.horizontalAdvance(text) - 4, y + metrics.ascent() / 2 - 1
                ),
                text,
            )
            value += step
        y90 = y_of(90)
        painter.setPen(QPen(INK, 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(plot.left(), y90), QPointF(plot.right(), y90))
        painter.setPen(QPen(INK, 1))
        painter.drawRect(plot)

    def _draw_months(
        self,
        painter: QPainter,
        plot: QRectF,
        first: dt.date,
        last: dt.date,
        x_of: Callable[[dt.date], float],
        metrics: QFontMetrics,
    ) -> None:
        months = (last.year - first.year) * 12 + last.month - first.month
        every = max(1, (months + 11) // 12)
        day = dt.date(first.year, first.month, 1)
        index = 0
        painter.setPen(MUTED)
        while day <= last:
            if day >= first and index % every == 0:
                x = x_of(day)
                painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
                text = f"{MONTHS[day.month - 1]} {day.year % 100:02d}"
                painter.drawText(
                    QPointF(
                        x - metrics.horizontalAdvance(text) / 2,
                        plot.bottom() + metrics.height() + 2,
                    ),
                    text,
                )
            index += 1
            day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)

    def _draw_legend(self, painter: QPainter, metrics: QFontMetrics) -> None:
        x = 44.0
        y = metrics.height() + 2.0
        entries = [
            ("Attendance %", "line"),
            ("90% line", "dash"),
            ("Suspension (days)", "bar"),
            ("Intervention", "band"),
        ]
        for text, kind in entries:
            if kind == "line":
                painter.setPen(QPen(LINE, 2))
                painter.drawLine(QPointF(x, y - 4), QPointF(x + 16, y - 4))
            elif kind == "dash":
                painter.setPen(QPen(INK, 1, Qt.PenStyle.DashLine))
                painter.drawLine(QPointF(x, y - 4), QPointF(x + 16, y - 4))
            elif kind == "bar":
                painter.setPen(QPen(SUSPENSION, 1))
                painter.setBrush(QBrush(SUSPENSION, Qt.BrushStyle.BDiagPattern))
                painter.drawRect(QRectF(x + 5, y - 10, 6, 10))
            else:
                painter.fillRect(QRectF(x, y - 10, 16, 10), BAND)
                painter.setPen(QPen(INK, 1.5))
                painter.drawLine(QPointF(x, y - 10), QPointF(x, y))
            painter.setPen(INK)
            painter.drawText(QPointF(x + 20, y), text)
            x += 28 + metrics.horizontalAdvance(text)
