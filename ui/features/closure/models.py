"""The Closure tab's tables.

Sustainability actions, signposting, follow-ups, questionnaires and the pupil's history of
support.

Each table is a `RecordsModel` (one QAbstractTableModel over typed domain records, with COL_*
constants per table and `set_rows()` inside a model reset) behind a `RecordsProxy` that sorts
on the raw values in UserRole. The tab builds the records through `semh_desktop` and hands
them in; the models never query the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
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

from semh_desktop.closure.closure import CaseHistoryEntry
from semh_desktop.closure.questionnaires import Questionnaire
from semh_desktop.closure.sustainability import FollowUp, Signpost, SustainabilityAction
from semh_desktop.core.dates import format_date
from ui.common import theme

SORT_ROLE = Qt.ItemDataRole.UserRole
ID_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


def _date_key(day: dt.date | None) -> str:
    return day.isoformat() if day else "9999-99-99"  # no date sorts last


@dataclass(frozen=True)
class Column:
    """How one column shows a record: its text, its raw sort value and an optional colour."""

    title: str
    display: Callable[[Any], str]
    sort: Callable[[Any], Any]
    colour: Callable[[Any], str | None] | None = None


class RecordsModel(QAbstractTableModel):
    """Rows of typed records (each with an `id`), shown through a list of columns."""

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return column.display(record)
        if role == SORT_ROLE:
            return column.sort(record)
        if role == ID_ROLE:
            return getattr(record, "id", None)
        if role == Qt.ItemDataRole.ForegroundRole and column.colour is not None:
            colour = column.colour(record)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{column.title}: {column.display(record)}"
        return None


class RecordsProxy(QSortFilterProxyModel):
    """Sorts on the raw values (dates, numbers, tuples), not on the displayed text."""

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

    def record_at(self, proxy_index: QModelIndex) -> Any:
        if not proxy_index.isValid():
            return None
        source = self.sourceModel()
        assert isinstance(source, RecordsModel)
        return source.row_at(self.mapToSource(proxy_index).row())


# Sustainability actions ---------------------------------------------------------------------

ACT_WHAT, ACT_WHO, ACT_HOW_OFTEN, ACT_UNTIL, ACT_TARGET = range(5)


def action_columns(
    target_labels: Callable[[str | None], str], today: Callable[[], dt.date]
) -> list[Column]:
    def until_colour(a: SustainabilityAction) -> str | None:
        return theme.WARNING if a.ended_by(today()) and a.end_reviewed_on is None else None

    def until_text(a: SustainabilityAction) -> str:
        if a.ended_by(today()):
            return a.until_label + (" (ended)" if a.end_reviewed_on else " (ended: check)")
        return a.until_label

    return [
        Column("What school will keep doing", lambda a: a.details.action, lambda a: a.position),
        Column("Who", lambda a: a.details.who, lambda a: a.details.who.casefold()),
        Column(
            "How often", lambda a: a.details.how_often, lambda a: a.details.how_often.casefold()
        ),
        Column("Until", until_text, lambda a: _date_key(a.details.until_date), until_colour),
        Column(
            "Sustains",
            lambda a: target_labels(a.details.target_id),
            lambda a: target_labels(a.details.target_id),
        ),
    ]


# Signposting --------------------------------------------------------------------------------

SIGN_SERVICE, SIGN_CONTACT, SIGN_NOTE = range(3)
SIGNPOST_COLUMNS = [
    Column("Service", lambda s: s.details.service, lambda s: s.position),
    Column("Contact", lambda s: s.details.contact or "—", lambda s: s.details.contact),
    Column("Note", lambda s: s.details.note or "—", lambda s: s.details.note),
]


def signpost_label(s: Signpost) -> str:
    return s.details.service


# Follow-ups ---------------------------------------------------------------------------------

FU_MEETING, FU_OBSERVATION, FU_DATE, FU_STATUS, FU_OUTCOME = range(5)


def follow_up_columns(today: Callable[[], dt.date]) -> list[Column]:
    def status(f: FollowUp) -> str:
        if f.held_on:
            return f"Held {format_date(f.held_on)}"
        if f.scheduled_on < today():
            return "Overdue"
        if f.observed_on is None and f.observation_on < today():
            return "Observation overdue"
        return "Booked" + (" (observed)" if f.observed_on else "")

    def colour(f: FollowUp) -> str | None:
        return theme.ERROR if "Overdue" in status(f) or "overdue" in status(f) else None

    return [
        Column("Meeting", lambda f: f.label, lambda f: f.number),
        Column(
            "Observation by",
            lambda f: format_date(f.observed_on or f.observation_on),
            lambda f: _date_key(f.observed_on or f.observation_on),
        ),
        Column(
            "Meeting date",
            lambda f: format_date(f.held_on or f.scheduled_on),
            lambda f: _date_key(f.held_on or f.scheduled_on),
        ),
        Column(
            "Status", status, lambda f: (f.held_on is not None, _date_key(f.scheduled_on)), colour
        ),
        Column("Outcome", lambda f: f.outcome or "—", lambda f: f.outcome),
    ]


# Questionnaires -----------------------------------------------------------------------------

Q_FROM, Q_COMPLETED, Q_MEAN, Q_PARTNERSHIP = range(4)
QUESTIONNAIRE_COLUMNS = [
    Column("From", lambda q: q.respondent_label, lambda q: q.respondent),
    Column("Completed", lambda q: format_date(q.completed_on), lambda q: _date_key(q.completed_on)),
    Column(
        "Mean agreement (1-5)",
        lambda q: f"{q.mean:.1f}" if q.mean is not None else "—",
        lambda q: -1.0 if q.mean is None else q.mean,
    ),
    Column("Partnership with family", lambda q: q.partnership_label, lambda q: q.partnership or ""),
]


def questionnaire_summary(q: Questionnaire) -> str:
    return f"{q.respondent_label}: {q.partnership_label}"


# History of support -------------------------------------------------------------------------

H_REFERRED, H_PLAN, H_STATUS, H_CLOSED, H_REASON, H_REREFERRAL = range(6)


@dataclass(frozen=True)
class HistoryRow:
    """A case in the history table (the model needs an `id`)."""

    entry: CaseHistoryEntry

    @property
    def id(self) -> str:
        return self.entry.case.id


def _re_referral(row: HistoryRow) -> str:
    if row.entry.is_re_referral:
        return f"Yes ({row.entry.days_since_previous} days after the last closure)"
    if row.entry.previous_case_id:
        return f"No ({row.entry.days_since_previous} days after the last closure)"
    return "No (first case)"


HISTORY_COLUMNS = [
    Column(
        "Referred",
        lambda r: format_date(r.entry.case.details.referral_date),
        lambda r: _date_key(r.entry.case.details.referral_date),
    ),
    Column(
        "Plan",
        lambda r: f"{r.entry.case.plan.short_label} from {format_date(r.entry.case.start_date)}",
        lambda r: _date_key(r.entry.case.start_date),
    ),
    Column(
        "Status",
        lambda r: "Open" if r.entry.case.is_open else "Closed",
        lambda r: r.entry.case.status,
    ),
    Column(
        "Closed",
        lambda r: format_date(r.entry.closure.closed_on) if r.entry.closure else "—",
        lambda r: _date_key(r.entry.closure.closed_on if r.entry.closure else None),
    ),
    Column(
        "Reason for closing",
        lambda r: r.entry.closure.reason_label if r.entry.closure else "—",
        lambda r: r.entry.closure.reason if r.entry.closure else "",
    ),
    Column(
        "Re-referral",
        _re_referral,
        lambda r: (r.entry.is_re_referral, r.entry.days_since_previous or 0),
        lambda r: theme.WARNING if r.entry.is_re_referral else None,
    ),
]
