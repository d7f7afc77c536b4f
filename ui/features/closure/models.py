"""The Closure tab's tables.

Sustainability actions, signposting, follow-ups, questionnaires and the pupil's history of
support.

Each table is a `RecordsModel` (the kit's `RowsModel` over typed domain records, with COL_*
constants per table) behind the kit's `SortProxy`, which sorts on the raw values ranked into
SORT_ROLE. The tab builds the records through `semh_desktop` and hands
them in; the models never query the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from semh_desktop.closure.closure import CaseHistoryEntry
from semh_desktop.closure.questionnaires import Questionnaire
from semh_desktop.closure.sustainability import FollowUp, Signpost, SustainabilityAction
from semh_desktop.core.dates import format_date
from ui.common import theme
from ui.common.table_model import ID_ROLE, LABELLED, SORT_ROLE, Column, RowsModel, SortProxy

__all__ = ["ID_ROLE", "SORT_ROLE", "Column", "RecordsModel", "RecordsProxy"]


def _date_key(day: dt.date | None) -> str:
    return day.isoformat() if day else "9999-99-99"  # no date sorts last


class RecordsModel(RowsModel[Any]):
    """Rows of typed records (each with an `id`), shown through the given columns."""

    ROW_ROLES = ((ID_ROLE, lambda record: getattr(record, "id", None)),)
    ACCESSIBLE = LABELLED
    TOOLTIP_IS_TEXT = True

    def __init__(self, columns: Sequence[Column[Any]], parent: Any = None) -> None:
        super().__init__(parent, columns=columns)


# The kit's proxy: sorts on the ranked raw values; `record_at` maps to the source first.
RecordsProxy = SortProxy


# Sustainability actions ---------------------------------------------------------------------

ACT_WHAT, ACT_WHO, ACT_HOW_OFTEN, ACT_UNTIL, ACT_TARGET = range(5)


def action_columns(
    target_labels: Callable[[str | None], str], today: Callable[[], dt.date]
) -> list[Column[Any]]:
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
SIGNPOST_COLUMNS: list[Column[Signpost]] = [
    Column("Service", lambda s: s.details.service, lambda s: s.position),
    Column("Contact", lambda s: s.details.contact or "—", lambda s: s.details.contact),
    Column("Note", lambda s: s.details.note or "—", lambda s: s.details.note),
]


def signpost_label(s: Signpost) -> str:
    return s.details.service


# Follow-ups ---------------------------------------------------------------------------------

FU_MEETING, FU_OBSERVATION, FU_DATE, FU_STATUS, FU_OUTCOME = range(5)


def follow_up_columns(today: Callable[[], dt.date]) -> list[Column[Any]]:
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
QUESTIONNAIRE_COLUMNS: list[Column[Questionnaire]] = [
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


HISTORY_COLUMNS: list[Column[HistoryRow]] = [
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
