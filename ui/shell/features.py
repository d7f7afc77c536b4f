"""The one registry of features: the pupil tabs, the window's actions and the caseload columns.

Adding a feature is one line in a list here; nothing registers itself as a side effect of
being imported, and features never import each other or the shell at run time.

- A pupil tab is a `ui.common.pupil_tab.PupilTab` subclass; the tabs show in this order.
- A window action is `install(window) -> handle | None`, called once when the main window is
  built. It uses the window's public surface (`window.menu("File")`, `window.toolbar`,
  `window.add_action(...)`, `window.add_pupil_action(...)`, `window.store`, the
  `locked_changed` and `pupil_opened` signals). A handle it returns (a dock and its action,
  say) is found again with `window.feature(HandleType)`. Anything shown outside the pupil tabs
  must hide or clear its pupil data on `locked_changed(True)`: the lock screen covers only
  the central area.
- A caseload column is a `ui.common.caseload_column.CaseloadColumn`; columns follow the base
  columns in this order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ui.common.caseload_column import CaseloadColumn
from ui.common.pupil_tab import PupilTab
from ui.features.attendance.import_dialog import install_attendance_import
from ui.features.attendance.tab import AttendanceTab
from ui.features.audit.banner import install_chain_check
from ui.features.audit.viewer import install_audit_viewer
from ui.features.closure.tab import ClosureTab
from ui.features.due.due_view import install_due_view
from ui.features.graduated import tab as graduated_tab
from ui.features.graduated.template_editor import install_actions as install_template_editor
from ui.features.importing.import_dialog import install_import_action
from ui.features.outreach.export_dialog import install_outreach_actions
from ui.features.plans.tab import PspTab
from ui.features.register.profile_tab import ProfileTab
from ui.features.reporting.reports_view import install_reports

if TYPE_CHECKING:
    from ui.shell.main_window import MainWindow

PUPIL_TABS: tuple[type[PupilTab], ...] = (
    ProfileTab,
    graduated_tab.GraduatedResponseTab,
    PspTab,
    ClosureTab,
    AttendanceTab,
)

WINDOW_ACTIONS: tuple[Callable[[MainWindow], object], ...] = (
    install_import_action,
    install_template_editor,
    install_due_view,
    install_attendance_import,
    install_reports,
    install_outreach_actions,
    install_audit_viewer,
    install_chain_check,
)

CASELOAD_COLUMNS: tuple[CaseloadColumn, ...] = (*graduated_tab.CASELOAD_COLUMNS,)
