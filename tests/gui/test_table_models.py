"""Every table model of the app, filled with real rows, through pytest-qt's model tester.

Each case builds one model from the domain (the demo school, or a fresh store for the import
and handover previews) and checks it with `qtmodeltester`; a kit model is also sorted through
the kit's proxy by every column, both ways, and compared with sorting its rows in Python by
the column's key. The last test walks every QAbstractItemModel subclass defined under ui/,
so a new model without a case here fails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt
from pytestqt.modeltest import ModelTester

import ui
from semh_desktop.attendance import attendance, suspensions
from semh_desktop.attendance.support_windows import windows_for_case
from semh_desktop.closure import closure, questionnaires, sustainability
from semh_desktop.core.clock import FixedClock
from semh_desktop.core.store import Store, open_memory_store
from semh_desktop.exchange import handover
from semh_desktop.exchange.mis_import import attendance as attendance_import
from semh_desktop.graduated import response as gr
from semh_desktop.plans import progress, scaling, targets
from semh_desktop.register import pupils, staff, upn
from semh_desktop.reporting import due, impact_report
from tests.conftest import TODAY
from tests.gui.test_audit_viewer import entries_model, seen_model
from ui.common.table_model import RowsModel, SortProxy
from ui.features.attendance import models as attendance_models
from ui.features.audit.viewer import EntriesModel, SeenModel
from ui.features.closure import models as closure_models
from ui.features.due.due_view import DueModel, DueProxy
from ui.features.graduated import models as graduated_models
from ui.features.graduated.template_editor import (
    ChecklistItemsModel,
    EditablePhase,
    PhasesModel,
)
from ui.features.importing.import_dialog import MappingModel, PlannedModel, ProblemModel
from ui.features.outreach.bundle_dialogs import ConflictModel, PupilOutcomeModel
from ui.features.outreach.export_dialog import PupilChoiceModel, PupilFilter
from ui.features.plans.models import PlanProgressModel, PlanProgressProxy, PlanRow
from ui.features.register.staff_dialog import StaffModel
from ui.features.reporting.models import FiguresModel
from ui.shell.caseload import CaseloadFilterProxy, CaseloadModel

from ..import_helpers import BAD_ROWS, SIMS, preview_file
from ..psp_fixtures import add_targets, make_case
from ..test_closure_domain import due_fixture

Build = Callable[[Store, Path], QAbstractItemModel]
FAST = handover.KdfParams("scrypt", 10, 8, 1)  # tests only: a quick key derivation


def _one(store: Store, sql: str) -> str:
    """The id the query names first (the demo school is the same in every run)."""
    row = store.conn.execute(sql).fetchone()
    assert row is not None, sql
    return str(row[0])


def _busiest(store: Store, table: str, key: str) -> str:
    return _one(
        store, f"SELECT {key} FROM {table} GROUP BY {key} ORDER BY count(*) DESC, {key} LIMIT 1"
    )


def _filled(model: RowsModel[Any], rows: list[Any]) -> RowsModel[Any]:
    model.set_rows(rows)
    return model


def _suspensions(store: Store, _tmp: Path) -> QAbstractItemModel:
    pupil_id = _busiest(store, "suspensions", "pupil_id")
    rows = suspensions.suspensions_for_pupil(store, pupil_id)
    return _filled(attendance_models.SuspensionsModel(), rows)


def _exclusions(store: Store, _tmp: Path) -> QAbstractItemModel:
    # The demo school has one permanent exclusion; a second pupil's, decided, makes two.
    pupil_id = pupils.caseload(store)[1].pupil_id
    added = suspensions.record_exclusion(
        store,
        pupil_id,
        suspensions.ExclusionDetails(exclusion_date=dt.date(2026, 10, 1), reason="assault_adult"),
    )
    suspensions.decide_exclusion(store, added.id, "upheld", dt.date(2026, 10, 12))
    rows = [
        exclusion
        for (pupil_id,) in store.conn.execute("SELECT DISTINCT pupil_id FROM permanent_exclusions")
        for exclusion in suspensions.exclusions_for_pupil(store, pupil_id)
    ]
    return _filled(attendance_models.ExclusionsModel(), rows)


def _attendance(store: Store, _tmp: Path) -> QAbstractItemModel:
    pupil_id = _busiest(store, "attendance_snapshots", "pupil_id")
    rows = attendance.attendance_for_pupil(store, pupil_id)
    return _filled(attendance_models.AttendanceModel(), rows)


def _windows(store: Store, _tmp: Path) -> QAbstractItemModel:
    case_id = _one(store, "SELECT id FROM cases ORDER BY start_date LIMIT 1")
    rows = list(windows_for_case(store, case_id).values())
    return _filled(attendance_models.WindowsModel(), rows)


def _attendance_preview(store: Store, tmp: Path) -> attendance_import.ImportPreview:
    upns = [row.upn for row in pupils.caseload(store)[:2]]
    lines = ["UPN,Start date,Days,Reason"]
    lines += [f"{upn},{day}/11/2026,{days},DB" for upn in upns for day, days in ((16, 1), (9, 2))]
    lines += ["B000000000000,16/11/2026,1,DB", f"{upns[0]},not a date,1,DB"]
    return attendance_import.read_import(store, "\n".join(lines).encode(), file_name="s.csv")


def _import_rows(store: Store, tmp: Path) -> QAbstractItemModel:
    return _filled(attendance_models.ImportRowsModel(), _attendance_preview(store, tmp).rows)


def _import_errors(store: Store, tmp: Path) -> QAbstractItemModel:
    return _filled(attendance_models.ImportErrorsModel(), _attendance_preview(store, tmp).errors)


def _figures(store: Store, _tmp: Path) -> QAbstractItemModel:
    year = impact_report.report_years(store)[0]
    report = impact_report.build_report(store, impact_report.ReportFilters.for_year(year))
    return _filled(FiguresModel(), impact_report.report_figures(report))


def _closed_case(store: Store) -> str:
    """The case with most sustainability actions once the Due list's fixture has added some."""
    due_fixture(store)
    return _busiest(store, "sustainability_actions", "case_id")


