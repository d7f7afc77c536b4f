"""Table models for the Graduated response tab: phase history, APDR cycles, an item's history.

Each model holds typed records handed to `set_rows` (the tab reads them through the domain);
each is a tuple of the kit's `Column`s; SORT_ROLE gives raw values, ranked, for the proxy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject

from semh_desktop.core.dates import format_date
from semh_desktop.graduated.apdr import ApdrCycle
from semh_desktop.graduated.response import ItemAnswer, PhaseChange
from ui.common.table_model import ID_ROLE, SORT_ROLE, TEXT_OR_NONE, Column, RowsModel, SortProxy

__all__ = ["ID_ROLE", "SORT_ROLE", "ApdrCycleModel", "ItemHistoryModel", "PhaseHistoryModel"]

DONE_COLOUR = "#1e7a3c"  # green = done; colour only for status
WARNING_COLOUR = "#8a5300"


def _sortable_date(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _record_id(record: object) -> str:
    return str(getattr(record, "id", ""))


class PhaseHistoryModel(RowsModel[PhaseChange]):
    COL_DATE, COL_FROM, COL_TO, COL_DECIDED_BY, COL_REASON = range(5)
    ROW_ROLES = ((ID_ROLE, _record_id),)
    ACCESSIBLE = TEXT_OR_NONE
    COLUMNS = (
        Column[PhaseChange](
            "Date",
            lambda r: format_date(r.changed_on),
            lambda r: (_sortable_date(r.changed_on), r.recorded_at),
        ),
        Column[PhaseChange]("From", lambda r: r.from_phase_name or "—"),
        Column[PhaseChange]("To", lambda r: r.to_phase_name),
        Column[PhaseChange]("Decided by", lambda r: r.decided_by_label),
        Column[PhaseChange]("Reason", lambda r: _one_line(r.reason), tooltip=lambda r: r.reason),
    )


def _apdr_date(field: str) -> Column[ApdrCycle]:
    def day(record: ApdrCycle) -> dt.date | None:
        value: dt.date | None = getattr(record.details, field)
        return value

    return Column[ApdrCycle](
        field.removesuffix("_on").capitalize(),
        lambda r: format_date(day(r)),
        lambda r: _sortable_date(day(r)),
    )


def _stage_colour(record: ApdrCycle) -> str | None:
    if record.reviewed:
        return DONE_COLOUR
    if record.stage == "Awaiting review":
        return WARNING_COLOUR
    return None


class ApdrCycleModel(RowsModel[ApdrCycle]):
    COL_NUMBER, COL_ASSESS, COL_PLAN, COL_DO, COL_REVIEW, COL_STAGE, COL_OUTCOME = range(7)
    ROW_ROLES = ((ID_ROLE, _record_id),)
    ACCESSIBLE = TEXT_OR_NONE

    def __init__(self, parent: QObject | None = None) -> None:
        # The number is the cycle's place in the list, so it needs the model's rows.
        number = Column[ApdrCycle]("#", lambda r: str(self._number_of(r) + 1), self._number_of)
        super().__init__(
            parent,
            columns=(
                number,
                _apdr_date("assess_on"),
                _apdr_date("plan_on"),
                _apdr_date("do_on"),
                _apdr_date("review_on"),
                Column[ApdrCycle]("Stage", lambda r: r.stage, foreground=_stage_colour),
                Column[ApdrCycle](
                    "Outcome",
                    lambda r: _one_line(r.details.outcome, 80),
                    tooltip=lambda r: r.details.outcome or None,
                ),
            ),
        )
        self._numbers: dict[int, int] = {}

    def set_rows(self, rows: Sequence[ApdrCycle]) -> None:
        self._numbers = {id(row): number for number, row in enumerate(rows)}
        super().set_rows(rows)

    def _number_of(self, record: ApdrCycle) -> int:
        return self._numbers[id(record)]


def _recorded(record: ItemAnswer) -> str:
    stamp = dt.datetime.fromisoformat(record.recorded_at)
    return f"{format_date(stamp.date())} {stamp:%H:%M}"


class ItemHistoryModel(RowsModel[ItemAnswer]):
    COL_RECORDED, COL_STATUS, COL_DATE, COL_BY, COL_EVIDENCE, COL_VERSION = range(6)
    ROW_ROLES = ((ID_ROLE, _record_id),)
    ACCESSIBLE = TEXT_OR_NONE

    def __init__(
        self, version_numbers: dict[str, int] | None = None, parent: QObject | None = None
    ) -> None:
        self.version_numbers = version_numbers or {}
        version: Callable[[ItemAnswer], str] = self._version
        super().__init__(
            parent,
            columns=(
                Column[ItemAnswer]("Recorded", _recorded, lambda r: r.recorded_at),
                Column[ItemAnswer]("Status", lambda r: r.status_label),
                Column[ItemAnswer](
                    "Date",
                    lambda r: format_date(r.answered_on),
                    lambda r: _sortable_date(r.answered_on),
                ),
                Column[ItemAnswer]("By", lambda r: r.staff_name),
                Column[ItemAnswer](
                    "Evidence",
                    lambda r: _one_line(r.evidence),
                    tooltip=lambda r: r.evidence or None,
                ),
                Column[ItemAnswer]("Template version", version),
            ),
        )

    def _version(self, record: ItemAnswer) -> str:
        number = self.version_numbers.get(record.template_version_id)
        return f"Version {number}" if number else ""


# The kit's proxy: sorts on the ranked raw values; `source_row` maps to the source first.
RecordsSortProxy = SortProxy
