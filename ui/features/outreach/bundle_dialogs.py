"""Send to outreach (bundle)… and Import bundle…: encrypted handover between installations.

Sending: tick the pupils, type a passphrase twice, choose the file, and read exactly what
will leave (pupils by name, record counts, staff named in the records) before anything is
written. Importing: choose the file and type its passphrase; the bundle is opened and compared
with this database off the GUI thread; the preview lists each pupil as new or merged and every
conflict, each with Keep mine / Take theirs; then Import applies it and says what happened.

The dialogs run no SQL: they are handed the domain calls to make (`semh_desktop.handover`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractTableModel,
    QObject,
    QSortFilterProxyModel,
    QTimer,
)
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core import changes
from semh_desktop.core.changes import Written
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store
from semh_desktop.exchange import handover
from semh_desktop.exchange.handover import (
    BUNDLE_SUFFIX,
    MINE,
    THEIRS,
    Bundle,
    Conflict,
    ExportPreview,
    ImportReport,
    PupilOutcome,
    WrongBundlePassphrase,
)
from semh_desktop.register.pupils import CaseloadRow
from ui.common import drafts, operations
from ui.common.background import (
    BackgroundTask,
    CancelCheck,
    Outcome,
    Progress,
    StoreJob,
    describe_error,
    run_with_progress,
)
from ui.common.table_model import Column, RowsModel
from ui.common.table_view import Resize, records_view
from ui.common.widgets import FieldMessage, field_with_message, plain_label
from ui.features.outreach.export_dialog import PupilChooser, preselected_ids, pupils_to_offer

if TYPE_CHECKING:
    from ui.shell.main_window import MainWindow

FILE_FILTER = f"SEMH Desktop handover bundles (*{BUNDLE_SUFFIX})"
CHOICE_WORDS = {None: "Not chosen: left as it is", MINE: "Keep mine", THEIRS: "Take theirs"}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _view(model: QAbstractTableModel, name: str) -> QTableView:
    return records_view(
        name,
        model,
        sort_column=None,
        resize=Resize.Interactive,
        alternating=False,
        single_selection=False,
    )


def _passphrase_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


# -- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleRequest:
    pupil_ids: tuple[str, ...]
    path: Path
    passphrase: str


def preview_html(preview: ExportPreview) -> str:
    """What will leave, in words: pupils by name, record counts, staff profiles named."""
    parts = [
        f"<p><b>{len(preview.pupils)} pupil{'' if len(preview.pupils) == 1 else 's'}, "
        f"{preview.record_count} records with their history, encrypted.</b></p><ul>"
    ]
    parts += [f"<li>{_escape(p.name)} ({_escape(p.upn)})</li>" for p in preview.pupils]
    parts.append("</ul><p><b>Records:</b></p><ul>")
    parts += [f"<li>{_escape(t.label)}: {t.rows}</li>" for t in preview.tables]
    parts.append("</ul>")
    if preview.staff:
        parts.append(
            "<p><b>Staff named in the records (name and role):</b> "
            + _escape(", ".join(preview.staff))
            + "</p>"
        )
    if preview.unsupported:
        parts.append(
            "<p>Not carried (this version cannot match them): "
            + _escape(", ".join(preview.unsupported))
            + "</p>"
        )
    parts.append("<p>Not included: the audit trail and this database's settings.</p>")
    return "".join(parts)


class SendBundleDialog(QDialog):
    """Choose pupils, a passphrase and a file; see what leaves; returns a BundleRequest."""

    def __init__(
        self,
        rows: Sequence[CaseloadRow],
        preselected: set[str],
        preview: Callable[[list[str]], ExportPreview],
        *,
        folder: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Send to outreach (encrypted bundle)")
        self.setAccessibleName("Send to outreach")
        self.resize(920, 620)
        self.request: BundleRequest | None = None
        self._preview = preview
        self._folder = folder or Path.home()

        self.chooser = PupilChooser(rows, preselected)
        self.pupils_message = FieldMessage("pupils")
        self.passphrase = _passphrase_field("Passphrase for the bundle")
        self.passphrase_message = FieldMessage("passphrase")
        self.confirm = _passphrase_field("Type the passphrase again")
        self.confirm_message = FieldMessage("confirm")
        self.path = QLineEdit()
        self.path.setAccessibleName("Bundle file to write")
        self.path_message = FieldMessage("out")
        browse = QPushButton("&Browse…")
        browse.setAccessibleName("Choose where to save the bundle")
        browse.clicked.connect(self._browse)
        path_row = QWidget()
        path_layout = QHBoxLayout(path_row)
        path_layout.setContentsMargins(0, 0, 0, 0)
        path_layout.addWidget(self.path, 1)
        path_layout.addWidget(browse)

        hint = QLabel(
            "Tell the receiver the passphrase by phone or in person, never in the "
            "same email as the file."
        )
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Passphrase", field_with_message(self.passphrase, self.passphrase_message))
        form.addRow("&Again", field_with_message(self.confirm, self.confirm_message))
        form.addRow("&File", field_with_message(path_row, self.path_message))
        form.addRow("", hint)

        self.leaving = QTextBrowser()
        self.leaving.setAccessibleName("What will leave in the bundle")

        self.send_button = QPushButton("&Write bundle")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._send)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        buttons.addWidget(cancel)

        left = QVBoxLayout()
        left.addWidget(QLabel("Pupils"))
        left.addWidget(self.chooser, 1)
        left.addWidget(self.pupils_message)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(QLabel("What will leave this computer"))
        right.addWidget(self.leaving, 1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(buttons)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(150)
        self._refresh_timer.timeout.connect(self.refresh_preview)
        self.chooser.changed.connect(lambda _count: self._refresh_timer.start())
        self.setTabOrder(self.chooser.none_button, self.passphrase)
        self.setTabOrder(self.passphrase, self.confirm)
        self.setTabOrder(self.confirm, self.path)
        self.refresh_preview()

    def refresh_preview(self) -> None:
        ids = self.chooser.checked_ids()
        self.pupils_message.clear_message()
        if not ids:
            self.leaving.setHtml("<p>Tick the pupils to send.</p>")
            return
        try:
            self.leaving.setHtml(preview_html(self._preview(ids)))
        except ValidationError as exc:
            self.leaving.setPlainText(exc.message)

    def _browse(self) -> None:
        start = self.path.text() or str(self._folder / f"handover{BUNDLE_SUFFIX}")
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Save the bundle as", start, FILE_FILTER
        )
        if chosen:
            path = Path(chosen)
            if path.suffix.lower() != BUNDLE_SUFFIX:
                path = path.with_name(path.name + BUNDLE_SUFFIX)
            self.path.setText(str(path))

    def _send(self) -> None:
        ok = True
        ids = self.chooser.checked_ids()
        if not ids:
            self.pupils_message.show_error("Tick at least one pupil to send.")
            ok = False
        for message in (self.passphrase_message, self.confirm_message, self.path_message):
            message.clear_message()
        try:
            handover.check_passphrase(self.passphrase.text(), self.confirm.text())
        except ValidationError as exc:
            target = self.confirm_message if exc.field == "confirm" else self.passphrase_message
            target.show_error(exc.message)
            ok = False
        text = self.path.text().strip()
        path = Path(text) if text else None
        if path is None:
            self.path_message.show_error("Choose where to save the bundle.")
            ok = False
        elif path.suffix.lower() != BUNDLE_SUFFIX:
            self.path_message.show_error(f"The file name must end in {BUNDLE_SUFFIX}.")
            ok = False
        elif not path.parent.is_dir():
            self.path_message.show_error("That folder does not exist.")
            ok = False
        if not ok or path is None:
            return
        self.request = BundleRequest(tuple(ids), path, self.passphrase.text())
        self.accept()

    @classmethod
    def ask(
        cls,
        rows: Sequence[CaseloadRow],
        preselected: set[str],
        preview: Callable[[list[str]], ExportPreview],
        *,
        folder: Path | None = None,
        parent: QWidget | None = None,
    ) -> BundleRequest | None:
        dialog = cls(rows, preselected, preview, folder=folder, parent=parent)
        drafts.run_modal(dialog)
        return dialog.request


def send_bundle_action(window: MainWindow) -> None:
    store = window.store
    rows = pupils_to_offer(window, "Send to outreach")
    if rows is None:
        return
    request = SendBundleDialog.ask(
        rows,
        preselected_ids(window),
        lambda ids: handover.export_preview(store, ids),
        parent=window,
    )
    if request is None:
        return

    def work(own: Store, progress: Progress, _cancelled: CancelCheck) -> handover.ExportResult:
        return handover.export_bundle(
            own, request.pupil_ids, request.path, request.passphrase, progress=progress
        )

    finished = run_with_progress(
        window, "Send to outreach", "Writing the bundle…", BackgroundTask.on_store(store, work)
    )
    outcome = finished.value
    if outcome is None:
        QMessageBox.warning(window, "Send to outreach", finished.message)
        return
    count = len(outcome.preview.pupils)
    QMessageBox.information(
        window,
        "Send to outreach",
        f"Wrote an encrypted bundle of {count} pupil{'' if count == 1 else 's'} "
        f"({outcome.preview.record_count} records) to {outcome.path}. Send the passphrase "
        "separately from the file.",
    )


# -- importing --------------------------------------------------------------------------------


def _count(kind: str) -> Column[PupilOutcome]:
    return Column[PupilOutcome](
        {"added": "Records added", "updated": "Updated", "conflicts": "Conflicts"}[kind],
        lambda r: str(r.counts[kind]),
        lambda r: r.counts[kind],
    )


class PupilOutcomeModel(RowsModel[PupilOutcome]):
    COL_NAME, COL_UPN, COL_STATUS, COL_ADDED, COL_UPDATED, COL_CONFLICTS = range(6)
    COLUMNS = (
        Column[PupilOutcome]("Pupil", lambda r: r.name),
        Column[PupilOutcome]("UPN", lambda r: r.upn),
        Column[PupilOutcome]("Here", lambda r: r.status_label),
        _count("added"),
        _count("updated"),
        _count("conflicts"),
    )


_CONFLICT_SHORT = {
    "changed_both": "changed in both databases",
    "history_both": "both added to its history",
}


def _conflict_record(conflict: Conflict) -> str:
    if conflict.kind == "added_both":
        short = (
            "both added a new version"
            if conflict.can_take_theirs
            else "both added one here: only yours can be kept"
        )
    else:
        short = _CONFLICT_SHORT[conflict.kind]
    return f"{conflict.label}: {short}"


def _conflict_side(theirs: bool) -> Callable[[Conflict], str]:
    def text(conflict: Conflict) -> str:
        lines = handover.conflict_lines(conflict)
        return "\n".join(f"{field}: {b if theirs else a}" for field, a, b in lines)

    return text


class ConflictModel(RowsModel[Conflict]):
    """Each conflict with both versions and the choice made (changed by the buttons)."""

    COL_PUPIL, COL_RECORD, COL_MINE, COL_THEIRS, COL_CHOICE = range(5)
    TOOLTIP_IS_TEXT = True

    def __init__(self, parent: QObject | None = None) -> None:
        self.choices: dict[str, str] = {}
        super().__init__(
            parent,
            columns=(
                Column[Conflict]("Pupil", lambda c: c.pupil_name),
                Column[Conflict](
                    "Record",
                    _conflict_record,
                    tooltip=lambda c: f"{c.label}: {c.explanation}.",
                ),
                Column[Conflict]("Mine (this database)", _conflict_side(theirs=False)),
                Column[Conflict]("Theirs (the bundle)", _conflict_side(theirs=True)),
                Column[Conflict]("Choice", lambda c: CHOICE_WORDS[self.choices.get(c.key)]),
            ),
        )

    def set_rows(self, rows: Sequence[Conflict]) -> None:
        self.choices = {c.key: c.choice for c in rows if c.choice}
        super().set_rows(rows)

    def conflict(self, row: int) -> Conflict:
        return self._rows[row]

    def choose(self, rows: Sequence[int], choice: str) -> int:
        """Record a choice for these rows; returns how many took it (theirs may be refused)."""
        taken = 0
        for row in rows:
            conflict = self._rows[row]
            if choice == THEIRS and not conflict.can_take_theirs:
                continue
            self.choices[conflict.key] = choice
            taken += 1
        self.cells_changed(self.COL_CHOICE)
        return taken

    def undecided(self) -> int:
        return sum(1 for c in self._rows if c.key not in self.choices)


def report_html(report: ImportReport) -> str:
    parts = [f"<p>{_escape(report.summary())}</p>"]
    if report.staff_added:
        parts.append(
            "<p>Staff named in the records, added as profiles nobody here signs in "
            "with: " + _escape(", ".join(sorted(report.staff_added))) + "</p>"
        )
    if report.problems:
        parts.append(
            "<p><b>Could not be applied:</b></p><ul>"
            + "".join(f"<li>{_escape(p)}</li>" for p in report.problems[:50])
            + "</ul>"
        )
    return "".join(parts)


# Both run on a worker thread, given that thread's own connection to the database.
OpenBundle = Callable[[Store, Path, str, Progress], tuple[Bundle, ImportReport]]
ApplyBundle = Callable[[Store, Bundle, dict[str, str], Progress], ImportReport]


def open_and_preview(
    store: Store, path: Path, passphrase: str, progress: Progress
) -> tuple[Bundle, ImportReport]:
    bundle = handover.read_bundle(path, passphrase)
    return bundle, handover.preview_import(store, bundle, progress=progress)


def apply_bundle(
    store: Store, bundle: Bundle, choices: dict[str, str], progress: Progress
) -> ImportReport:
    return handover.apply_import(store, bundle, choices, progress=progress)


class ImportBundleDialog(QDialog):
    """Open a bundle, preview it (choose for each conflict), import; `report` holds the result."""

    PAGE_OPEN, PAGE_PREVIEW, PAGE_RESULT = range(3)

    def __init__(
        self,
        store: Store,
        *,
        open_bundle: OpenBundle = open_and_preview,
        apply_bundle: ApplyBundle = apply_bundle,
        start_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Import bundle")
        self.setAccessibleName("Import bundle")
        self.resize(960, 640)
        self._open_bundle = open_bundle
        self._apply_bundle = apply_bundle
        self.bundle: Bundle | None = None
        self.preview: ImportReport | None = None
        self.report: ImportReport | None = None
        self.worker: BackgroundTask[object] | None = None  # the running step, if any

        self.pages = QStackedWidget()
        self.pages.addWidget(self._open_page(start_path))
        self.pages.addWidget(self._preview_page())
        self.pages.addWidget(self._result_page())

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Progress")
        self.progress.setVisible(False)
        self.status = plain_label()
        self.status.setWordWrap(True)
        self.open_button = QPushButton("&Open bundle")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_bundle)
        self.import_button = QPushButton("&Import")
        self.import_button.clicked.connect(self.apply)
        self.close_button = QPushButton("Cancel")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        self._show(self.PAGE_OPEN)

    # -- pages

    def _open_page(self, start_path: Path | None) -> QWidget:
        page = QWidget()
        self.path = QLineEdit(str(start_path) if start_path else "")
        self.path.setAccessibleName("Bundle file to import")
        self.path_message = FieldMessage("file")
        browse = QPushButton("&Browse…")
        browse.setAccessibleName("Choose the bundle file")
        browse.clicked.connect(self._browse)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.path, 1)
        row_layout.addWidget(browse)
        self.passphrase = _passphrase_field("The bundle's passphrase")
        self.passphrase_message = FieldMessage("passphrase")
        form = QFormLayout(page)
        intro = QLabel(
            "A bundle from another SEMH Desktop holds pupils' records and history. "
            "Nothing changes here until you have seen the preview and chosen "
            "Import."
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        form.addRow("&Bundle file", field_with_message(row, self.path_message))
        form.addRow("&Passphrase", field_with_message(self.passphrase, self.passphrase_message))
        return page

    def _preview_page(self) -> QWidget:
        page = QWidget()
        self.summary = plain_label()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Summary of the import")
        self.pupil_model = PupilOutcomeModel(self)
        self.pupil_view = _view(self.pupil_model, "Pupils in the bundle: new or merged")
        self.conflict_model = ConflictModel(self)
        self.conflict_view = _view(
            self.conflict_model, "Conflicts: records changed in both databases"
        )
        self.conflict_view.setWordWrap(True)
        header = self.conflict_view.horizontalHeader()
        header.setStretchLastSection(False)
        fit = QHeaderView.ResizeMode.ResizeToContents
        for column, mode in (
            (ConflictModel.COL_PUPIL, fit),
            (ConflictModel.COL_RECORD, QHeaderView.ResizeMode.Interactive),
            (ConflictModel.COL_MINE, QHeaderView.ResizeMode.Stretch),
            (ConflictModel.COL_THEIRS, QHeaderView.ResizeMode.Stretch),
            (ConflictModel.COL_CHOICE, fit),
        ):
            header.setSectionResizeMode(column, mode)
        header.resizeSection(ConflictModel.COL_RECORD, 220)
        self.mine_button = QPushButton("&Keep mine")
        self.mine_button.setAccessibleName("Keep mine for the selected conflicts")
        self.mine_button.clicked.connect(lambda: self._choose(MINE))
        self.theirs_button = QPushButton("&Take theirs")
        self.theirs_button.setAccessibleName("Take theirs for the selected conflicts")
        self.theirs_button.clicked.connect(lambda: self._choose(THEIRS))
        self.conflict_message = plain_label()
        self.conflict_message.setWordWrap(True)
        choose = QHBoxLayout()
        choose.addWidget(self.conflict_message, 1)
        choose.addWidget(self.mine_button)
        choose.addWidget(self.theirs_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("Pupils"))
        layout.addWidget(self.pupil_view, 1)
        self.conflict_heading = QLabel(
            "Conflicts: changed here and in the bundle since the "
            "two last exchanged them. Choose for each; a conflict "
            "left unchosen stays exactly as it is here."
        )
        self.conflict_heading.setWordWrap(True)
        layout.addWidget(self.conflict_heading)
        layout.addWidget(self.conflict_view, 2)
        layout.addLayout(choose)
        return page

    def _result_page(self) -> QWidget:
        page = QWidget()
        self.result_text = QTextBrowser()
        self.result_text.setAccessibleName("What the import did")
        layout = QVBoxLayout(page)
        layout.addWidget(self.result_text)
        return page

    def _show(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        busy = self.worker is not None
        self.open_button.setVisible(page == self.PAGE_OPEN)
        self.open_button.setEnabled(not busy)
        self.import_button.setVisible(page == self.PAGE_PREVIEW)
        self.import_button.setEnabled(not busy)
        self.close_button.setText("&Close" if page == self.PAGE_RESULT else "Cancel")
        self.close_button.setEnabled(not busy)
        if page == self.PAGE_PREVIEW:
            self.import_button.setDefault(True)

    # -- steps

    def _browse(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Choose a bundle", self.path.text(), FILE_FILTER
        )
        if chosen:
            self.path.setText(chosen)

    def open_bundle(self) -> None:
        self.path_message.clear_message()
        self.passphrase_message.clear_message()
        text = self.path.text().strip()
        if not text:
            self.path_message.show_error("Choose the bundle file.")
            return
        if not self.passphrase.text():
            self.passphrase_message.show_error("Type the passphrase the sender gave you.")
            return
        path, passphrase = Path(text), self.passphrase.text()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, WrongBundlePassphrase):
                self.passphrase_message.show_error(exc.message)
                self.passphrase.selectAll()
                self.passphrase.setFocus()
            else:
                self.path_message.show_error(describe_error(exc))

        self._run(
            "Opening the bundle and comparing it with this database…",
            lambda store, progress, _cancelled: self._open_bundle(
                store, path, passphrase, progress
            ),
            self._opened,
            failed,
        )

    def _opened(self, outcome: object) -> None:
        assert isinstance(outcome, tuple)
        bundle, preview = outcome
        self.bundle, self.preview = bundle, preview
        self.passphrase.clear()  # not kept in memory longer than needed
        self.pupil_model.set_rows(preview.pupils)
        self.pupil_view.resizeColumnsToContents()
        self.conflict_model.set_rows(preview.conflicts)
        QTimer.singleShot(0, self.conflict_view.resizeRowsToContents)  # once laid out
        self.summary.setText(preview.summary())
        has_conflicts = bool(preview.conflicts)
        for widget in (
            self.conflict_heading,
            self.conflict_view,
            self.mine_button,
            self.theirs_button,
            self.conflict_message,
        ):
            widget.setVisible(has_conflicts)
        self._update_conflict_message()
        self._show(self.PAGE_PREVIEW)
        (self.conflict_view if has_conflicts else self.import_button).setFocus()

    def _selected_rows(self) -> list[int]:
        proxy = self.conflict_view.model()
        assert isinstance(proxy, QSortFilterProxyModel)
        return sorted(
            {proxy.mapToSource(i).row() for i in self.conflict_view.selectionModel().selectedRows()}
        )

    def _choose(self, choice: str) -> None:
        rows = self._selected_rows()
        if not rows:
            self.conflict_message.setText("Select one or more conflicts first.")
            return
        taken = self.conflict_model.choose(rows, choice)
        refused = len(rows) - taken
        self._update_conflict_message(
            f"{refused} of them can only keep yours here." if refused else ""
        )

    def choose_all(self, choice: str) -> None:
        self.conflict_model.choose(range(self.conflict_model.rowCount()), choice)
        self._update_conflict_message()

    def _update_conflict_message(self, extra: str = "") -> None:
        left = self.conflict_model.undecided()
        text = (
            f"{left} conflict{'' if left == 1 else 's'} not chosen yet (left as "
            f"{'it is' if left == 1 else 'they are'} here)."
            if left
            else "Every conflict has a choice."
        )
        self.conflict_message.setText(f"{text} {extra}".strip())

    def apply(self) -> None:
        bundle = self.bundle
        if bundle is None:
            return
        choices = dict(self.conflict_model.choices)
        self._run(
            "Importing…",
            # The job's connection collects what the merge changed; _applied announces it.
            lambda store, progress, _cancelled: changes.run(
                store, lambda: self._apply_bundle(store, bundle, choices, progress)
            ),
            self._applied,
            lambda exc: self.status.setText(describe_error(exc)),
        )

    def _applied(self, outcome: object) -> None:
        assert isinstance(outcome, Written) and isinstance(outcome.value, ImportReport)
        operations.announce(self.store, outcome.changes)  # on the GUI thread
        self.report = report = outcome.value
        self.result_text.setHtml(report_html(report))
        self._show(self.PAGE_RESULT)
        self.close_button.setFocus()

    def _run(
        self,
        label: str,
        job: StoreJob[object],
        done: Callable[[object], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        task = BackgroundTask.on_store(self.store, job, self)
        self.worker = task
        self.status.setText(label)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self._show(self.pages.currentIndex())

        def progressed(done_steps: int, total: int, _what: str) -> None:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done_steps)

        def settled(outcome: Outcome[object]) -> None:
            self.worker = None
            self.progress.setVisible(False)
            self.status.setText("")
            self._show(self.pages.currentIndex())
            if outcome.error is None:
                done(outcome.value)
            else:
                failed(outcome.error)
            task.deleteLater()

        task.progressed.connect(progressed)
        task.settled.connect(settled)
        task.start()

    def done(self, code: int) -> None:
        """Closing while work runs waits for it, so nothing is left half-done."""
        worker = self.worker
        if worker is not None:
            worker.wait()
        super().done(code)

    @classmethod
    def ask(cls, store: Store, *, parent: QWidget | None = None) -> ImportReport | None:
        dialog = cls(store, parent=parent)
        drafts.run_modal(dialog)
        return dialog.report


def import_bundle_action(window: MainWindow) -> None:
    ImportBundleDialog.ask(window.store, parent=window)  # the change broadcast re-reads