def _actions(store: Store, _tmp: Path) -> QAbstractItemModel:
    columns = closure_models.action_columns(lambda _target: "—", store.clock.today)
    rows = sustainability.actions_for_case(store, _closed_case(store))
    return _filled(closure_models.RecordsModel(columns), rows)


def _signposts(store: Store, _tmp: Path) -> QAbstractItemModel:
    case_id = _closed_case(store)
    for service, contact in (("Seaview Family Hub", "01632 960 418"), ("Young carers", "")):
        sustainability.add_signpost(
            store, case_id, sustainability.SignpostDetails(service, contact, "Tuesdays")
        )
    rows = sustainability.signposts_for_case(store, case_id)
    return _filled(closure_models.RecordsModel(closure_models.SIGNPOST_COLUMNS), rows)


def _follow_ups(store: Store, _tmp: Path) -> QAbstractItemModel:
    columns = closure_models.follow_up_columns(store.clock.today)
    due_fixture(store)
    rows = sustainability.follow_ups_for_case(store, _busiest(store, "follow_ups", "case_id"))
    return _filled(closure_models.RecordsModel(columns), rows)


def _questionnaires(store: Store, _tmp: Path) -> QAbstractItemModel:
    case_id = _busiest(store, "questionnaires", "case_id")
    rows = questionnaires.questionnaires_for_case(store, case_id)
    return _filled(closure_models.RecordsModel(closure_models.QUESTIONNAIRE_COLUMNS), rows)


def _history(store: Store, _tmp: Path) -> QAbstractItemModel:
    due_fixture(store)  # adds closed cases to the demo school's open ones
    rows = [
        closure_models.HistoryRow(entry)
        for (pupil_id,) in store.conn.execute("SELECT DISTINCT pupil_id FROM cases")
        for entry in closure.case_history(store, pupil_id)
    ]
    return _filled(closure_models.RecordsModel(closure_models.HISTORY_COLUMNS), rows)


def _plan_rows(store: Store, _tmp: Path) -> QAbstractItemModel:
    case_id = _busiest(store, "targets", "case_id")
    rows = []
    for item in progress.case_progress(store, case_id):
        found = scaling.latest_spread(
            store,
            case_id,
            target_id=item.item_id if item.item == "target" else None,
            aim_id=item.item_id if item.item == "aim" else None,
        )
        rows.append(
            PlanRow(item, found[1] if found else None, found[0].point.label if found else "")
        )
    return _filled(PlanProgressModel(), rows)


def _phase_history(store: Store, _tmp: Path) -> QAbstractItemModel:
    pupil_id = _busiest(store, "gr_phase_changes", "pupil_id")
    return _filled(graduated_models.PhaseHistoryModel(), gr.phase_history(store, pupil_id))


def _apdr(store: Store, _tmp: Path) -> QAbstractItemModel:
    pupil_id = _busiest(store, "apdr_cycles", "pupil_id")
    return _filled(graduated_models.ApdrCycleModel(), gr.load(store, pupil_id).cycles)


def _item_history(store: Store, _tmp: Path) -> QAbstractItemModel:
    pupil_id, item_id = store.conn.execute(
        "SELECT pupil_id, item_id FROM gr_item_answers GROUP BY pupil_id, item_id "
        "ORDER BY count(*) DESC, pupil_id, item_id LIMIT 1"
    ).fetchone()
    return _filled(graduated_models.ItemHistoryModel(), gr.item_history(store, pupil_id, item_id))


