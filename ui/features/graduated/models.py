"""Table models for the Graduated response tab: phase history, APDR cycles, an item's history.

Each model holds typed records handed to `set_rows` (the tab reads them through the domain);
DisplayRole shows text, SORT_ROLE gives raw values for the sort proxy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from semh_desktop.core.dates import format_date
from semh_desktop.graduated.apdr import ApdrCycle
from semh_desktop.graduated.response import ItemAnswer, PhaseChange

SORT_ROLE = Qt.ItemDataRole.UserRole
ID_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")

DONE_COLOUR = "#1e7a3c"  # green = done; colour only for status
WARNING_COLOUR = "#8a5300"


def _sortable_date(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class RecordsModel(QAbstractTableModel, Generic[Row]):
    """A read-only table over a list of records; subclasses say how a cell reads."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def rows(self) -> list[Row]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            text = self.display(record, column)
            return text or ("none" if role == Qt.ItemDataRole.AccessibleTextRole else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(record, column)
        if role == SORT_ROLE:
            return self.sort_value(record, column)
        if role == ID_ROLE:
            return self.record_id(record)
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = self.colour(record, column)
            return QBrush(QColor(colour)) if colour else None
        return None

    def display(self, record: Row, column: int) -> str:
        raise NotImplementedError

    def sort_value(self, record: Row, column: int) -> Any:
        return self.display(record, column).casefold()

    def tooltip(self, record: Row, column: int) -> str | None:
        return None

    def colour(self, record: Row, column: int) -> str | None:
        return None

    def record_id(self, record: Row) -> str:
        return str(getattr(record, "id", ""))


class PhaseHistoryModel(RecordsModel[PhaseChange]):
    COL_DATE, COL_FROM, COL_TO, COL_DECIDED_BY, COL_REASON = range(5)
    HEADERS = ("Date", "From", "To", "Decided by", "Reason")

    def display(self, record: PhaseChange, column: int) -> str:
        if column == self.COL_DATE:
            return format_date(record.changed_on)
        if column == self.COL_FROM:
            return record.from_phase_name or "—"
        if column == self.COL_TO:
            return record.to_phase_name
        if column == self.COL_DECIDED_BY:
            return record.decided_by_label
        if column == self.COL_REASON:
            return _one_line(record.reason)
        return ""

    def sort_value(self, record: PhaseChange, column: int) -> Any:
        if column == self.COL_DATE:
            return (_sortable_date(record.changed_on), record.recorded_at)
        return super().sort_value(record, column)

    def tooltip(self, record: PhaseChange, column: int) -> str | None:
        return record.reason if column == self.COL_REASON else None


class ApdrCycleModel(RecordsModel[ApdrCycle]):
    COL_NUMBER, COL_ASSESS, COL_PLAN, COL_DO, COL_REVIEW, COL_STAGE, COL_OUTCOME = range(7)
    HEADERS = ("#", "Assess", "Plan", "Do", "Review", "Stage", "Outcome")

    def display(self, record: ApdrCycle, column: int) -> str:
        d = record.details
        if column == self.COL_NUMBER:
            return str(self._rows.index(record) + 1)
        dates = {
            self.COL_ASSESS: d.assess_on,
            self.COL_PLAN: d.plan_on,
            self.COL_DO: d.do_on,
            self.COL_REVIEW: d.review_on,
        }
        if column in dates:
            return format_date(dates[column])
        if column == self.COL_STAGE:
            return record.stage
        if column == self.COL_OUTCOME:
            return _one_line(d.outcome, 80)
        return ""

    def sort_value(self, record: ApdrCycle, column: int) -> Any:
        d = record.details
        dates = {
            self.COL_ASSESS: d.assess_on,
            self.COL_PLAN: d.plan_on,
            self.COL_DO: d.do_on,
            self.COL_REVIEW: d.review_on,
        }
        if column == self.COL_NUMBER:
            return self._rows.index(record)
        if column in dates:
            return _sortable_date(dates[column])
        return super().sort_value(record, column)

    def tooltip(self, record: ApdrCycle, column: int) -> str | None:
        return record.details.outcome or None if column == self.COL_OUTCOME else None

    def colour(self, record: ApdrCycle, column: int) -> str | None:
        if column == self.COL_STAGE:
            if record.reviewed:
                return DONE_COLOUR
            if record.stage == "Awaiting review":
                return WARNING_COLOUR
        return None


class ItemHistoryModel(RecordsModel[ItemAnswer]):
    COL_RECORDED, COL_STATUS, COL_DATE, COL_BY, COL_EVIDENCE, COL_VERSION = range(6)
    HEADERS = ("Recorded", "Status", "Date", "By", "Evidence", "Template version")

    def __init__(
        self, version_numbers: dict[str, int] | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.version_numbers = version_numbers or {}

    def display(self, record: ItemAnswer, column: int) -> str:
        if column == self.COL_RECORDED:
            stamp = dt.datetime.fromisoformat(record.recorded_at)
            return f"{format_date(stamp.date())} {stamp:%H:%M}"
        if column == self.COL_STATUS:
            return record.status_label
        if column == self.COL_DATE:
            return format_date(record.answered_on)
        if column == self.COL_BY:
            return record.staff_name
        if column == self.COL_EVIDENCE:
            return _one_line(record.evidence)
        if column == self.COL_VERSION:
            number = self.version_numbers.get(record.template_version_id)
            return f"Version {number}" if number else ""
        return ""

    def sort_value(self, record: ItemAnswer, column: int) -> Any:
        if column == self.COL_RECORDED:
            return record.recorded_at
        if column == self.COL_DATE:
            return _sortable_date(record.answered_on)
        return super().sort_value(record, column)

    def tooltip(self, record: ItemAnswer, column: int) -> str | None:
        return record.evidence or None if column == self.COL_EVIDENCE else None


class RecordsSortProxy(QSortFilterProxyModel):
    """Sorts on raw values (SORT_ROLE); always map to the source before acting on a row."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def lessThan(self, left: Index, right: Index) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)

    def source_row(self, proxy_index: QModelIndex) -> int | None:
        source = self.mapToSource(proxy_index)
        return source.row() if source.isValid() else None
