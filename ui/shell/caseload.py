"""The caseload table: one model over `pupils.caseload` rows and a proxy that searches and sorts.

Features add columns (`ui.common.caseload_column.CaseloadColumn`, listed in
`ui/shell/features.py`) without touching the base columns here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex
from PySide6.QtGui import QFont

from semh_desktop.core.store import Store
from semh_desktop.register.pupils import PRIMARY_NEEDS, SEN_PROVISION, CaseloadRow, year_group_label
from ui.common.caseload_column import CaseloadColumn
from ui.common.table_model import ID_ROLE, SORT_ROLE, TEXT_OR_NONE, Column, RowsModel, SortProxy

__all__ = ["PUPIL_ID_ROLE", "SORT_ROLE", "CaseloadColumn", "CaseloadFilterProxy", "CaseloadModel"]

COL_NAME, COL_UPN, COL_YEAR, COL_SEN, COL_NEED, COL_FLAGS = range(6)
BASE_HEADERS = ("Name", "UPN", "Year", "SEN", "Need", "Flags")

PUPIL_ID_ROLE = ID_ROLE  # the pupil's id, from any column

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
ARCHIVED_COLOUR = "#7b8794"

Index = QModelIndex | QPersistentModelIndex


def fold(text: str) -> str:
    """Lower case without accents, so that 'sian' finds Siân and 'zoe' finds Zoë."""
    if text.isascii():  # most names: nothing to decompose, and the same result 20x faster
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def load_extra_values(
    store: Store, rows: Sequence[CaseloadRow], columns: Sequence[CaseloadColumn]
) -> list[Mapping[str, object]]:
    """Run each feature column's loader once (the window calls this; the model never does)."""
    return [column.load(store, rows) for column in columns]


def _name(row: CaseloadRow) -> str:
    return f"{row.name} (archived)" if row.archived else row.name


def _archived_colour(row: CaseloadRow) -> str | None:
    return ARCHIVED_COLOUR if row.archived else None


_italic: list[QFont] = []  # made on first use: a QFont needs the application


def _archived_font(row: CaseloadRow) -> QFont | None:
    if not row.archived:
        return None
    if not _italic:
        font = QFont()
        font.setItalic(True)
        _italic.append(font)
    return _italic[0]


def _base(title: str, text: Callable[[CaseloadRow], str], **options: Any) -> Column[CaseloadRow]:
    """A base column: archived pupils in grey italics."""
    return Column(title, text, foreground=_archived_colour, font=_archived_font, **options)


BASE_COLUMNS: tuple[Column[CaseloadRow], ...] = (
    _base("Name", _name, sort_key=lambda r: (fold(r.surname), fold(r.name)), tooltip=_name),
    _base("UPN", lambda r: r.upn, sort_key=lambda r: fold(r.upn)),
    _base(
        "Year",
        lambda r: year_group_label(r.year_group),
        sort_key=lambda r: (r.year_group, fold(r.surname)),
    ),
    _base(
        "SEN",
        lambda r: r.sen_provision,
        sort_key=lambda r: (SEN_ORDER.get(r.sen_provision, 0), fold(r.surname)),
        tooltip=lambda r: SEN_PROVISION.get(r.sen_provision, r.sen_provision),
        header_tooltip="SEN provision: N none, K SEN support, E EHC plan",
    ),
    _base(
        "Need",
        lambda r: r.primary_need or "",
        sort_key=lambda r: fold(r.primary_need or ""),
        tooltip=lambda r: (
            PRIMARY_NEEDS.get(r.primary_need, r.primary_need) if r.primary_need else None
        ),
        header_tooltip="Primary need",
    ),
    _base(
        "Flags",
        lambda r: ", ".join(FLAG_SHORT.get(flag, flag) for flag in r.flags),
        sort_key=lambda r: (len(r.flags), fold(r.surname)),
        tooltip=lambda r: ", ".join(r.flags) if r.flags else None,
        header_tooltip="Vulnerability flags",
    ),
)