def _due(store: Store, _tmp: Path) -> QAbstractItemModel:
    due_fixture(store)
    return _filled(DueModel(), due.due_items(store))


def _caseload(store: Store, _tmp: Path) -> QAbstractItemModel:
    model = CaseloadModel(columns=[])
    model.set_rows(pupils.caseload(store, whole_register=True, include_archived=True))
    return model


def _pupil_choice(store: Store, _tmp: Path) -> QAbstractItemModel:
    model = PupilChoiceModel()
    rows = pupils.caseload(store, whole_register=True)
    model.set_rows(rows, {rows[0].pupil_id, rows[3].pupil_id})
    return model


def _staff(store: Store, _tmp: Path) -> QAbstractItemModel:
    return _filled(StaffModel(), staff.list_staff(store))


def _mapping(store: Store, _tmp: Path) -> QAbstractItemModel:
    model = MappingModel()
    model.set_rows([("UPN", 30, "upn"), ("Surname", 29, "legal_surname"), ("", 0, "")])
    model.set_field(2, "year_group")
    return model


def _planned(store: Store, _tmp: Path) -> QAbstractItemModel:
    return _filled(PlannedModel(), preview_file(store, SIMS).new)


def _problems(store: Store, _tmp: Path) -> QAbstractItemModel:
    preview = preview_file(store, BAD_ROWS)
    return _filled(ProblemModel(), [*preview.errors, *preview.warnings])


def _bundle(store: Store, tmp: Path) -> handover.ImportPreview:
    """A bundle from an outreach worker with two pupils, one the school already has."""
    sender = open_memory_store(FixedClock(TODAY))
    sender.staff_id = staff.add_staff(sender, "Outreach worker", "senco").id
    first = make_case(sender, upn="C801200013999")
    both_edit = add_targets(sender, first)[:2]  # two conflicts: each edited on both sides
    second = make_case(
        sender, upn=upn.check_letter("801200014999") + "801200014999", legal_surname="Ashdown"
    )
    path = tmp / "first.semhbundle"
    handover.export_bundle(sender, [first.pupil_id], path, "a passphrase", kdf=FAST)
    handover.import_bundle(store, path, "a passphrase")
    for target in both_edit:
        for side, words in ((sender, "Theirs: walk in"), (store, "Mine: meet at the gate")):
            current = targets.get_target(side, target.id)
            targets.edit_target(
                side, target.id, dataclasses.replace(current.wording, pupil_actions=words)
            )
    path = tmp / "second.semhbundle"
    ids = [first.pupil_id, second.pupil_id]
    handover.export_bundle(sender, ids, path, "a passphrase", kdf=FAST)
    bundle = handover.read_bundle(path, "a passphrase")
    return handover.preview_import(store, bundle)


def _outcomes(store: Store, tmp: Path) -> QAbstractItemModel:
    return _filled(PupilOutcomeModel(), _bundle(store, tmp).pupils)


def _conflicts(store: Store, tmp: Path) -> QAbstractItemModel:
    model = ConflictModel()
    model.set_rows(_bundle(store, tmp).conflicts)
    model.choose([0], handover.MINE)
    return model


def _phases(store: Store, _tmp: Path) -> QAbstractItemModel:
    model = PhasesModel()
    model.set_rows(_editable_phases(store))
    return model


def _checklist(store: Store, _tmp: Path) -> QAbstractItemModel:
    model = ChecklistItemsModel()
    items = [item for phase in _editable_phases(store) for item in phase.items]
    model.set_rows(items, {items[0].id})
    return model


def _editable_phases(store: Store) -> list[EditablePhase]:
    template = gr.load(store, pupils.caseload(store)[0].pupil_id).template.template
    return [
        EditablePhase(phase.id, phase.name, phase.description, list(phase.items))
        for phase in template.phases
    ]


def _proxied(build: Build, proxy_class: type[SortProxy]) -> Build:
    def proxied(store: Store, tmp: Path) -> QAbstractItemModel:
        proxy = proxy_class()
        proxy.setSourceModel(build(store, tmp))
        proxy.sort(0, Qt.SortOrder.AscendingOrder)
        return proxy

    return proxied


def _searched(store: Store, tmp: Path) -> QAbstractItemModel:
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(_caseload(store, tmp))
    proxy.sort(0, Qt.SortOrder.DescendingOrder)
    proxy.set_search("y8")
    assert 0 < proxy.rowCount() < proxy.sourceModel().rowCount()
    return proxy


