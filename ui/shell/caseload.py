"""The caseload table: one model over `pupils.caseload` rows and a proxy that searches and sorts.

Features add columns (`ui.common.caseload_column.CaseloadColumn`, listed in
`ui/shell/features.py`) without touching the base columns here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from semh_desktop.core.store import Store
from semh_desktop.register.pupils import PRIMARY_NEEDS, SEN_PROVISION, CaseloadRow, year_group_label
from ui.common.caseload_column import CaseloadColumn

COL_NAME, COL_UPN, COL_YEAR, COL_SEN, COL_NEED, COL_FLAGS = range(6)
BASE_HEADERS = ("Name", "UPN", "Year", "SEN", "Need", "Flags")

SORT_ROLE = Qt.ItemDataRole.UserRole  # raw values for sorting (ints, folded strings, tuples)
PUPIL_ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the pupil's id, from any column

# Short forms for the table; the full words are in the tooltip and on the profile chips.
FLAG_SHORT = {
    "Pupil Premium": "PP",
    "Young carer": "YC",
    "EAL": "EAL",
    "At risk of permanent exclusion": "PEX risk",
    "CIN": "CIN",
    "CP": "CP",
    "CLA": "CLA",
    "EHCP": "EHCP",
}
SEN_ORDER = {"N": 0, "K": 1, "E": 2}

Index = QModelIndex | QPersistentModelIndex


def fold(text: str) -> str:
    """Lower case without accents, so that 'sian' finds Siân and 'zoe' finds Zoë."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def load_extra_values(
    store: Store, rows: Sequence[CaseloadRow], columns: Sequence[CaseloadColumn]
) -> list[Mapping[str, object]]:
    """Run each feature column's loader once (the window calls this; the model never does)."""
    return [column.load(store, rows) for column in columns]


