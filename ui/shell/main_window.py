"""The main window: the caseload on the left, the selected pupil's tabs on the right.

Features (pupil tabs, window actions, caseload columns) are listed in `ui/shell/features.py`.

Locking (Ctrl+L or the idle timer) hides every other window and dialog of the app (an open
dialog's typed content is kept as a draft sealed to the person signed in: ui/common/drafts.py),
swaps the whole central area for the sign-in screen, clears every tab, empties the caseload
model and closes the database. Signing in again reopens it; the same person is put back on the
same pupil and tab, and gets their dialogs back.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import QByteArray, QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QFont,
    QFontMetrics,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.changes import Changes
from semh_desktop.core.dates import age_on, format_date
from semh_desktop.core.errors import SemhError, SignInRefused
from semh_desktop.core.store import Store
from semh_desktop.register import access, audit, pupils, sign_in, staff
from semh_desktop.register.pupils import Pupil, year_group_label
from ui.common import drafts, operations, settings, theme
from ui.common.pupil_tab import PupilTab
from ui.common.table_view import Resize, configure_records_view
from ui.common.widgets import ChipRow
from ui.features.register.profile_tab import ProfileTab
from ui.features.register.pupil_dialog import PupilDialog
from ui.features.register.staff_dialog import StaffActions, StaffProfilesDialog, StaffRow
from ui.shell import features, meeting_mode
from ui.shell.caseload import (
    COL_FLAGS,
    COL_NAME,
    COL_NEED,
    COL_SEN,
    COL_UPN,
    COL_YEAR,
    CaseloadFilterProxy,
    CaseloadModel,
    load_extra_values,
)
from ui.shell.lock import (
    IdleWatcher,
    LockKey,
    NewPassphraseDialog,
    SignInGate,
    SignInPage,
    SlotGate,
)

T = TypeVar("T")

MENU_NAMES = ("&File", "&Pupil", "&View", "&Settings", "&Help")
KEY_MODE_WORDS = {
    "keyring": "Key: system keyring",
    "passphrase": "Key: passphrase",
    "slots": "Key: personal passphrases",
    "memory": "In memory (not saved)",
}
SEARCH_SETTLES_MS = 1000  # a search is audited once typing has stopped this long
_UPN = re.compile(r"^[A-Za-z]\d{11}[A-Za-z0-9]$")
_YEAR = re.compile(r"^(y|year)\s*\d{1,2}$", re.IGNORECASE)


def search_kind(text: str) -> str:
    """What kind of search this is, for the audit trail (never the text, which may be a name)."""
    terms = text.split()
    if not terms:
        return "none"
    if len(terms) == 1 and _UPN.match(terms[0]):
        return "upn"
    if _YEAR.match(" ".join(terms)):
        return "year"
    return "name or text"


@dataclass
class _ActionRule:
    needs_pupil: bool = False
    needs_edit: bool = False
    when_locked: bool = False  # Quit, Lock, About stay usable on the lock screen
    enabled_if: Callable[[], bool] | None = None
    permission: str | None = None  # semh_desktop.register.access permission it needs


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Ask a yes/no question (tests patch QMessageBox.question)."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class MainWindow(QMainWindow):
    locked_changed = Signal(bool)
    pupil_opened = Signal(object)  # the Pupil now shown, or None when the pane is cleared

    def __init__(
        self,
        store: Store,
        *,
        gate: SignInGate | None = None,
        demo: bool = False,
        idle_minutes: int | None = None,
        idle_ms: int | None = None,
        start_locked: bool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """Open the window on `store` (open and signed in, or closed: then it starts locked).

        `gate` signs people in and locks (default: the key slots beside the database file);
        `start_locked` defaults to True when nobody is signed in yet; `idle_ms` overrides the
        idle lock interval (tests), otherwise `idle_minutes` or the setting.
        """
        super().__init__(parent)
        self.store = store
        self.gate: SignInGate = gate if gate is not None else SlotGate(store)
        self.demo = demo
        self._locked = False
        self._locked_by: str | None = None  # who was signed in when the window locked
        self._resume_at: tuple[str | None, int] = (None, 0)  # their pupil and tab
        self._current: Pupil | None = None
        self._restoring_selection = False
        self._rules: dict[QAction, _ActionRule] = {}
        self._menus: dict[str, QMenu] = {}
        self._idle_override = idle_ms
        # Before the tabs subscribe: the window first drops a pupil no longer listed, so the
        # tabs do not re-read a pupil about to be cleared.
        operations.broadcast_for(store).changed.connect(self._on_changes)
        self.setObjectName("mainWindow")
        self.setWindowTitle(self._title())
        self.setWindowIcon(theme.icon("app"))

        self._build_caseload_pane()
        self._build_detail_pane()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(10)
        self.splitter.addWidget(self.caseload_pane)
        self.splitter.addWidget(self.detail_pane)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([740, 600])
        main_page = QWidget()
        main_page.setObjectName("mainPage")
        main_layout = QVBoxLayout(main_page)
        main_layout.setContentsMargins(10, 10, 10, 10)
        main_layout.addWidget(self.splitter)

        self.unlock_page = SignInPage()
        self.unlock_page.sign_in_requested.connect(self._on_sign_in_requested)
        self.unlock_page.recovery_requested.connect(self._on_recovery_requested)
        self.stack = QStackedWidget()
        self.stack.setObjectName("centralStack")
        self.stack.addWidget(main_page)
        self.stack.addWidget(self.unlock_page)
        self.main_page = main_page

        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        self.demo_banner = self._build_demo_banner()
        central_layout.addWidget(self.demo_banner)
        self.demo_banner.setVisible(demo)
        central_layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_actions()
        self._build_status_bar()
        self._build_tabs()

        minutes = idle_minutes if idle_minutes is not None else settings.idle_minutes()
        self.idle = IdleWatcher(idle_ms if idle_ms is not None else minutes * 60_000, self)
        self.idle.idle.connect(self.lock)

        chain: list[QWidget] = [
            self.register_button,
            self.whole_school_button,
            self.search_edit,
            self.table,
            self.tabs,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

        self._restore_layout()
        self.meeting_mode_action = meeting_mode.install(self)
        self._features: dict[type, object] = {}
        for install in features.WINDOW_ACTIONS:
            handle = install(self)
            if handle is not None:
                self._features[type(handle)] = handle

        if start_locked is None:
            start_locked = store.staff_id is None or not store.is_open
        if start_locked:
            if store.is_open:
                self._lock_store()
            self._show_unlock_page(first=True)
        else:
            self._enter_unlocked()

    # ---------------------------------------------------------------- building

    def _title(self) -> str:
        name = self.store.path.name if self.store.path else "in memory"
        return f"SEMH Desktop — {name}" + (" — demo school" if self.demo else "")

    def add_banner(self, banner: QWidget) -> None:
        """Show a strip across the top of the window (above the lock screen and the panes)."""
        central = self.centralWidget()
        layout = central.layout() if central is not None else None
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(0, banner)

    def _build_demo_banner(self) -> QFrame:
        banner = QFrame()
        banner.setObjectName("demoBanner")
        label = QLabel("Demo school — fictional data. Nothing here is about a real child.")
        label.setObjectName("demoBannerText")
        label.setAccessibleName("Demo school — fictional data")
        layout = QHBoxLayout(banner)
        layout.setContentsMargins(14, 6, 14, 6)
        layout.addWidget(label)
        layout.addStretch(1)
        return banner

    def _build_caseload_pane(self) -> None:
        pane = QFrame()
        pane.setObjectName("caseloadPane")
        pane.setMinimumWidth(420)
        self.caseload_heading = QLabel("Caseload")
        theme.set_role(self.caseload_heading, "heading")
        self.count_label = QLabel()
        self.count_label.setObjectName("caseloadCount")
        theme.set_role(self.count_label, "muted")

        self.register_button = QToolButton()
        self.whole_school_button = QToolButton()
        for button, position in (
            (self.register_button, "first"),
            (self.whole_school_button, "last"),
        ):
            theme.set_role(button, "segment", position=position)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("caseloadSearch")
        self.search_edit.setPlaceholderText("Search by name, UPN or year (e.g. Y8)")
        self.search_edit.setAccessibleName("Search the caseload")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.addAction(theme.icon("search"), QLineEdit.ActionPosition.LeadingPosition)

        self.model = CaseloadModel(features.CASELOAD_COLUMNS, parent=self)
        self.proxy = CaseloadFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.search_edit.textChanged.connect(self._on_search)
        self._search_settled = QTimer(self)
        self._search_settled.setSingleShot(True)
        self._search_settled.setInterval(SEARCH_SETTLES_MS)
        self._search_settled.timeout.connect(self._audit_search)

        table = QTableView()
        table.setObjectName("caseloadTable")
        table.setModel(self.proxy)
        configure_records_view(
            table, "Caseload", sort_column=COL_NAME, resize=Resize.Interactive, word_wrap=False
        )
        table.setShowGrid(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 12)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setMinimumSectionSize(40)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._show_column_menu)
        self.table = table
        self._size_columns()
        # Selection, not the current index: focusing the table sets a current row by itself,
        # and that must not open (and audit) a pupil nobody chose.
        table.selectionModel().selectionChanged.connect(self._on_selection_changed)

        top = QHBoxLayout()
        top.addWidget(self.caseload_heading)
        top.addStretch(1)
        top.addWidget(self.count_label)
        segments = QHBoxLayout()
        segments.setSpacing(0)
        segments.addWidget(self.register_button)
        segments.addWidget(self.whole_school_button)
        segments.addStretch(1)
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addLayout(segments)
        layout.addWidget(self.search_edit)
        layout.addWidget(table, 1)
        self.caseload_pane = pane

    def _size_columns(self) -> None:
        """Set widths from the font, so that nothing is cut off.

        UPN starts hidden (the pupil pane shows it and search still finds it); people can
        show or hide any column.
        """
        metrics = self.table.fontMetrics()
        bold = QFont(self.table.font())
        bold.setBold(True)
        header_metrics = QFontMetrics(bold)
        samples = {
            COL_NAME: "Mohammed Holloway",
            COL_UPN: "W873412724073",
            COL_YEAR: "Y10",
            COL_SEN: "E",
            COL_NEED: "SEMH",
            COL_FLAGS: "PP, PEX risk",
        }
        for column in range(self.model.columnCount()):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            sample = samples.get(column, "Targeted plus")
            width = max(
                metrics.horizontalAdvance(sample) + 22, header_metrics.horizontalAdvance(title) + 30
            )
            self.table.setColumnWidth(column, min(width, 220))
        self.table.horizontalHeader().setSectionHidden(COL_UPN, True)

    def _build_column_actions(self) -> None:
        """Add one checkable action per column except Name.

        They sit in View > Caseload columns and on a right-click of the table header.
        """
        header = self.table.horizontalHeader()
        self.column_menu = QMenu("Caseload &columns", self)
        self.column_actions: list[QAction] = []
        for column in range(1, self.model.columnCount()):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            action = QAction(title, self)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.toggled.connect(lambda shown, c=column: header.setSectionHidden(c, not shown))
            self.column_menu.addAction(action)
            self.column_actions.append(action)
        self.menu("View").addMenu(self.column_menu)

    def _sync_column_actions(self) -> None:
        header = self.table.horizontalHeader()
        for column, action in enumerate(self.column_actions, start=1):
            action.blockSignals(True)
            action.setChecked(not header.isSectionHidden(column))
            action.blockSignals(False)

    def _show_column_menu(self, position: QPoint) -> None:
        self._sync_column_actions()
        self.column_menu.exec(self.table.horizontalHeader().mapToGlobal(position))

    def _build_detail_pane(self) -> None:
        pane = QFrame()
        pane.setObjectName("detailPane")
        pane.setMinimumWidth(460)
        self.detail_stack = QStackedWidget()

        empty = QWidget()
        empty.setObjectName("emptyPage")
        icon_label = QLabel()
        icon_label.setPixmap(theme.icon("person").pixmap(64, 64))
        icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label = QLabel("Choose a pupil from the caseload, or add one with Ctrl+N")
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(2)
        empty_layout.addWidget(icon_label)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addStretch(3)
        self.empty_page = empty

        detail = QWidget()
        detail.setObjectName("pupilPage")
        self.pupil_name = QLabel()
        self.pupil_name.setObjectName("pupilName")
        self.pupil_name.setTextFormat(Qt.TextFormat.PlainText)  # a name as typed, not markup
        self.pupil_name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pupil_subtitle = QLabel()
        self.pupil_subtitle.setObjectName("pupilSubtitle")
        self.pupil_subtitle.setTextFormat(Qt.TextFormat.PlainText)
        self.pupil_subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chips = ChipRow()
        self.chips.setObjectName("pupilFlags")
        self.chips.setAccessibleName("Vulnerability flags")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("pupilTabs")
        self.tabs.setAccessibleName("Pupil record")
        self.tabs.setDocumentMode(True)
        header = QVBoxLayout()
        header.setContentsMargins(16, 14, 16, 8)
        header.setSpacing(4)
        header.addWidget(self.pupil_name)
        header.addWidget(self.pupil_subtitle)
        header.addSpacing(4)
        header.addWidget(self.chips)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.setSpacing(6)
        detail_layout.addLayout(header)
        detail_layout.addWidget(self.tabs, 1)
        self.pupil_page = detail

        self.detail_stack.addWidget(empty)
        self.detail_stack.addWidget(detail)
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.detail_stack)
        self.detail_pane = pane

    def _build_tabs(self) -> None:
        self.pupil_tabs: list[PupilTab] = [tab(self.store, self) for tab in features.PUPIL_TABS]
        profile = self.pupil_tabs[0]
        assert isinstance(profile, ProfileTab), "the Profile tab comes first (features.py)"
        self.profile_tab = profile
        self.profile_tab.set_actions(self.edit_action, self.archive_action, self.restore_action)
        for tab in self.pupil_tabs:
            self.tabs.addTab(tab, tab.title)

    def _build_actions(self) -> None:
        self.toolbar = QToolBar("Main toolbar")
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        for name in MENU_NAMES:
            self._menus[name.replace("&", "")] = self.menuBar().addMenu(name)

        self.new_pupil_action = self.add_action(
            "File",
            "&New pupil…",
            self.new_pupil,
            shortcut=QKeySequence.StandardKey.New,
            icon=theme.icon("add-pupil"),
            toolbar=True,
            needs_edit=True,
            tip="Add a pupil to the register (Ctrl+N)",
        )
        self.menu("File").addSeparator()
        self.lock_action = self.add_action(
            "File",
            "&Lock",
            self.lock,
            shortcut="Ctrl+L",
            icon=theme.icon("lock"),
            tip="Hide every pupil detail until you sign in again (Ctrl+L)",
        )
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        # ... and while a modal dialog blocks that shortcut, the same key still locks.
        self.lock_key = LockKey(QKeySequence("Ctrl+L"), self)
        self.lock_key.pressed.connect(self.lock)
        self._rules[self.lock_action].enabled_if = lambda: not self._locked
        self._rules[self.lock_action].when_locked = True
        self.menu("File").addSeparator()
        self.quit_action = self.add_action(
            "File", "&Quit", self.close, shortcut=QKeySequence.StandardKey.Quit, when_locked=True
        )

        self.edit_action = self.add_action(
            "Pupil",
            "&Edit details…",
            self.edit_current,
            shortcut="Ctrl+E",
            icon=theme.icon("edit"),
            toolbar=True,
            needs_pupil=True,
            needs_edit=True,
            tip="Edit the selected pupil's details (Ctrl+E)",
        )
        self.archive_action = self.add_action(
            "Pupil",
            "&Archive…",
            self.archive_current,
            icon=theme.icon("archive"),
            toolbar=True,
            needs_pupil=True,
            needs_edit=True,
            tip="Archive the selected pupil (records are kept)",
        )
        self._rules[self.archive_action].enabled_if = lambda: (
            self._current is not None and not self._current.archived_at
        )
        self.restore_action = self.add_action(
            "Pupil",
            "&Restore from archive",
            self.restore_current,
            needs_pupil=True,
            needs_edit=True,
        )
        self._rules[self.restore_action].enabled_if = lambda: (
            self._current is not None and bool(self._current.archived_at)
        )

        # Toolbar: Lock sits at the far right, apart from the pupil actions.
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._toolbar_spacer = self.toolbar.addWidget(spacer)
        self.toolbar.addAction(self.lock_action)

        self.scope_group = QActionGroup(self)
        self.register_action = self.add_action(
            "View", "SEMH &register", lambda: self._scope_changed("register"), shortcut="Ctrl+1"
        )
        self.whole_school_action = self.add_action(
            "View",
            "&Whole school",
            lambda: self._scope_changed("whole school"),
            shortcut="Ctrl+2",
        )
        for action in (self.register_action, self.whole_school_action):
            action.setCheckable(True)
            self.scope_group.addAction(action)
        self.register_action.setChecked(True)
        self.register_button.setDefaultAction(self.register_action)
        self.whole_school_button.setDefaultAction(self.whole_school_action)
        self.register_button.setText("SEMH register")
        self.whole_school_button.setText("Whole school")
        self.register_button.setAccessibleName("Show the SEMH register")
        self.whole_school_button.setAccessibleName("Show the whole school")
        self.menu("View").addSeparator()
        self.show_archived_action = self.add_action(
            "View", "Show &archived pupils", lambda: self._scope_changed("archived shown")
        )
        self.show_archived_action.setCheckable(True)
        self.menu("View").addSeparator()
        self.find_action = self.add_action(
            "View", "&Find in caseload", self._focus_search, shortcut=QKeySequence.StandardKey.Find
        )
        self._build_column_actions()

        self.idle_action = self.add_action(
            "Settings", "&Idle lock minutes…", self.choose_idle_minutes
        )
        self.change_passphrase_action = self.add_action(
            "Settings", "&Change my passphrase…", self.change_my_passphrase
        )
        self.staff_action = self.add_action(
            "Settings", "&Staff profiles…", self.show_staff_profiles, permission="staff"
        )

        self.about_action = self.add_action(
            "Help", "&About SEMH Desktop", self.show_about, when_locked=True
        )

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(True)
        self.db_label = QLabel(self.store.path.name if self.store.path else "in memory")
        self.db_label.setObjectName("statusDatabase")
        self.db_label.setToolTip(str(self.store.path or ""))
        self.staff_label = QLabel()
        self.staff_label.setObjectName("statusStaff")
        self.key_label = QLabel(KEY_MODE_WORDS.get(self.store.key_mode, self.store.key_mode))
        self.key_label.setObjectName("statusKeyMode")
        for label in (self.db_label, self.staff_label, self.key_label):
            bar.addPermanentWidget(label)

    # ---------------------------------------------------------------- public surface

    def menu(self, name: str) -> QMenu:
        """The top-level menu called `name` ("File", "Pupil", ...), created before Help if new."""
        plain = name.replace("&", "")
        if plain not in self._menus:
            help_menu = self._menus.get("Help")
            created = QMenu(name, self)
            if help_menu is not None:
                self.menuBar().insertMenu(help_menu.menuAction(), created)
            else:
                self.menuBar().addMenu(created)
            self._menus[plain] = created
        return self._menus[plain]

    def add_action(
        self,
        menu: str,
        text: str,
        slot: Callable[[], object],
        *,
        shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None,
        icon: QIcon | None = None,
        toolbar: bool = False,
        needs_pupil: bool = False,
        needs_edit: bool = False,
        when_locked: bool = False,
        tip: str = "",
        permission: str | None = None,
    ) -> QAction:
        """Add an action to a menu (and optionally the toolbar) with its enabling rules.

        Every action is disabled while the window is locked unless `when_locked`;
        `needs_pupil` needs a pupil open; `needs_edit` needs a profile that may change records
        (the "casework" permission); `permission` names any other permission it needs
        ("export", "print", "staff", ...; see semh_desktop.register.access). The domain checks
        again whatever the window shows.
        """
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(icon)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.menu(menu).addAction(action)
        if toolbar:
            # Feature actions go with the pupil actions; Lock stays alone at the far right.
            spacer = getattr(self, "_toolbar_spacer", None)
            if spacer is not None:
                self.toolbar.insertAction(spacer, action)
            else:
                self.toolbar.addAction(action)
            button = self.toolbar.widgetForAction(action)
            if button is not None:
                button.setAccessibleName(text.replace("&", "").rstrip("…"))
        self._rules[action] = _ActionRule(
            needs_pupil, needs_edit, when_locked, permission=permission
        )
        self._update_actions()
        return action

    def add_pupil_action(
        self, menu: str, text: str, slot: Callable[[Pupil], object], **options: object
    ) -> QAction:
        """Like add_action, for work on the open pupil: `slot` receives it."""

        def run() -> None:
            current = self._current
            if current is not None:
                operations.run_write(self, self.store, lambda: slot(current))

        return self.add_action(menu, text, run, needs_pupil=True, **options)  # type: ignore[arg-type]

    def feature(self, kind: type[T]) -> T:
        """The handle a window action of `ui/shell/features.py` returned (a dock, say)."""
        handle = self._features[kind]
        assert isinstance(handle, kind)
        return handle

    @property
    def current_pupil(self) -> Pupil | None:
        return self._current

    @property
    def is_locked(self) -> bool:
        return self._locked

    def acting_staff(self) -> staff.Staff | None:
        if not self.store.staff_id or not self.store.is_open:
            return None
        try:
            return staff.get_staff(self.store, self.store.staff_id)
        except SemhError:
            return None

    def run_guarded(self, work: Callable[[], T], title: str = "SEMH Desktop") -> T | None:
        """Run a read; a domain or storage error is shown in plain words instead of crashing.

        Writes go through `run_write`, which also tells every screen what changed.
        """
        try:
            return work()
        except SemhError as exc:
            operations.show_error(self, exc, title)
            return None

    def run_write(self, work: Callable[[], T], title: str = "SEMH Desktop") -> T | None:
        """Run a write (`ui.common.operations.run_write`): errors shown, changes broadcast."""
        return operations.run_write(self, self.store, work, title=title)

    def refresh_caseload(self) -> None:
        """Re-read the caseload (after any change); the open pupil stays selected if listed."""
        if self._locked:
            return
        rows = self.run_guarded(
            lambda: pupils.caseload(
                self.store,
                whole_register=self.whole_school_action.isChecked(),
                include_archived=self.show_archived_action.isChecked(),
            )
        )
        if rows is None:
            return
        extra = self.run_guarded(
            lambda: load_extra_values(self.store, rows, self.model.extra_columns)
        )
        self._restoring_selection = True
        try:
            self.model.set_rows(rows, extra)
            kept = self._current is not None and self._select_row_of(self._current.id)
        finally:
            self._restoring_selection = False
        if self._current is not None and not kept:
            self._clear_detail()
        self._update_count()

    def select_pupil(self, pupil_id: str) -> bool:
        """Select a pupil in the caseload (which opens it). False if not listed or filtered out."""
        return self._select_row_of(pupil_id)

    # ---------------------------------------------------------------- pupils

    def new_pupil(self) -> None:
        details = PupilDialog.ask(self, lambda d: pupils.validate(self.store, d))
        if details is None:
            return
        pupil = self.run_write(
            lambda: pupils.add_pupil(self.store, details), "The pupil was not added"
        )
        if pupil is None:
            return
        # The change broadcast has re-read the caseload; only a wider scope needs another read.
        if not pupil.details.on_semh_register and self.register_action.isChecked():
            self.whole_school_action.setChecked(True)
            self.refresh_caseload()
        self.search_edit.clear()
        self.select_pupil(pupil.id)
        self.statusBar().showMessage(f"Added {pupil.display_name}.", 5000)

    def edit_current(self) -> None:
        current = self._current
        if current is None:
            return
        details = PupilDialog.ask(
            self, lambda d: pupils.validate(self.store, d, pupil_id=current.id), current.details
        )
        if details is None or self._current is None or self._current.id != current.id:
            return
        updated = self.run_write(
            lambda: pupils.update_pupil(self.store, current.id, details), "The change was not saved"
        )
        if updated is None:
            return
        self.statusBar().showMessage(f"Saved {updated.display_name}.", 5000)

    def archive_current(self) -> None:
        current = self._current
        if current is None or current.archived_at:
            return
        if not confirm(
            self,
            "Archive pupil",
            f"Archive {current.display_name}?\n\nThey leave the caseload. Their "
            "records are kept and can be shown again with View > Show archived "
            "pupils.",
        ):
            return
        archived = self.run_write(
            lambda: pupils.archive_pupil(self.store, current.id), "The pupil was not archived"
        )
        if archived is None:
            return
        self.statusBar().showMessage(f"Archived {archived.display_name}.", 5000)

    def restore_current(self) -> None:
        current = self._current
        if current is None or not current.archived_at:
            return
        self.run_write(lambda: pupils.restore_pupil(self.store, current.id))

    def _on_selection_changed(self, *_changes: object) -> None:
        if self._restoring_selection or self._locked:
            return
        selected = self.table.selectionModel().selectedRows()
        pupil_id = self.proxy.pupil_id_at(selected[0]) if selected else None
        if pupil_id is None:
            self._clear_detail()
            return
        if self._current is not None and self._current.id == pupil_id:
            return
        pupil = self.run_guarded(lambda: pupils.open_pupil(self.store, pupil_id))
        if pupil is None:
            return
        self._current = pupil
        self._show_pupil(pupil)

    def _show_pupil(self, pupil: Pupil) -> None:
        self._show_header(pupil)
        for tab in self.pupil_tabs:
            try:
                tab.show_pupil(pupil)
            except SemhError as exc:
                QMessageBox.warning(self, tab.title, exc.message)
        self.detail_stack.setCurrentWidget(self.pupil_page)
        self._update_actions()
        self.pupil_opened.emit(pupil)

    def _show_header(self, pupil: Pupil) -> None:
        """The name, year, UPN, age and flag chips above the tabs."""
        details = pupil.details
        known_as = ""
        if pupil.display_name != f"{details.legal_forename} {details.legal_surname}":
            known_as = f"  (legal name {details.legal_forename} {details.legal_surname})"
        self.pupil_name.setText(pupil.display_name)
        self.pupil_name.setAccessibleName(f"Pupil: {pupil.display_name}")
        parts = [
            year_group_label(details.year_group)
            + (f" · {details.reg_group}" if details.reg_group else ""),
            f"UPN {pupil.upn}",
        ]
        if details.date_of_birth is not None:
            age = age_on(details.date_of_birth, self.store.clock.today())
            parts.append(f"Born {format_date(details.date_of_birth)} (age {age})")
        self.pupil_subtitle.setText("   ·   ".join(parts) + known_as)
        flags = pupil.flags()
        if pupil.archived_at:
            flags = ["Archived", *flags]
        if not details.on_semh_register:
            flags = [*flags, "Not on SEMH register"]
        self.chips.set_flags(flags, empty_text="No vulnerability flags")

    def _clear_detail(self) -> None:
        self._current = None
        for tab in self.pupil_tabs:
            tab.clear()
        self.pupil_name.clear()
        self.pupil_subtitle.clear()
        self.chips.clear()
        self.detail_stack.setCurrentWidget(self.empty_page)
        self._update_actions()
        self.pupil_opened.emit(None)

    def _on_changes(self, changes: Changes) -> None:
        """A write changed records: re-read the open pupil's header and the caseload if shown.

        The tabs (the profile too) re-read themselves from the same broadcast.
        """
        if self._locked:
            return
        current = self._current
        if (
            current is not None
            and changes.concerns(current.id)
            and (changes.touches("pupil") or changes.everyone)
        ):
            updated = self.run_guarded(lambda: pupils.get_pupil(self.store, current.id))
            if updated is not None:
                self._current = updated
                self._show_header(updated)
                self._update_actions()  # Archive or Restore
                self.pupil_opened.emit(updated)
        if self._caseload_shows(changes):
            self.refresh_caseload()

    @staticmethod
    def _caseload_shows(changes: Changes) -> bool:
        """Whether the change can alter a caseload row: its pupil or a feature column."""
        if changes.everyone or changes.touches("pupil"):
            return True
        if not changes.pupil_ids:
            return False  # staff profiles, settings: no pupil's row changes
        return any(
            column.kinds is None or changes.touches(*column.kinds)
            for column in features.CASELOAD_COLUMNS
        )

    def _select_row_of(self, pupil_id: str) -> bool:
        row = self.proxy.proxy_row_of(pupil_id)
        if row is None:
            return False
        index = self.proxy.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def _on_search(self, text: str) -> None:
        self.proxy.set_search(text)
        self._update_count()
        if text.strip():
            self._search_settled.start()
        else:
            self._search_settled.stop()

    def _audit_search(self) -> None:
        text = self.search_edit.text()
        if text.strip() and not self._locked:
            self._audit_view(f"search by {search_kind(text)}")

    def _scope_changed(self, what: str) -> None:
        self.refresh_caseload()
        self._audit_view(what)

    def _audit_view(self, how: str) -> None:
        """One audit row per caseload view: counts and the kind of filter, never names."""
        if self._locked or not self.store.is_open:
            return
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        scope = "whole school" if self.whole_school_action.isChecked() else "SEMH register"
        archived = ", archived shown" if self.show_archived_action.isChecked() else ""
        detail = f"{how}: {shown} of {total} pupils shown ({scope}{archived})"
        with contextlib.suppress(SemhError):
            audit.viewed(self.store, "caseload", shown, detail)

    def _focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def _update_count(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        scope = "on the SEMH register" if self.register_action.isChecked() else "in the school"
        noun = "pupil" if total == 1 else "pupils"
        text = f"{total} {noun} {scope}" if shown == total else f"{shown} of {total} {noun} shown"
        self.count_label.setText(text)
        self.count_label.setAccessibleName(text)

    # ---------------------------------------------------------------- locking

    def lock(self) -> None:
        """Hide everything, keep open dialogs as sealed drafts, close the database; audit 'lock'."""
        if self._locked:
            return
        self._locked_by = self.store.staff_id
        current = self._current
        self._resume_at = (current.id if current else None, self.tabs.currentIndex())
        recipient = self.store.draft_recipient if self.store.is_open else None
        drafts.lock_all(recipient)
        self._hide_other_windows()
        self._show_unlock_page(first=False)
        self._lock_store()

    def _lock_store(self) -> None:
        try:
            self.gate.lock()
        except SemhError:
            # Locking must never fail because the audit row could not be written.
            with contextlib.suppress(SemhError):
                self.store.suspend()

    def _hide_other_windows(self) -> None:
        """Hide every other window of the app, and the docks (the sign-in page is the centre).

        Dialogs run through exec_dialog were kept as drafts already; any other (a message box,
        a print preview) ends as if cancelled; floating docks and menus simply hide.
        """
        for widget in QApplication.topLevelWidgets():
            if widget is self or isinstance(widget, MainWindow) or not widget.isVisible():
                continue
            with contextlib.suppress(RuntimeError):
                widget.hide()
        for dock in self.findChildren(QDockWidget):
            if dock.isVisible():
                dock.hide()

    def _show_unlock_page(self, *, first: bool) -> None:
        self._locked = True
        self.idle.stop()
        self._search_settled.stop()
        self._clear_detail()
        self.search_edit.clear()
        self._restoring_selection = True
        try:
            self.model.set_rows([])
        finally:
            self._restoring_selection = False
        self.count_label.clear()
        db_name = self.store.path.name if self.store.path else "this database"
        if first:
            self.unlock_page.set_texts(
                "Welcome to SEMH Desktop",
                f"Choose your staff profile and type your passphrase to open {db_name}.",
            )
        else:
            self.unlock_page.set_texts(
                "SEMH Desktop is locked",
                "Pupil information is hidden. Sign in with your own profile to carry on.",
            )
        self.unlock_page.set_hint(
            "This is the demo school: every profile's passphrase is “demo”." if self.demo else ""
        )
        self.stack.setCurrentWidget(self.unlock_page)
        self.staff_label.setText("Locked")
        self._update_actions()
        self.locked_changed.emit(True)
        self._show_profiles()

    def _show_profiles(self) -> None:
        try:
            profiles = self.gate.profiles()
        except SemhError as exc:
            profiles = []
            self.unlock_page.show_passphrase_error(exc.message)
        self.unlock_page.set_profiles(profiles, self._locked_by)
        if self.unlock_page.recovery_mode:
            self.unlock_page.set_recovery_mode(False)
        self.unlock_page.focus_first()

    def _on_sign_in_requested(self, staff_id: str, passphrase: str) -> None:
        try:
            signed = self.gate.sign_in(staff_id, passphrase)
        except SignInRefused as exc:
            self.unlock_page.refuse(staff_id, exc.message, exc.retry_after)
            return
        except SemhError as exc:
            self.unlock_page.show_passphrase_error(exc.message)
            return
        self._signed_in(signed, passphrase)

    def _on_recovery_requested(self, staff_id: str | None, text: str) -> None:
        try:
            signed = self.gate.sign_in_with_recovery_key(text, staff_id)
        except SemhError as exc:
            self.unlock_page.show_passphrase_error(exc.message)
            return
        self._signed_in(signed, "")

    def _signed_in(self, signed: sign_in.SignedIn, typed: str) -> None:
        """Back in: the same person gets their pupil, tab and dialogs back; anyone else not."""
        same = self._locked_by is not None and signed.staff.id == self._locked_by
        self.unlock_page.passphrase_edit.clear()
        self._enter_unlocked(resume=same)
        if signed.must_change and not self._choose_own_passphrase(typed):
            self.lock()  # signed out again: the drafts stay sealed for their owner
            return
        # Another person gets nothing back: the sealed drafts are discarded (their dialogs end
        # as if cancelled); the owner has them back only while this window stays open.
        if drafts.unlock_all(signed.draft_key if same else None):
            self.statusBar().showMessage("What you were typing is back as you left it.", 8000)

    def _choose_own_passphrase(self, one_time: str) -> bool:
        """A one-time passphrase (or a sign-in with the recovery key): choose one's own now."""
        chosen = NewPassphraseDialog.ask(
            self,
            title="Choose your own passphrase",
            intro="You signed in with a passphrase someone else gave you (or with the recovery "
            "key). Choose your own now: only you will know it. You type it each time you sign "
            "in.",
            # The one-time passphrase just typed proves it is them (none after a recovery key).
            apply=lambda _current, new: self.gate.change_own_passphrase(one_time, new),
            ask_current=False,
            cancel_text="Sign out",
        )
        if chosen is None:
            return False
        self.statusBar().showMessage("Your new passphrase is saved.", 5000)
        return True

    def change_my_passphrase(self) -> None:
        recovered = getattr(self.store, "opened_by", "") == "recovery"
        chosen = NewPassphraseDialog.ask(
            self,
            title="Change my passphrase",
            intro="Type your current passphrase, then the new one twice.",
            apply=self.gate.change_own_passphrase,
            ask_current=not recovered,
        )
        if chosen is not None:
            self.statusBar().showMessage("Your new passphrase is saved.", 5000)

    def _enter_unlocked(self, *, resume: bool = False) -> None:
        self._locked = False
        self.stack.setCurrentWidget(self.main_page)
        acting = self.acting_staff()
        self.staff_label.setText(f"{acting.name} ({acting.role_label})" if acting else "")
        if not resume:
            self.register_action.setChecked(True)
            self.show_archived_action.setChecked(False)
        self.refresh_caseload()
        if self._current is None:
            self.detail_stack.setCurrentWidget(self.empty_page)
        self.idle.start()
        self._update_actions()
        self.search_edit.setFocus()
        self.locked_changed.emit(False)
        pupil_id, tab = self._resume_at
        self._resume_at = (None, 0)
        if resume and pupil_id is not None and self.select_pupil(pupil_id):
            self.tabs.setCurrentIndex(tab)
            self.table.setFocus()
        self._audit_view("signed in")

    def _update_actions(self) -> None:
        acting = self.acting_staff() if not self._locked else None
        can_edit = acting.can_edit if acting is not None else False
        role = acting.role if acting is not None else None
        for action, rule in self._rules.items():
            enabled = rule.when_locked or not self._locked
            if rule.needs_pupil:
                enabled = enabled and self._current is not None
            if rule.needs_edit:
                enabled = enabled and can_edit
            if rule.permission is not None:
                enabled = enabled and access.allows(role, rule.permission)
            if rule.enabled_if is not None:
                enabled = enabled and rule.enabled_if()
            action.setEnabled(enabled)
        self.register_button.setEnabled(not self._locked)
        self.whole_school_button.setEnabled(not self._locked)

    # ---------------------------------------------------------------- settings and help

    def choose_idle_minutes(self) -> None:
        current = max(1, self.idle.interval_ms // 60_000)
        low, high = settings.IDLE_MINUTES_RANGE
        minutes, ok = QInputDialog.getInt(
            self,
            "Idle lock",
            "Lock the window after this many minutes without use:",
            current,
            low,
            high,
            1,
        )
        if not ok:
            return
        settings.set_idle_minutes(minutes)
        if self._idle_override is None:
            self.idle.set_interval(minutes * 60_000)
        self.statusBar().showMessage(f"The window now locks after {minutes} idle minutes.", 5000)

    def show_staff_profiles(self) -> None:
        rows = self.run_guarded(self._staff_rows)
        if rows is None:
            return
        acting = self.acting_staff()
        manage = acting is not None and access.allows(acting.role, "staff")
        actions = (
            StaffActions(
                add=lambda name, role, one_time: self._staff_write(
                    lambda: staff.add_staff(self.store, name, role, one_time)
                ),
                reset=lambda staff_id, one_time: self._staff_write(
                    lambda: staff.reset_passphrase(self.store, staff_id, one_time)
                ),
                disable=lambda staff_id: self._staff_write(
                    lambda: staff.disable_staff(self.store, staff_id)
                ),
                rows=self._staff_rows,
                me=acting.id if acting is not None else None,
            )
            if manage
            else None
        )
        StaffProfilesDialog.ask(self, rows, actions)

    def _staff_write(self, work: Callable[[], T]) -> T:
        """A staff change through the one write path (changes announced); errors propagate."""
        return operations.run_announced(self.store, work)

    def _staff_rows(self) -> list[StaffRow]:
        """Each current profile and how it signs in (from the key slots beside the file)."""
        slots = {p.staff_id: p for p in self.gate.profiles()}
        rows = []
        for person in staff.list_staff(self.store):
            slot = slots.get(person.id)
            if slot is None:
                how = "No passphrase: cannot sign in"
            elif slot.must_change:
                how = "One-time passphrase (not changed yet)"
            else:
                how = "Own passphrase"
            rows.append(StaffRow(person, how))
        return rows

    def show_about(self) -> None:
        from ui.shell.about import show_about

        show_about(
            self,
            intro_html="<p>Offline support for pupils with social, emotional and mental "
            "health needs: "
            "the SEMH register, the graduated response and pastoral support plans.</p>"
            "<p>Everything is kept in one encrypted file on this computer. Nothing is sent "
            "anywhere unless you export it.</p>"
            "<p><b>Keys:</b> Ctrl+N new pupil · Ctrl+E edit · Ctrl+F find · "
            "Ctrl+1 / Ctrl+2 register or whole school · Ctrl+L lock</p>",
        )

    # ---------------------------------------------------------------- layout memory

    def _restore_layout(self) -> None:
        stored = settings.app_settings()
        geometry = stored.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1360, 840)
        state = stored.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        splitter = stored.value("window/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        header = stored.value("caseload/header")
        # Features add columns over time: an old layout is only restored onto the same columns.
        if (
            isinstance(header, QByteArray)
            and not header.isEmpty()
            and stored.value("caseload/columns") == self._column_signature()
        ):
            self.table.horizontalHeader().restoreState(header)
            self._sync_column_actions()

    def _column_signature(self) -> str:
        return "|".join(
            str(self.model.headerData(c, Qt.Orientation.Horizontal))
            for c in range(self.model.columnCount())
        )

    def save_layout(self) -> None:
        stored = settings.app_settings()
        stored.setValue("window/geometry", self.saveGeometry())
        stored.setValue("window/state", self.saveState())
        stored.setValue("window/splitter", self.splitter.saveState())
        stored.setValue("caseload/header", self.table.horizontalHeader().saveState())
        stored.setValue("caseload/columns", self._column_signature())
        stored.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.idle.detach()
        self.lock_key.detach()
        self._search_settled.stop()
        drafts.unlock_all(None)  # a dialog waiting for a sign-in ends, its draft dropped
        for tab in self.pupil_tabs:
            tab.clear()
        super().closeEvent(event)
