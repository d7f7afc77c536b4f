"""The table-model kit: declarative columns, one model holding rows, one sort proxy.

A table is a tuple of `Column`s over one record type. `RowsModel` holds the rows and answers
every Qt role from the columns; `SortProxy` sorts on `SORT_ROLE` with Qt's own comparison.

Sort keys may be any values Python can order (tuples, dates as ISO text...). Qt compares only
ints, floats and strings natively, and a Python `lessThan` costs a call back into Python for
every pair of rows, so the model ranks each column's keys once per `set_rows` (one Python
`sorted`) and serves the rank, an int, in `SORT_ROLE`. Equal keys get equal ranks, so Qt's
stable sort keeps equal rows in their given order both ways, as the old `lessThan`s did.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtCore import QAbstractTableModel as _QtTableModel
from PySide6.QtGui import QBrush, QColor, QFont

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole  # an int rank per cell: see the module docstring
ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the record's id (or the pupil's), from any column
R = TypeVar("R")

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_FONT = Qt.ItemDataRole.FontRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_CHECK = Qt.ItemDataRole.CheckStateRole


@dataclass(frozen=True)
class Column(Generic[R]):
    """How one column shows a record.

    `sort_key` gives any value Python can order (default: the text, casefolded). The
    callables for tooltip, colour (a colour name), font and check state may return None for
    "nothing"; `header_tooltip` is the header's tip.
    """

    title: str
    text: Callable[[R], str]
    sort_key: Callable[[R], Any] | None = None
    foreground: Callable[[R], str | None] | None = None
    tooltip: Callable[[R], str | None] | None = None
    header_tooltip: str = ""
    align: Qt.AlignmentFlag | None = None
    font: Callable[[R], QFont | None] | None = None
    check_state: Callable[[R], Qt.CheckState | None] | None = None  # makes the cell checkable
    accessible: Callable[[R], str | None] | None = None  # instead of the model's ACCESSIBLE

    def key(self, record: R) -> Any:
        return self.text(record).casefold() if self.sort_key is None else self.sort_key(record)


# How AccessibleTextRole reads (a model's ACCESSIBLE): naming the column ("Due: 3 Dec 2026"),
# saying "none" for an empty cell rather than nothing, or the text as shown.
LABELLED = "labelled"
TEXT_OR_NONE = "text or none"
SAME_AS_TEXT = "text"


def in_given_order(record: object) -> Any:
    """A sort key meaning "the order the rows were given in" (the row number).

    Spelled as a key so a column can say it; the model uses the row numbers themselves rather
    than calling it, which would need an O(n) `index()` per row.
    """
    raise NotImplementedError


def rank(keys: Sequence[Any]) -> list[int]:
    """Each key's rank among all of them (equal keys share one), so Qt compares ints."""
    try:
        order = sorted(range(len(keys)), key=keys.__getitem__)
    except TypeError:  # keys of mixed types: order them as text, as the old lessThans did
        return rank([str(key) for key in keys])
    ranks = [0] * len(keys)
    current = 0
    previous: Any = None
    for position, row in enumerate(order):
        key = keys[row]
        if position and key != previous:
            current = position
        ranks[row] = current
        previous = key
    return ranks