class CaseloadModel(QAbstractTableModel):
    def __init__(
        self, columns: Sequence[CaseloadColumn] | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.extra_columns: list[CaseloadColumn] = list(() if columns is None else columns)
        self._rows: list[CaseloadRow] = []
        self._search: list[str] = []
        self._extra: list[Mapping[str, object]] = [{} for _ in self.extra_columns]

    # -- filling ---------------------------------------------------------------------------

    def set_rows(
        self, rows: Sequence[CaseloadRow], extra: Sequence[Mapping[str, object]] | None = None
    ) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._search = [fold(row.search_text) for row in self._rows]
        self._extra = list(extra) if extra is not None else [{} for _ in self.extra_columns]
        self.endResetModel()

    def row_at(self, row: int) -> CaseloadRow:
        return self._rows[row]

    def rows(self) -> list[CaseloadRow]:
        return list(self._rows)

    def row_of(self, pupil_id: str) -> int | None:
        for number, row in enumerate(self._rows):
            if row.pupil_id == pupil_id:
                return number
        return None

    def search_text_at(self, row: int) -> str:
        return self._search[row]

    # -- Qt model interface ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(BASE_HEADERS) + len(self.extra_columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if section < len(BASE_HEADERS):
                return BASE_HEADERS[section]
            return self.extra_columns[section - len(BASE_HEADERS)].title
        if role == Qt.ItemDataRole.ToolTipRole:
            tips = {
                COL_SEN: "SEN provision: N none, K SEN support, E EHC plan",
                COL_NEED: "Primary need",
                COL_FLAGS: "Vulnerability flags",
            }
            if section >= len(BASE_HEADERS):
                return self.extra_columns[section - len(BASE_HEADERS)].tooltip or None
            return tips.get(section)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == PUPIL_ID_ROLE:
            return row.pupil_id
        if column >= len(BASE_HEADERS):
            return self._extra_data(row, column - len(BASE_HEADERS), role)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SORT_ROLE:
            return self._sort_value(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_FLAGS and row.flags:
                return ", ".join(row.flags)
            if column == COL_NEED and row.primary_need:
                return PRIMARY_NEEDS.get(row.primary_need, row.primary_need)
            if column == COL_SEN:
                return SEN_PROVISION.get(row.sen_provision, row.sen_provision)
            if column == COL_NAME:
                return f"{row.name} (archived)" if row.archived else row.name
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._display(row, column) or "none"
        if role == Qt.ItemDataRole.ForegroundRole and row.archived:
            return QBrush(QColor("#7b8794"))
        if role == Qt.ItemDataRole.FontRole and row.archived:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def _display(self, row: CaseloadRow, column: int) -> str:
        if column == COL_NAME:
            return f"{row.name} (archived)" if row.archived else row.name
        if column == COL_UPN:
            return row.upn
        if column == COL_YEAR:
            return year_group_label(row.year_group)
        if column == COL_SEN:
            return row.sen_provision
        if column == COL_NEED:
            return row.primary_need or ""
        if column == COL_FLAGS:
            return ", ".join(FLAG_SHORT.get(flag, flag) for flag in row.flags)
        return ""

    def _sort_value(self, row: CaseloadRow, column: int) -> Any:
        if column == COL_NAME:
            return (fold(row.surname), fold(row.name))
        if column == COL_YEAR:
            return (row.year_group, fold(row.surname))
        if column == COL_SEN:
            return (SEN_ORDER.get(row.sen_provision, 0), fold(row.surname))
        if column == COL_FLAGS:
            return (len(row.flags), fold(row.surname))
        return fold(self._display(row, column))

    def _extra_data(self, row: CaseloadRow, extra_index: int, role: int) -> Any:
        spec = self.extra_columns[extra_index]
        values = self._extra[extra_index] if extra_index < len(self._extra) else {}
        value = values.get(row.pupil_id)
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.display(value)
        if role == SORT_ROLE:
            return spec.sort_key(value) if spec.sort_key else fold(spec.display(value))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return spec.display(value) or "none"
        if role == Qt.ItemDataRole.ToolTipRole:  # narrow columns elide; the tip shows it all
            return spec.display(value) or None
        return None


_YEAR_WORDS = re.compile(r"\byear\s+(\d{1,2})\b")
_YEAR_TOKEN = re.compile(r"^y\d{1,2}$")


class CaseloadFilterProxy(QSortFilterProxyModel):
    """Filters on each row's search text as the user types, and sorts on raw values."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._terms: list[str] = []
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_search(self, text: str) -> None:
        terms = self.parse_terms(text)
        if terms == self._terms:
            return
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            self._terms = terms
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._terms = terms
            self.invalidateRowsFilter()

    @staticmethod
    def parse_terms(text: str) -> list[str]:
        """Every term must match. 'year 8' and 'Y8' both mean the year group Y8 exactly."""
        folded = _YEAR_WORDS.sub(lambda m: "y" + m.group(1), fold(text))
        return folded.split()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._terms:
            return True
        model = self.sourceModel()
        if not isinstance(model, CaseloadModel):
            return True
        haystack = model.search_text_at(source_row)
        words = haystack.split()
        for term in self._terms:
            # 'y1' must not match Y10 or Y11, so year-like terms match whole words only.
            if _YEAR_TOKEN.match(term):
                if term not in words:
                    return False
            elif term not in haystack:
                return False
        return True

    def lessThan(self, left: Index, right: Index) -> bool:
        a = left.data(SORT_ROLE)
        b = right.data(SORT_ROLE)
        if a is None or b is None:
            return a is None and b is not None
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)

    def pupil_id_at(self, proxy_index: QModelIndex) -> str | None:
        """Always via mapToSource: the proxy's row numbers are not the model's."""
        source = self.mapToSource(proxy_index)
        model = self.sourceModel()
        if not source.isValid() or not isinstance(model, CaseloadModel):
            return None
        return model.row_at(source.row()).pupil_id

    def proxy_row_of(self, pupil_id: str) -> int | None:
        model = self.sourceModel()
        if not isinstance(model, CaseloadModel):
            return None
        source_row = model.row_of(pupil_id)
        if source_row is None:
            return None
        mapped = self.mapFromSource(model.index(source_row, 0))
        return mapped.row() if mapped.isValid() else None
