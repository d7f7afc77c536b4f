"""Read-only record tables: one place that sets up a QTableView the way every list here is shown.

Rows are selected whole, nothing is edited in place, the vertical header is hidden and the
last column takes the spare width; the callers choose only what differs (sort column, how
columns size, word wrap).
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from ui.common.table_model import sorting_proxy

Resize = QHeaderView.ResizeMode


def configure_records_view(
    view: QTableView,
    accessible_name: str,
    *,
    object_name: str = "",
    sort_column: int | None = 0,
    order: Qt.SortOrder = Qt.SortOrder.AscendingOrder,
    resize: Resize | None = Resize.ResizeToContents,
    word_wrap: bool = True,
    alternating: bool = True,
    single_selection: bool = True,
) -> QTableView:
    view.setAccessibleName(accessible_name)
    if object_name:
        view.setObjectName(object_name)
    # sort_column None: sortable by a click on a header, in the order the rows came.
    view.setSortingEnabled(True)
    if sort_column is not None:
        view.sortByColumn(sort_column, order)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single_selection:
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(alternating)
    view.setWordWrap(word_wrap)
    view.verticalHeader().setVisible(False)
    header = view.horizontalHeader()
    if resize is not None:
        header.setSectionResizeMode(resize)
    header.setStretchLastSection(True)
    return view


def records_view(
    accessible_name: str,
    model: QAbstractItemModel | None = None,
    *,
    object_name: str = "",
    sort_column: int | None = 0,
    order: Qt.SortOrder = Qt.SortOrder.AscendingOrder,
    resize: Resize | None = Resize.ResizeToContents,
    word_wrap: bool = True,
    alternating: bool = True,
    single_selection: bool = True,
) -> QTableView:
    """A new read-only table; a plain model is shown through the one sort proxy."""
    view = QTableView()
    if model is not None:
        shown = model if isinstance(model, QSortFilterProxyModel) else sorting_proxy(model, view)
        view.setModel(shown)
    return configure_records_view(
        view,
        accessible_name,
        object_name=object_name,
        sort_column=sort_column,
        order=order,
        resize=resize,
        word_wrap=word_wrap,
        alternating=alternating,
        single_selection=single_selection,
    )
