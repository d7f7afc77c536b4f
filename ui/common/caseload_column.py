"""A caseload column a feature adds: a title, one bulk loader for all shown rows, a display.

The window (which holds the store) calls every column's `load` once per refresh and hands the
values to the caseload model; the model itself never queries the database. Columns are listed
in `ui/shell/features.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from semh_desktop.core.store import Store
from semh_desktop.register.pupils import CaseloadRow


def _text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class CaseloadColumn:
    """A column added by a feature: a title, a bulk loader and how to show its raw value."""

    title: str
    load: Callable[[Store, Sequence[CaseloadRow]], Mapping[str, object]]
    display: Callable[[object], str] = _text
    sort_key: Callable[[object], Any] | None = None  # default: the displayed text, folded
    tooltip: str = ""
    # The record kinds the column shows (audit record types): the window re-reads the caseload
    # after a change to one of them. None: any change to a listed pupil may change the column.
    kinds: frozenset[str] | None = None
