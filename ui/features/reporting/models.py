"""The cohort report's table of figures."""

from __future__ import annotations

from semh_desktop.reporting.impact_report import Figure
from ui.common.table_model import Column, RowsModel, in_given_order


def _figure_value(record: Figure) -> float:
    try:
        return float(record.value)
    except ValueError:
        return float("-inf")


class FiguresModel(RowsModel[Figure]):
    COL_SECTION, COL_MEASURE, COL_GROUP, COL_VALUE = range(4)
    TOOLTIP_IS_TEXT = True
    COLUMNS = (
        Column[Figure]("Section", lambda r: r.section, in_given_order),  # report order
        Column[Figure]("Measure", lambda r: r.measure, lambda r: r.measure),
        Column[Figure]("Group", lambda r: r.group, lambda r: r.group),
        Column[Figure]("Figure", lambda r: r.display, _figure_value),
    )
