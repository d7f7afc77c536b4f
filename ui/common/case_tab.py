"""A pupil tab that shows one case (episode of support) at a time: the PSP and Closure tabs.

The case shown is the pupil's current one; a combo box (visible only when the pupil has had
more than one case) switches to earlier ones. Subclasses build `case_combo` and
`output_label` and implement `_show_case`. After a change (the change broadcast calls
`refresh`) the same case stays selected.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from semh_desktop.core.store import Store
from semh_desktop.plans import cases
from semh_desktop.plans.cases import Case
from semh_desktop.register.pupils import Pupil
from ui.common.pupil_tab import PupilTab


class CaseTab(PupilTab):
    case_combo: QComboBox
    output_label: QLabel

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