class CaseloadModel(RowsModel[CaseloadRow]):
    """The base columns, then one per feature column, whose values the window loads."""

    ROW_ROLES = ((PUPIL_ID_ROLE, lambda row: row.pupil_id),)
    ACCESSIBLE = TEXT_OR_NONE
    SORTS_ITSELF = True  # the whole school: one Python sort of the ranks, not Qt's

    def __init__(
        self, columns: Sequence[CaseloadColumn] | None = None, parent: QObject | None = None
    ) -> None:
        self.extra_columns: list[CaseloadColumn] = list(() if columns is None else columns)
        self._extra: list[Mapping[str, object]] = [{} for _ in self.extra_columns]
        feature_columns = [
            self._feature_column(number, spec) for number, spec in enumerate(self.extra_columns)
        ]
        super().__init__(parent, columns=(*BASE_COLUMNS, *feature_columns))
        self._search: list[str] = []
        self._row_of: dict[str, int] = {}

    def _feature_column(self, number: int, spec: CaseloadColumn) -> Column[CaseloadRow]:
        def value(row: CaseloadRow) -> object:
            values = self._extra[number] if number < len(self._extra) else {}
            return values.get(row.pupil_id)

        def text(row: CaseloadRow) -> str:
            return spec.display(value(row))

        def key(row: CaseloadRow) -> Any:
            return fold(text(row)) if spec.sort_key is None else spec.sort_key(value(row))

        return Column(
            spec.title,
            text,
            sort_key=key,
            # narrow columns elide; the tip shows it all
            tooltip=lambda row: text(row) or None,
            header_tooltip=spec.tooltip,
        )

    # -- filling ---------------------------------------------------------------------------

    def set_rows(
        self, rows: Sequence[CaseloadRow], extra: Sequence[Mapping[str, object]] | None = None
    ) -> None:
        # Folded once per refresh, so a keystroke in the search box only tests substrings;
        # single-spaced between spaces, so a whole word is the substring " word ".
        self._search = [" " + " ".join(fold(row.search_text).split()) + " " for row in rows]
        self._row_of = {row.pupil_id: number for number, row in enumerate(rows)}
        self._extra = list(extra) if extra is not None else [{} for _ in self.extra_columns]
        super().set_rows(rows)

    def row_of(self, pupil_id: str) -> int | None:
        given = self._row_of.get(pupil_id)
        return None if given is None else self._order.index(given)

    def search_text_at(self, row: int) -> str:
        return self._search[self.given_index(row)].strip()

    def shown_order(self) -> list[int]:
        """The given row of each shown row; a new list after every set_rows and sort."""
        return self._order

    def search_texts(self) -> list[str]:
        """Every row's folded search text in given order; the same list until set_rows."""
        return self._search


_YEAR_WORDS = re.compile(r"\byear\s+(\d{1,2})\b")
_YEAR_TOKEN = re.compile(r"^y\d{1,2}$")


class CaseloadFilterProxy(SortProxy):
    """Filters on each row's folded search text as the user types; sorts on ranked keys."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._terms: list[str] = []
        self._accepted: list[bool] = []
        self._accepted_for: list[int] | None = None  # the model's row order _accepted is in
        self.setDynamicSortFilter(True)

    def set_search(self, text: str) -> None:
        terms = self.parse_terms(text)
        if terms == self._terms:
            return
        self.refilter(lambda: self._set_terms(terms))

    def _set_terms(self, terms: list[str]) -> None:
        self._terms = terms
        self._accepted_for = None

    @staticmethod
    def parse_terms(text: str) -> list[str]:
        """Every term must match. 'year 8' and 'Y8' both mean the year group Y8 exactly."""
        folded = _YEAR_WORDS.sub(lambda m: "y" + m.group(1), fold(text))
        return folded.split()

    def matches(self, haystack: str) -> bool:
        """Whether a model's search text (see CaseloadModel.set_rows) has every term."""
        return all(needle in haystack for needle in self._needles())

    def _needles(self) -> list[str]:
        # 'y1' must not match Y10 or Y11, so year-like terms match whole words only.
        return [f" {term} " if _YEAR_TOKEN.match(term) else term for term in self._terms]

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._terms:
            return True
        model = self.sourceModel()
        if not isinstance(model, CaseloadModel):
            return True
        if self._accepted_for is not model.shown_order():  # once per search, refresh or sort
            self._accepted = self._accepted_rows(model)
            self._accepted_for = model.shown_order()
        return self._accepted[source_row]

    def _accepted_rows(self, model: CaseloadModel) -> list[bool]:
        texts = model.search_texts()
        needles = self._needles()
        accepted = [needles[0] in text for text in texts]
        for needle in needles[1:]:
            accepted = [ok and needle in text for ok, text in zip(accepted, texts, strict=True)]
        return [accepted[given] for given in model.shown_order()]

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
