"""The PSP tab's table: per target and case aim, baseline, mid-point, final, change and spread.

The kit's `RowsModel` over `PlanRow`s (built by the tab from `progress.case_progress` and
`scaling.latest_spread`), and its `SortProxy`, sorting on the raw values ranked into SORT_ROLE.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, Qt

from semh_desktop.plans.progress import ItemProgress
from semh_desktop.plans.scaling import Spread
from ui.common import theme
from ui.common.table_model import ID_ROLE, LABELLED, SORT_ROLE, Column, RowsModel, SortProxy

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
ITEM_ID_ROLE = ID_ROLE
__all__ = ["ITEM_ID_ROLE", "SORT_ROLE", "PlanProgressModel", "PlanProgressProxy", "PlanRow"]


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


def _aim_then_position(row: PlanRow) -> tuple[int, int]:
    return (1 if row.progress.item == "aim" else 0, row.progress.position)


_MISSING = -99  # no score yet sorts below every score


def _score(value: int | None) -> int:
    return _MISSING if value is None else value


def _change(row: PlanRow) -> str:
    change = row.progress.change
    return "—" if change is None else f"{change:+d}"


def _change_tip(row: PlanRow) -> str | None:
    p = row.progress
    if p.change is None and p.change_so_far is not None:
        return f"No final score yet; change so far {p.change_so_far:+d}"
    return None


def _spread_tip(row: PlanRow) -> str | None:
    if row.spread is None:
        return None
    return f"At the {row.spread_at.lower()}: {row.spread.describe()}"


def _spread_colour(row: PlanRow) -> str | None:
    return theme.WARNING if row.spread is not None and row.spread.disagreement else None


def _short_kind(row: PlanRow) -> str:
    return SHORT_KINDS.get(row.progress.kind, row.progress.kind_label)


_CENTRE = Qt.AlignmentFlag.AlignCenter


def _score_column(column: int, point: str) -> Column[PlanRow]:
    """The agreed score at one scoring point (baseline, mid or final), centred."""

    def score(row: PlanRow) -> int | None:
        value: int | None = getattr(row.progress, point)
        return value

    return Column(
        HEADERS[column],
        lambda r: _number(score(r)),
        lambda r: _score(score(r)),
        header_tooltip=HEADER_TIPS[column],
        align=_CENTRE,
    )


class PlanProgressModel(RowsModel[PlanRow]):
    ROW_ROLES = ((ITEM_ID_ROLE, lambda row: row.item_id),)
    ACCESSIBLE = LABELLED
    COLUMNS = (
        Column[PlanRow](
            HEADERS[COL_ITEM],
            lambda r: r.progress.label,
            _aim_then_position,
            tooltip=lambda r: r.progress.kind_label,
            header_tooltip=HEADER_TIPS[COL_ITEM],
        ),
        Column[PlanRow](
            HEADERS[COL_KIND],
            _short_kind,
            lambda r: r.progress.kind_label.casefold(),
            tooltip=lambda r: r.progress.kind_label,
            header_tooltip=HEADER_TIPS[COL_KIND],
        ),
        Column[PlanRow](
            HEADERS[COL_TEXT],
            lambda r: f"{r.progress.label} ({_short_kind(r).lower()}): {r.progress.text}",
            _aim_then_position,
            tooltip=lambda r: r.progress.text,
            header_tooltip=HEADER_TIPS[COL_TEXT],
        ),
        _score_column(COL_BASELINE, "baseline"),
        _score_column(COL_MID, "mid"),
        _score_column(COL_FINAL, "final"),
        Column[PlanRow](
            HEADERS[COL_CHANGE],
            _change,
            lambda r: _score(r.progress.change),
            tooltip=_change_tip,
            header_tooltip=HEADER_TIPS[COL_CHANGE],
            align=_CENTRE,
        ),
        Column[PlanRow](
            HEADERS[COL_SPREAD],
            PlanRow.spread_text,
            lambda r: _MISSING if r.spread is None else r.spread.range,
            foreground=_spread_colour,
            tooltip=_spread_tip,
            header_tooltip=HEADER_TIPS[COL_SPREAD],
        ),
    )


class PlanProgressProxy(SortProxy):
    """Sorts on the raw values (numbers, aims after targets), not on the displayed text."""

    def item_id_at(self, proxy_index: QModelIndex) -> str | None:
        if not proxy_index.isValid():
            return None
        value = self.mapToSource(proxy_index).data(ITEM_ID_ROLE)
        return str(value) if value else None
