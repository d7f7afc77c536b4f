"""A pupil tab that shows one case (episode of support) at a time: the PSP and Closure tabs.

The case shown is the pupil's current one; a combo box (visible only when the pupil has had
more than one case) switches to earlier ones. Subclasses build `case_combo` and
`output_label` and implement `_show_case`. After a change (the change broadcast calls
`refresh`) the same case stays selected.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, TypeVar

from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from semh_desktop.core.errors import SemhError
from semh_desktop.core.store import Store
from semh_desktop.documents.blocks import Document
from semh_desktop.plans import cases
from semh_desktop.plans.cases import Case
from semh_desktop.register import access
from semh_desktop.register.pupils import Pupil
from ui.common import document_output, operations
from ui.common.pupil_tab import PupilTab

T = TypeVar("T")


class CaseTab(PupilTab):
    case_combo: QComboBox
    output_label: QLabel
    # The case's printed documents by kind ("staff", "child", ...): what the messages call them.
    DOCUMENT_NAMES: ClassVar[dict[str, str]] = {}

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self._cases: list[Case] = []
        self.case: Case | None = None

    def _show_case(self, case: Case | None) -> None:
        raise NotImplementedError

    def show_pupil(self, pupil: Pupil) -> None:
        super().show_pupil(pupil)
        self._cases = cases.cases_for_pupil(self.store, pupil.id)
        chosen = cases.current_case(self.store, pupil.id)
        self._fill_case_combo(chosen)
        self._show_case(chosen)

    def clear(self) -> None:
        super().clear()
        self._cases = []
        self._fill_case_combo(None)
        self._show_case(None)
        self.output_label.clear()

    def refresh(self) -> None:
        """Re-read the case shown (after a change), keeping the same case selected.

        A case opened since the last read (on this tab or another) is shown instead: the
        person who just created the plan wants to see it.
        """
        if self.pupil is None:
            return
        keep = self.case.id if self.case else None
        seen = {c.id for c in self._cases}
        self._cases = cases.cases_for_pupil(self.store, self.pupil.id)
        opened = [c for c in self._cases if c.id not in seen]
        chosen = (
            opened[-1]
            if opened
            else next((c for c in self._cases if c.id == keep), None)
            or cases.current_case(self.store, self.pupil.id)
        )
        self._fill_case_combo(chosen)
        self._show_case(chosen)

    def _fill_case_combo(self, chosen: Case | None) -> None:
        self.case_combo.blockSignals(True)
        self.case_combo.clear()
        for case in reversed(self._cases):
            self.case_combo.addItem(case.label, case.id)
        if chosen is not None:
            self.case_combo.setCurrentIndex(max(self.case_combo.findData(chosen.id), 0))
        self.case_combo.setVisible(len(self._cases) > 1)
        self.case_combo.blockSignals(False)

    def _case_chosen(self) -> None:
        chosen = next((c for c in self._cases if c.id == self.case_combo.currentData()), None)
        if chosen is not None:
            self._show_case(chosen)

    # -- the case's documents: printed and saved from the same blocks ------------------------

    def _document(self, pupil_id: str, kind: str, case_id: str) -> Document:
        raise NotImplementedError

    def _record_print(self, pupil_id: str, kind: str, case_id: str) -> None:
        raise NotImplementedError

    def _write_pdf(self, pupil_id: str, kind: str, path: Path, case_id: str) -> Path:
        raise NotImplementedError

    def _suggested_name(self, kind: str) -> str:
        raise NotImplementedError

    def guard(self, work: Callable[[], T], title: str | None = None) -> T | None:
        """Run a read (or a document's output) and show its error, if any."""
        try:
            return work()
        except SemhError as exc:
            operations.show_error(self, exc, title or self.title)
            return None

    def _may(self, permission: str) -> bool:
        access.require(self.store, permission, f"{self.title} document")
        return True

    def print_document(self, kind: str) -> bool:
        pupil, case = self.pupil, self.case
        if pupil is None or case is None:
            return False
        # Refused (and the refusal audited) before anything reaches a printer.
        if not self.guard(lambda: self._may("print")):
            return False
        document = self.guard(lambda: self._document(pupil.id, kind, case.id))
        if document is None:
            return False
        title = f"{document.title} — {pupil.initials}"
        if not document_output.print_with_preview(self, document, title):
            return False
        self.guard(lambda: self._record_print(pupil.id, kind, case.id))
        self.output_label.setText(f"Sent the {self.DOCUMENT_NAMES[kind]} to the printer.")
        return True

    def save_pdf(self, kind: str) -> bool:
        pupil, case = self.pupil, self.case
        if pupil is None or case is None:
            return False
        path = document_output.ask_pdf_path(
            self, f"Save the {self.DOCUMENT_NAMES[kind]} as PDF", self._suggested_name(kind)
        )
        if path is None:
            return False
        written = self.guard(
            lambda: self._write_pdf(pupil.id, kind, path, case.id), "The PDF was not saved"
        )
        if written is None:
            return False
        self.output_label.setText(f"Saved the {self.DOCUMENT_NAMES[kind]} to {written}.")
        return True