class RowsModel(_QtTableModel, Generic[R]):
    """Rows of one record type shown through a sequence of columns (read-only).

    A table declares its columns as the class's COLUMNS (or passes `columns=`); ROW_ROLES
    pairs extra roles (ids) with a callable of the row; ACCESSIBLE says how AccessibleTextRole
    reads; TOOLTIP_IS_TEXT shows the text as the tooltip of
    columns without a tooltip of their own.
    """

    COLUMNS: ClassVar[Sequence[Column[Any]]] = ()
    ROW_ROLES: ClassVar[Sequence[tuple[int, Callable[[Any], Any]]]] = ()
    ACCESSIBLE: ClassVar[str] = ""  # LABELLED, TEXT_OR_NONE, SAME_AS_TEXT or none at all
    TOOLTIP_IS_TEXT: ClassVar[bool] = False
    # A long list sorts itself: see `sort`. Qt's own sort of a proxy asks this Python model for
    # SORT_ROLE twice per comparison (about 5 us a call: 3 s for 20,000 rows), where one
    # Python sort of the ranks takes milliseconds.
    SORTS_ITSELF: ClassVar[bool] = False

    def __init__(
        self, parent: QObject | None = None, *, columns: Sequence[Column[R]] | None = None
    ) -> None:
        super().__init__(parent)
        self.columns: list[Column[R]] = list(self.COLUMNS if columns is None else columns)
        self._row_roles: Mapping[int, Callable[[R], Any]] = dict(self.ROW_ROLES)
        self._given: list[R] = []  # the rows as set_rows had them
        self._order: list[int] = []  # _order[row] is the row's place in _given
        self._rows: list[R] = []  # the rows as shown: _given in _order
        self._ranks: list[list[int] | None] = [None] * len(self.columns)  # in given order
        self._sorted_by: tuple[int, Qt.SortOrder] | None = None

    # -- rows ------------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._given = list(rows)
        self._order = list(range(len(self._given)))
        self._rows = list(self._given)
        self._ranks = [None] * len(self.columns)  # ranked when a column is first sorted
        if self._sorted_by is not None:  # a model that sorts itself keeps its sort
            self._arrange(*self._sorted_by)
        self.endResetModel()

    def given_index(self, row: int) -> int:
        """The row's place in the list set_rows was given (the same unless it sorts itself)."""
        return self._order[row]

    def rows(self) -> list[R]:
        return list(self._rows)

    def row_at(self, row: int) -> R:
        return self._rows[row]

    def display(self, record: R, column: int) -> str:
        """The text a column shows for a record."""
        return self.columns[column].text(record)

    def replace_row(self, row: int, record: R) -> None:
        """Change one row in place (an edit): its cells change and every rank is redone."""
        self._rows[row] = record
        self._given[self._order[row]] = record
        self._ranks = [None] * len(self.columns)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def cells_changed(self, column: int) -> None:
        """A column's cells changed for every row (a choice made): show them, re-rank."""
        self._ranks[column] = None
        if self._rows:
            self.dataChanged.emit(self.index(0, column), self.index(len(self._rows) - 1, column))

    def sort_ranks(self, column: int) -> list[int]:
        """The column's ranks in given order, computed once per set_rows (on first use)."""
        ranks = self._ranks[column]
        if ranks is None:
            ranks = self._ranks[column] = rank(self.keys_in_given_order(column))
        return ranks

    def keys_in_given_order(self, column: int) -> list[Any]:
        """The column's Python sort keys, in the order set_rows was given the rows."""
        spec = self.columns[column]
        if spec.sort_key is in_given_order:
            return list(range(len(self._given)))
        return [spec.key(record) for record in self._given]

    def sort_keys(self, column: int) -> list[Any]:
        """The column's Python sort keys, row by row as shown."""
        keys = self.keys_in_given_order(column)
        return [keys[given] for given in self._order]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows by a column's ranks, if this model sorts itself (SortProxy asks it)."""
        if not self.SORTS_ITSELF or not 0 <= column < len(self.columns):
            return
        self._sorted_by = (column, order)
        self.layoutAboutToBeChanged.emit()
        old_order = self._order
        self._arrange(column, order)
        row_of_given = [0] * len(self._order)
        for row, given in enumerate(self._order):
            row_of_given[given] = row
        before = self.persistentIndexList()  # the selection and the current row, a few
        after = [self.index(row_of_given[old_order[i.row()]], i.column()) for i in before]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _arrange(self, column: int, order: Qt.SortOrder) -> None:
        # Python's sort is stable both ways, as Qt's is: equal keys keep their given order.
        ranks = self.sort_ranks(column)
        descending = order == Qt.SortOrder.DescendingOrder
        self._order = sorted(range(len(self._given)), key=ranks.__getitem__, reverse=descending)
        self._rows = [self._given[given] for given in self._order]

    # -- Qt model interface ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ranks)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == _DISPLAY:
            return self.columns[section].title
        if role == _TOOLTIP:
            return self.columns[section].header_tooltip or None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and self.columns[index.column()].check_state is not None:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        row, column = index.row(), index.column()
        if not index.isValid() or not 0 <= row < len(self._rows):
            return None
        if role == SORT_ROLE:  # first: Qt asks for it on every comparison while sorting
            return self.sort_ranks(column)[self._order[row]]
        return self.cell(self._rows[row], column, role)

    def cell(self, record: R, column: int, role: int) -> Any:
        if role in self._row_roles:
            return self._row_roles[role](record)
        spec = self.columns[column]
        if role == _DISPLAY:
            return spec.text(record)
        if role == _TOOLTIP:
            tip = spec.tooltip(record) if spec.tooltip is not None else None
            if tip is None and self.TOOLTIP_IS_TEXT:
                tip = spec.text(record)
            # Qt reads tooltips as markup: a name like "<img …>" must show as typed.
            return html.escape(tip, quote=False) if tip and ("<" in tip or "&" in tip) else tip
        if role == _ACCESSIBLE and spec.accessible is not None:
            return spec.accessible(record)
        if role == _ACCESSIBLE and self.ACCESSIBLE:
            text = spec.text(record)
            if self.ACCESSIBLE == LABELLED:
                return f"{spec.title}: {text}"
            return text or "none" if self.ACCESSIBLE == TEXT_OR_NONE else text
        if role == _FOREGROUND and spec.foreground is not None:
            colour = spec.foreground(record)
            return QBrush(QColor(colour)) if colour else None
        if role == _FONT and spec.font is not None:
            return spec.font(record)
        if role == _ALIGN and spec.align is not None:
            return int(spec.align)
        if role == _CHECK and spec.check_state is not None:
            return spec.check_state(record)
        return None


class SortProxy(QSortFilterProxyModel):
    """Sorts on the ranks in SORT_ROLE with Qt's own comparison (no Python `lessThan`).

    Always map to the source before acting on a row: the proxy's row numbers are not the
    model's.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        model = self.sourceModel()
        if isinstance(model, RowsModel) and model.SORTS_ITSELF:
            # The model's rows come already sorted; the proxy keeps their order (and filters).
            model.sort(column, order)
            return
        super().sort(column, order)

    def refilter(self, change: Callable[[], None]) -> None:
        """Make a change to what filterAcceptsRow accepts, then filter the rows again."""
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def source_row(self, proxy_index: QModelIndex) -> int | None:
        source = self.mapToSource(proxy_index)
        return source.row() if source.isValid() else None

    def record_at(self, proxy_index: QModelIndex) -> Any:
        row = self.source_row(proxy_index) if proxy_index.isValid() else None
        model = self.sourceModel()
        if row is None or not isinstance(model, RowsModel):
            return None
        return model.row_at(row)


def sorting_proxy(model: QAbstractItemModel, parent: QObject | None = None) -> SortProxy:
    proxy = SortProxy(parent)
    proxy.setSourceModel(model)
    return proxy


# The seed's name, kept while the tabs that annotate with it move over to RowsModel.
RecordsModel = RowsModel