def _choice_searched(store: Store, tmp: Path) -> QAbstractItemModel:
    proxy = PupilFilter()
    proxy.setSourceModel(_pupil_choice(store, tmp))
    proxy.set_needle("y9")
    assert 0 < proxy.rowCount() < proxy.sourceModel().rowCount()
    return proxy


# Each model class of the app, and how to fill it with real rows.
CASES: dict[type[QAbstractItemModel], Build] = {
    attendance_models.SuspensionsModel: _suspensions,
    attendance_models.ExclusionsModel: _exclusions,
    attendance_models.AttendanceModel: _attendance,
    attendance_models.WindowsModel: _windows,
    attendance_models.ImportRowsModel: _import_rows,
    attendance_models.ImportErrorsModel: _import_errors,
    FiguresModel: _figures,
    closure_models.RecordsModel: _actions,
    PlanProgressModel: _plan_rows,
    graduated_models.PhaseHistoryModel: _phase_history,
    graduated_models.ApdrCycleModel: _apdr,
    graduated_models.ItemHistoryModel: _item_history,
    DueModel: _due,
    CaseloadModel: _caseload,
    PupilChoiceModel: _pupil_choice,
    StaffModel: _staff,
    EntriesModel: entries_model,
    SeenModel: seen_model,
    MappingModel: _mapping,
    PlannedModel: _planned,
    ProblemModel: _problems,
    PupilOutcomeModel: _outcomes,
    ConflictModel: _conflicts,
    PhasesModel: _phases,
    ChecklistItemsModel: _checklist,
    SortProxy: _proxied(_suspensions, SortProxy),
    PlanProgressProxy: _proxied(_plan_rows, PlanProgressProxy),
    DueProxy: _proxied(_due, DueProxy),
    CaseloadFilterProxy: _searched,
    PupilFilter: _choice_searched,
}
# The closure tab's other tables share its RecordsModel class: each is checked too.
EXTRA_CASES: dict[str, Build] = {
    "closure signposting": _signposts,
    "closure follow-ups": _follow_ups,
    "closure questionnaires": _questionnaires,
    "closure history": _history,
}
ALL_CASES = {**{cls.__name__: build for cls, build in CASES.items()}, **EXTRA_CASES}


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    return tmp_path


def _source_rows(proxy: SortProxy, model: RowsModel[Any]) -> list[Any]:
    return [
        model.row_at(proxy.mapToSource(proxy.index(r, 0)).row()) for r in range(proxy.rowCount())
    ]


@pytest.mark.parametrize("name", list(ALL_CASES))
def test_every_table_model_passes_the_model_tester_and_sorts_by_its_keys(
    name: str, school: Store, tmp: Path, qtmodeltester: ModelTester, qapp: object
) -> None:
    # `qapp` first: some builders make the widget that fills their model.
    model = ALL_CASES[name](school, tmp)
    assert model.rowCount() >= 2, "fill it with at least two real rows"
    qtmodeltester.check(model)
    if not isinstance(model, RowsModel):
        return
    proxy = SortProxy()
    proxy.setSourceModel(model)
    for column, spec in enumerate(model.columns):
        keys = model.sort_keys(column)
        key_of = {id(row): key for row, key in zip(model.rows(), keys, strict=True)}
        for order, reverse in (
            (Qt.SortOrder.AscendingOrder, False),
            (Qt.SortOrder.DescendingOrder, True),
        ):
            proxy.sort(column, order)
            shown = [key_of[id(row)] for row in _source_rows(proxy, model)]
            assert shown == sorted(keys, reverse=reverse), f"{spec.title} {order.name}"


def _models_defined_under_ui() -> Iterator[type[QAbstractItemModel]]:
    for info in pkgutil.walk_packages(ui.__path__, "ui."):
        importlib.import_module(info.name)
    seen: set[type] = set()
    pending: list[type] = [QAbstractItemModel]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                pending.append(sub)
    for cls in seen:
        if cls.__module__.startswith("ui."):
            yield cls


def test_every_model_class_under_ui_has_a_case() -> None:
    missing = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _models_defined_under_ui()
        if cls not in CASES and cls is not RowsModel  # the base: every kit case checks it
    )
    assert missing == []


def test_a_sort_key_check_can_fail(school: Store, tmp: Path) -> None:
    """The sort comparison above sees a wrong order: a column whose ranks lie is caught."""
    model = _suspensions(school, tmp)
    assert isinstance(model, RowsModel)
    proxy = SortProxy()
    proxy.setSourceModel(model)
    keys = model.sort_keys(0)
    model._ranks[0] = [-rank for rank in model.sort_ranks(0)]  # a broken ranking
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    key_of = {id(row): key for row, key in zip(model.rows(), keys, strict=True)}
    shown = [key_of[id(row)] for row in _source_rows(proxy, model)]
    assert len(set(keys)) > 1 and shown != sorted(keys)
