"""Features that add menu or toolbar actions to the main window register here.

An extension is a function `install(window: MainWindow) -> None`, called once at the end of
`MainWindow.__init__`. It uses the window's public surface:

    window.menu("File")                    # the QMenu called "File" (created if new)
    window.toolbar                         # the main QToolBar
    window.add_action("File", "Import pupils…", slot, shortcut="Ctrl+I",
                      needs_edit=True)     # enabled only while unlocked (and by the rules)
    window.add_pupil_action("Pupil", "Print PSP…", lambda pupil: ...)  # needs a pupil open
    window.store, window.current_pupil, window.refresh_caseload(), window.run_guarded(work)
    window.locked_changed / window.pupil_opened signals

Anything a feature shows outside the pupil tabs (a dock, a panel) must hide or clear its
pupil data on `locked_changed(True)`: the lock screen covers only the central area.

Register a feature with one import and one append at the end of this file (as with
`ui.pupil_tabs.PUPIL_TABS`); the feature imports `MainWindow` only under TYPE_CHECKING.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ui.shell.main_window import MainWindow

WINDOW_EXTENSIONS: list[Callable[[MainWindow], None]] = []

from ui.features.importing.import_dialog import install_import_action  # noqa: E402 - features register below

WINDOW_EXTENSIONS.append(install_import_action)

from ui.features.graduated.template_editor import install_actions as install_template_editor  # noqa: E402

WINDOW_EXTENSIONS.append(install_template_editor)

from ui.shell.meeting_mode import install as install_meeting_mode  # noqa: E402

WINDOW_EXTENSIONS.append(install_meeting_mode)

from ui.features.due.due_view import install_due_view  # noqa: E402

WINDOW_EXTENSIONS.append(install_due_view)

from ui.features.attendance.import_dialog import install_attendance_import  # noqa: E402
from ui.features.reporting.reports_view import install_reports  # noqa: E402

WINDOW_EXTENSIONS.append(install_attendance_import)
WINDOW_EXTENSIONS.append(install_reports)

from ui.features.outreach.export_dialog import install_outreach_actions  # noqa: E402

WINDOW_EXTENSIONS.append(install_outreach_actions)
