"""The caseload model and its search/sort proxy, without a view."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QPersistentModelIndex, Qt
from pytestqt.modeltest import ModelTester

from semh_desktop.core.store import Store
from semh_desktop.register import pupils
from semh_desktop.register.pupils import CaseloadRow
from tests.conftest import sample_details
from ui.shell.caseload import (
    COL_FLAGS,
    COL_NAME,
    COL_SEN,
    COL_UPN,
    COL_YEAR,
    PUPIL_ID_ROLE,
    SORT_ROLE,
    CaseloadColumn,
    CaseloadFilterProxy,
    CaseloadModel,
    load_extra_values,
)


def _row(name: str, surname: str, upn: str, year: int, **changes: object) -> CaseloadRow:
    values: dict[str, object] = dict(
        pupil_id=f"id-{upn}",
        name=f"{name} {surname}",
        surname=surname,
        upn=upn,
        year_group=year,
        sen_provision="K",
        primary_need="SEMH",
        flags=(),
        on_semh_register=True,
        archived=False,
    )
    values.update(changes)
    return CaseloadRow(**values)  # type: ignore[arg-type]


ROWS = [
    _row("Siân", "O'Neill", "B801200005001", 8, flags=("Pupil Premium", "CP")),
    _row("Zoë", "Ashdown", "C801200005002", 10, sen_provision="E"),
    _row("Tomás", "Brennan", "D801200005003", 1, archived=True),
    _row("Noah", "Yardley", "E801200005004", 11, primary_need=None),
]


def test_qtmodeltester_on_the_caseload_model(qtmodeltester: ModelTester) -> None:
    model = CaseloadModel(columns=[])
    model.set_rows(ROWS)
    qtmodeltester.check(model)
    model.set_rows([])
    qtmodeltester.check(model)


def test_qtmodeltester_on_the_proxy_with_a_feature_column(qtmodeltester: ModelTester) -> None:
    phase = CaseloadColumn(
        "Phase", load=lambda store, rows: {}, display=lambda value: str(value or "")
    )
    model = CaseloadModel(columns=[phase])
    model.set_rows(ROWS, [{"id-B801200005001": "Targeted"}])
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(COL_NAME)
    qtmodeltester.check(proxy)
    assert model.columnCount() == 7
    assert model.headerData(6, Qt.Orientation.Horizontal) == "Phase"
    # The caseload sorts itself (its rows are now in name order), so find rows by pupil.
    assert [row.surname for row in model.rows()] == ["Ashdown", "Brennan", "O'Neill", "Yardley"]
    assert model.index(model.row_of("id-B801200005001") or 0, 6).data() == "Targeted"
    assert model.index(model.row_of("id-C801200005002") or 0, 6).data() == ""


def test_display_and_raw_sort_values() -> None:
    model = CaseloadModel(columns=[])
    model.set_rows(ROWS)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "Name",
        "UPN",
        "Year",
        "SEN",
        "Need",
        "Flags",
    ]
    assert model.index(0, COL_NAME).data() == "Siân O'Neill"
    assert model.index(0, COL_UPN).data() == "B801200005001"
    assert model.index(0, COL_YEAR).data() == "Y8"
    assert model.sort_keys(COL_YEAR)[0][0] == 8
    assert model.index(0, COL_FLAGS).data() == "PP, CP"
    assert model.index(0, COL_FLAGS).data(Qt.ItemDataRole.ToolTipRole) == "Pupil Premium, CP"
    assert model.sort_keys(COL_SEN)[1][0] == 2  # E sorts after K
    # Qt is handed ranks (ints it compares natively): Y8 is second of Y1, Y8, Y10, Y11.
    assert [model.index(r, COL_YEAR).data(SORT_ROLE) for r in range(4)] == [1, 2, 0, 3]
    assert model.index(2, COL_NAME).data() == "Tomás Brennan (archived)"
    assert model.index(3, COL_NAME).data(PUPIL_ID_ROLE) == "id-E801200005004"


def test_proxy_search_terms() -> None:
    model = CaseloadModel(columns=[])
    model.set_rows(ROWS)
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(model)

    def names(text: str) -> list[str]:
        proxy.set_search(text)
        return sorted(proxy.index(r, COL_NAME).data() for r in range(proxy.rowCount()))

    assert names("") == sorted(model.index(r, COL_NAME).data() for r in range(4))
    assert names("sian") == ["Siân O'Neill"]  # accents do not matter
    assert names("ZOË") == ["Zoë Ashdown"]
    assert names("o'neill") == ["Siân O'Neill"]
    assert names("y1") == ["Tomás Brennan (archived)"]  # Y1 only, not Y10 or Y11
    assert names("Year 10") == ["Zoë Ashdown"]
    assert names("y11 noah") == ["Noah Yardley"]
    assert names("c8012") == ["Zoë Ashdown"]  # part of a UPN


def test_proxy_sorts_on_raw_values_and_maps_to_source() -> None:
    model = CaseloadModel(columns=[])
    model.set_rows(ROWS)
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(COL_YEAR, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, COL_YEAR).data() for r in range(4)] == ["Y1", "Y8", "Y10", "Y11"]
    first = proxy.index(0, COL_NAME)
    assert proxy.pupil_id_at(first) == "id-D801200005003"
    assert proxy.proxy_row_of("id-E801200005004") == 3
    proxy.sort(COL_NAME, Qt.SortOrder.AscendingOrder)  # by surname
    assert proxy.index(0, COL_NAME).data() == "Zoë Ashdown"


def test_feature_columns_are_loaded_once_per_refresh_from_the_store(store: Store) -> None:
    pupil = pupils.add_pupil(store, sample_details())
    calls: list[int] = []

    def load(_store: Store, rows: Sequence[CaseloadRow]) -> Mapping[str, object]:
        calls.append(len(rows))
        return {row.pupil_id: len(row.name) for row in rows}

    column = CaseloadColumn("Letters", load=load, sort_key=lambda value: value)
    rows = pupils.caseload(store)
    model = CaseloadModel(columns=[column])
    model.set_rows(rows, load_extra_values(store, rows, model.extra_columns))
    assert calls == [1]
    assert model.index(0, 6).data() == str(len("Zoë O'Neill"))
    assert model.sort_keys(6) == [len("Zoë O'Neill")]
    assert model.index(0, 6).data(SORT_ROLE) == 0  # its rank among one row
    assert model.row_of(pupil.id) == 0


def test_the_sort_holds_across_a_refresh_and_keeps_the_selected_pupil() -> None:
    model = CaseloadModel(columns=[])
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(model)
    model.set_rows(ROWS)
    proxy.sort(COL_YEAR, Qt.SortOrder.DescendingOrder)
    selected = QPersistentModelIndex(model.index(model.row_of("id-D801200005003") or 0, 0))
    proxy.sort(COL_YEAR, Qt.SortOrder.AscendingOrder)
    # The view's selection and current row are persistent indexes: they follow the pupil.
    assert model.row_at(selected.row()).pupil_id == "id-D801200005003"
    assert proxy.proxy_row_of("id-D801200005003") == 0
    model.set_rows(list(reversed(ROWS)))  # a refresh keeps the sort the user chose
    assert [proxy.index(r, COL_YEAR).data() for r in range(4)] == ["Y1", "Y8", "Y10", "Y11"]
    proxy.set_search("zoe")
    assert proxy.pupil_id_at(proxy.index(0, 0)) == "id-C801200005002"
    assert proxy.rowCount() == 1
