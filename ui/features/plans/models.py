"""The PSP tab's table: per target and case aim, baseline, mid-point, final, change and spread.

One QAbstractTableModel over `PlanRow`s (built by the tab from `progress.case_progress` and
`scaling.latest_spread`), and a proxy that sorts on the raw values in UserRole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from semh_desktop.plans.progress import ItemProgress
from semh_desktop.plans.scaling import Spread
from ui.common import theme

COL_ITEM, COL_KIND, COL_TEXT, COL_BASELINE, COL_MID, COL_FINAL, COL_CHANGE, COL_SPREAD = range(8)
HEADERS = ("Item", "Kind", "Target or aim", "Base", "Mid", "Final", "+/-", "Own scores")
HEADER_TIPS = (
    "Target, goal or case aim, and its kind",
    "Kind",
    "In the plan's words",
    "Baseline agreed score",
    "Mid-point review agreed score",
    "Final review agreed score",
    "Final minus baseline",
    "Each person's own scores at the latest review that had them",
)
SHORT_KINDS = {
    "learning": "Learning",
    "behaviour_wellbeing": "Behaviour",
    "family_goal": "Goal",
    "aim": "Case aim",
}
SORT_ROLE = Qt.ItemDataRole.UserRole
ITEM_ID_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class PlanRow:
    progress: ItemProgress
    spread: Spread | None = None
    spread_at: str = ""  # the scoring point the spread was given at

    @property
    def item_id(self) -> str:
        return self.progress.item_id

    @property
    def is_aim(self) -> bool:
        return self.progress.item == "aim"

    def spread_text(self) -> str:
        if self.spread is None:
            return "—"
        scores = ", ".join(str(s) for s in self.spread.scores)
        if self.spread.disagreement:
            return f"{scores}: disagree by {self.spread.range}"
        return scores


def _number(value: int | None) -> str:
    return "—" if value is None else str(value)


class PlanProgressModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PlanRow] = []

    def set_rows(self, rows: Sequence[PlanRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[PlanRow]:
        return list(self._rows)

    def row_at(self, row: int) -> PlanRow:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        p = row.progress
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SORT_ROLE:
            return self._sort_value(row, column)
        if role == ITEM_ID_ROLE:
            return row.item_id
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_TEXT:
                return p.text
            if column in (COL_ITEM, COL_KIND):
                return p.kind_label
            if column == COL_SPREAD and row.spread is not None:
                return f"At the {row.spread_at.lower()}: {row.spread.describe()}"
            if column == COL_CHANGE and p.change is None and p.change_so_far is not None:
                return f"No final score yet; change so far {p.change_so_far:+d}"
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and column == COL_SPREAD
            and row.spread is not None
            and row.spread.disagreement
        ):
            return QBrush(QColor(theme.WARNING))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            COL_BASELINE,
            COL_MID,
            COL_FINAL,
            COL_CHANGE,
        ):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{HEADERS[column]}: {self._display(row, column)}"
        return None

    @staticmethod
    def _display(row: PlanRow, column: int) -> str:
        p = row.progress
        if column == COL_ITEM:
            return p.label
        if column == COL_KIND:
            return SHORT_KINDS.get(p.kind, p.kind_label)
        if column == COL_TEXT:
            return f"{p.label} ({SHORT_KINDS.get(p.kind, p.kind_label).lower()}): {p.text}"
        if column == COL_BASELINE:
            return _number(p.baseline)
        if column == COL_MID:
            return _number(p.mid)
        if column == COL_FINAL:
            return _number(p.final)
        if column == COL_CHANGE:
            if p.change is not None:
                return f"{p.change:+d}"
            return "—"
        return row.spread_text()

    @staticmethod
    def _sort_value(row: PlanRow, column: int) -> Any:
        p = row.progress
        missing = -99
        values: dict[int, Any] = {
            COL_ITEM: (1 if p.item == "aim" else 0, p.position),
            COL_KIND: p.kind_label.casefold(),
            COL_TEXT: (1 if p.item == "aim" else 0, p.position),
            COL_BASELINE: missing if p.baseline is None else p.baseline,
            COL_MID: missing if p.mid is None else p.mid,
            COL_FINAL: missing if p.final is None else p.final,
            COL_CHANGE: missing if p.change is None else p.change,
            COL_SPREAD: missing if row.spread is None else row.spread.range,
        }
        return values[column]


class PlanProgressProxy(QSortFilterProxyModel):
    """Sorts on the raw values (numbers, tuples), not on the displayed text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def lessThan(self, left: Index, right: Index) -> bool:
        a = left.data(SORT_ROLE)
        b = right.data(SORT_ROLE)
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)

    def item_id_at(self, proxy_index: QModelIndex) -> str | None:
        if not proxy_index.isValid():
            return None
        value = self.mapToSource(proxy_index).data(ITEM_ID_ROLE)
        return str(value) if value else None
