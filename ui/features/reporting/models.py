"""The cohort report's table of figures."""

from __future__ import annotations

from typing import Any

from semh_desktop.reporting.impact_report import Figure
from ui.common.table_model import RecordsModel


class FiguresModel(RecordsModel[Figure]):
    COL_SECTION, COL_MEASURE, COL_GROUP, COL_VALUE = range(4)
    HEADERS = ("Section", "Measure", "Group", "Figure")

    def display(self, record: Figure, column: int) -> str:
        return (record.section, record.measure, record.group, record.display)[column]

    def sort_key(self, record: Figure, column: int) -> Any:
        if column == self.COL_SECTION:
            return self._rows.index(record)  # report order
        if column == self.COL_VALUE:
            try:
                return float(record.value)
            except ValueError:
                return float("-inf")
        return self.display(record, column)
