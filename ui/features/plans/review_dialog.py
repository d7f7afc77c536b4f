"""The Review dialog: one scoring point's meeting, walked through target by target.

Step 1 records the meeting (which scoring point, the date, who is present). Then, for each
target (and each case aim at the baseline and final review): every person present gives their
own score first, the spread is shown and a gap of 3 points or more is flagged in words and
colour, then the agreed score is recorded, with notes and, after the baseline, any adjusted
actions. The dialog never touches the database: `entry` is the `scaling.ReviewEntry` the tab
stores with `scaling.record_review`.

If the window locks during the meeting, the dialog's people, pages and every score and note are
kept as a draft (ui/common/drafts.py): `draft_layout` and `rebuild_for_draft` rebuild the rows
and pages that were added as it went, so the same person gets the same step back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.dates import format_date
from semh_desktop.plans.plan_types import Scale
from semh_desktop.plans.scaling import (
    BASELINE,
    FINAL,
    MID,
    PERSON_ROLES,
    ItemScoring,
    Person,
    ReviewEntry,
    ScoringPoint,
    Spread,
    extra,
    spread,
)
from semh_desktop.plans.targets import TargetWording
from ui.common import theme
from ui.common.form_dialog import FormFields, FormSection, exec_dialog, read_date, select

POINT_CHOICES = (BASELINE, MID, FINAL, extra())
NOT_GIVEN = "Not given"


@dataclass(frozen=True)
class ReviewItem:
    """A target or case aim as the dialog needs it (handed in by the tab)."""

    label: str  # "Target 1", "Aim 2"
    text: str
    kind_label: str
    scale: Scale
    has_baseline: bool
    target_id: str | None = None
    aim_id: str | None = None
    wording: TargetWording | None = None
    last_agreed: int | None = None
    last_point: str = ""

    @property
    def key(self) -> str:
        return self.target_id or self.aim_id or ""

    @property
    def is_aim(self) -> bool:
        return self.aim_id is not None


def items_for_point(items: Sequence[ReviewItem], point: ScoringPoint) -> list[ReviewItem]:
    """Baseline: everything. Mid-point and extra reviews: targets. Final: targets and aims.

    After the baseline only items that have a baseline can be scored.
    """
    if point.is_baseline:
        return list(items)
    chosen = [i for i in items if i.has_baseline]
    if point.point in ("mid", "extra"):
        chosen = [i for i in chosen if not i.is_aim]
    return chosen


class PersonRow(QWidget):
    """One person present: role, optional name, and a Remove button."""

    def __init__(self, number: int, person: Person, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role_combo = QComboBox()
        for key, label in PERSON_ROLES.items():
            self.role_combo.addItem(label, key)
        select(self.role_combo, person.role)
        self.name_edit = QLineEdit(person.name)
        self.name_edit.setPlaceholderText("Name (optional)")
        self.remove_button = QPushButton("Remove")
        self.set_number(number)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.role_combo)
        layout.addWidget(self.name_edit, 1)
        layout.addWidget(self.remove_button)

    def set_number(self, number: int) -> None:
        self.role_combo.setAccessibleName(f"Person {number}: role")
        self.name_edit.setAccessibleName(f"Person {number}: name")
        self.remove_button.setAccessibleName(f"Remove person {number}")

    @property
    def person(self) -> Person:
        return Person(str(self.role_combo.currentData()), " ".join(self.name_edit.text().split()))


def score_spin(scale: Scale, special: str, name: str) -> QSpinBox:
    """A score box whose lowest position means 'no score' (shown as `special`)."""
    spin = QSpinBox()
    spin.setRange(scale.low - 1, scale.high)
    spin.setSpecialValueText(special)
    spin.setValue(scale.low - 1)
    spin.setAccessibleName(name)
    spin.setMinimumWidth(110)
    return spin


def spin_value(spin: QSpinBox) -> int | None:
    return None if spin.value() == spin.minimum() else spin.value()


class ItemPage(QWidget):
    """Independent scores, then the agreed score, then notes and adjusted actions."""

    def __init__(
        self,
        item: ReviewItem,
        people: Sequence[Person],
        number: int,
        count: int,
        point: ScoringPoint,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.item = item
        self.people = list(people)
        scale = item.scale
        heading = QLabel(
            f"{item.label} of the plan — {number} of {count} to score ({item.kind_label.lower()})"
        )
        theme.set_role(heading, "muted")
        text = QLabel(item.text)
        text.setTextFormat(Qt.TextFormat.PlainText)  # the target as staff typed it
        text.setObjectName("reviewItemText")
        text.setWordWrap(True)
        theme.set_role(text, "heading")
        last = ""
        if item.last_agreed is not None:
            last = f"Last agreed score: {item.last_agreed} ({item.last_point.lower()}). "
        scale_hint = QLabel(f"{last}Scores run from {scale.low} to {scale.high}.")
        theme.set_role(scale_hint, "muted")

        own = QGroupBox("1. Each person's own score, before talking it through")
        grid = QGridLayout(own)
        self.own_spins: list[QSpinBox] = []
        if not self.people:
            none = QLabel(
                "No one is listed as present; go back to add people, or record only "
                "the agreed score."
            )
            none.setWordWrap(True)
            theme.set_role(none, "muted")
            grid.addWidget(none, 0, 0)
        for row, person in enumerate(self.people):
            label = QLabel(person.label)
            label.setTextFormat(Qt.TextFormat.PlainText)  # a name typed at the meeting
            spin = score_spin(scale, NOT_GIVEN, f"{person.label}: own score for {item.label}")
            label.setBuddy(spin)
            spin.valueChanged.connect(self._update_spread)
            grid.addWidget(label, row, 0)
            grid.addWidget(spin, row, 1)
            self.own_spins.append(spin)
        grid.setColumnStretch(2, 1)
        self.spread_label = QLabel()
        self.spread_label.setObjectName("spreadLabel")
        self.spread_label.setWordWrap(True)
        grid.addWidget(self.spread_label, len(self.people) + 1, 0, 1, 3)

        self.agreed_box = FormSection("2. The agreed score")
        self.agreed_spin = score_spin(scale, "Choose a score", f"Agreed score for {item.label}")
        self.agreed_box.add_field(
            "agreed", "&Agreed score", self.agreed_spin, required=True, align_left=True
        )
        self.agreed_message = self.agreed_box.message("agreed")
        self.agreed_spin.valueChanged.connect(lambda _v: self.agreed_box.show_errors({}))

        notes_box = QGroupBox(
            "3. Notes" + ("" if item.is_aim or point.is_baseline else " and adjusted actions")
        )
        notes_form = QFormLayout(notes_box)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setAccessibleName(f"Notes for {item.label}")
        self.note_edit.setFixedHeight(self.note_edit.fontMetrics().lineSpacing() * 3 + 16)
        notes_form.addRow("&Notes", self.note_edit)
        self.action_edits: dict[str, QPlainTextEdit] = {}
        if item.wording is not None and not point.is_baseline:
            for field, title in (
                ("school_actions", "What &school will do"),
                ("family_actions", "What the &family will do"),
                ("pupil_actions", "What the &pupil will do"),
            ):
                edit = QPlainTextEdit(getattr(item.wording, field))
                edit.setTabChangesFocus(True)
                edit.setAccessibleName(f"{title.replace('&', '')} ({item.label})")
                edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 2 + 16)
                notes_form.addRow(title, edit)
                self.action_edits[field] = edit

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(text)
        layout.addWidget(scale_hint)
        layout.addWidget(own)
        layout.addWidget(self.agreed_box)
        layout.addWidget(notes_box)
        layout.addStretch(1)
        self._update_spread()

    def own_scores(self) -> dict[int, int]:
        found = {}
        for index, spin in enumerate(self.own_spins):
            value = spin_value(spin)
            if value is not None:
                found[index] = value
        return found

    def spread(self) -> Spread | None:
        return spread(self.own_scores().values())

    def _update_spread(self) -> None:
        found = self.spread()
        if found is None:
            text = "No one has given their own score yet."
            role = "muted"
        elif found.disagreement:
            text = f"Disagreement: {found.describe()}"
            role = "warning"
        else:
            text = found.describe()
            role = "muted"
        self.spread_label.setText(text)
        self.spread_label.setAccessibleName(text)
        theme.set_role(self.spread_label, role)
        self.spread_label.setProperty(
            "disagreement", "true" if found and found.disagreement else "false"
        )

    def check(self) -> bool:
        errors = {}
        if spin_value(self.agreed_spin) is None:
            errors["agreed"] = (
                "Give the agreed score before going on (everyone's own scores are kept too)."
            )
        return self.agreed_box.show_errors(errors)

    def adjusted(self) -> TargetWording | None:
        if self.item.wording is None or not self.action_edits:
            return None
        changes = {f: e.toPlainText() for f, e in self.action_edits.items()}
        if all(
            " ".join(v.split()) == " ".join(getattr(self.item.wording, f).split())
            for f, v in changes.items()
        ):
            return None
        return replace(self.item.wording, **changes)

    def scoring(self) -> ItemScoring:
        return ItemScoring(
            target_id=self.item.target_id,
            aim_id=self.item.aim_id,
            agreed=spin_value(self.agreed_spin),
            independent=self.own_scores(),
            note=self.note_edit.toPlainText(),
            adjusted=self.adjusted(),
        )

    def carry_over(self, other: ItemPage) -> None:
        """Keep what was typed when the pages are rebuilt (people added or removed)."""
        self.agreed_spin.setValue(other.agreed_spin.value())
        self.note_edit.setPlainText(other.note_edit.toPlainText())
        for field, edit in self.action_edits.items():
            if field in other.action_edits:
                edit.setPlainText(other.action_edits[field].toPlainText())
        for index, spin in enumerate(self.own_spins[: len(other.own_spins)]):
            spin.setValue(other.own_spins[index].value())


class ReviewDialog(QDialog):
    def __init__(
        self,
        items: Sequence[ReviewItem],
        *,
        point: ScoringPoint,
        today: dt.date,
        earliest: dt.date | None = None,
        people: Sequence[Person] = (),
        title: str = "Review",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reviewDialog")
        self.setWindowTitle(title)
        self.setModal(True)
        self._items = list(items)
        self._today = today
        self._earliest = earliest
        self.entry: ReviewEntry | None = None
        self.item_pages: list[ItemPage] = []
        self.person_rows: list[PersonRow] = []

        # Step 1: the meeting.
        self.point_combo = QComboBox()
        self.point_combo.setAccessibleName("Scoring point")
        for choice in POINT_CHOICES:
            self.point_combo.addItem(choice.label, choice.point)
        select(self.point_combo, point.point)
        self.date_edit = QLineEdit(format_date(today))
        self.date_edit.setPlaceholderText("dd/mm/yyyy")
        self.date_edit.setAccessibleName("Date of the meeting")
        self.people_box = QVBoxLayout()
        self.people_box.setSpacing(4)
        self.add_person_button = QPushButton("&Add person")
        self.add_person_button.setAccessibleName("Add a person present")
        self.add_person_button.clicked.connect(lambda: self.add_person("parent_carer"))
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setAccessibleName("Notes on the meeting")
        self.notes_edit.setFixedHeight(self.notes_edit.fontMetrics().lineSpacing() * 3 + 16)

        meeting = QWidget()
        form = QFormLayout(meeting)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.meeting_fields = FormFields(form)
        self.meeting_fields.add("point", "Scoring &point", self.point_combo)
        self.meeting_fields.add("held_on", "&Date", self.date_edit, required=True)
        self.point_message = self.meeting_fields.message("point")
        self.date_message = self.meeting_fields.message("held_on")
        people_widget = QWidget()
        people_layout = QVBoxLayout(people_widget)
        people_layout.setContentsMargins(0, 0, 0, 0)
        people_layout.addLayout(self.people_box)
        people_layout.addWidget(self.add_person_button, 0, Qt.AlignmentFlag.AlignLeft)
        hint = QLabel(
            "Each person present can give their own score before the score is "
            "agreed, so that nobody simply follows the first score."
        )
        hint.setWordWrap(True)
        theme.set_role(hint, "hint")
        people_layout.addWidget(hint)
        form.addRow("People present", people_widget)
        self.meeting_fields.add_plain("Meeting &notes", self.notes_edit)
        for person in people:
            self.add_person(person.role, person.name)

        self.pages = QStackedWidget()
        self.pages.addWidget(meeting)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.pages)

        self.step_label = QLabel()
        self.step_label.setObjectName("reviewStep")
        theme.set_role(self.step_label, "heading")
        self.back_button = QPushButton("&Back")
        self.next_button = QPushButton("&Next")
        self.next_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        for button in (self.back_button, self.next_button, self.cancel_button):
            button.setAccessibleName(button.text().replace("&", ""))
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 16)
        outer.addWidget(self.step_label)
        outer.addWidget(scroll, 1)
        outer.addLayout(buttons)
        self._update_step()
        self.resize(720, 680)
        self.point_combo.setFocus()

    # -- people -------------------------------------------------------------------------------

    def add_person(self, role: str = "parent_carer", name: str = "") -> PersonRow:
        row = PersonRow(len(self.person_rows) + 1, Person(role, name))
        row.remove_button.clicked.connect(lambda: self.remove_person(row))
        self.person_rows.append(row)
        self.people_box.addWidget(row)
        row.role_combo.setFocus()
        return row

    def remove_person(self, row: PersonRow) -> None:
        self.person_rows.remove(row)
        self.people_box.removeWidget(row)
        row.setParent(None)  # out of the widget tree at once (a draft walks it)
        row.deleteLater()
        for number, remaining in enumerate(self.person_rows, start=1):
            remaining.set_number(number)
        self.add_person_button.setFocus()

    @property
    def people(self) -> list[Person]:
        return [row.person for row in self.person_rows]

    # -- the point ----------------------------------------------------------------------------

    @property
    def point(self) -> ScoringPoint:
        chosen = str(self.point_combo.currentData())
        return next(p for p in POINT_CHOICES if p.point == chosen)

    def _held_on(self, errors: dict[str, str]) -> dt.date | None:
        """The meeting date, or None with the reason in `errors`."""
        day = read_date(self.date_edit, "held_on", errors, missing="Enter the date of the meeting.")
        if day is None:
            return None
        if day > self._today:
            errors["held_on"] = "The meeting date cannot be in the future."
            return None
        if self._earliest is not None and day < self._earliest:
            errors["held_on"] = (
                f"The meeting cannot be before {format_date(self._earliest)}, "
                "when the pupil was referred."
            )
            return None
        return day

    def _check_meeting(self) -> dt.date | None:
        """Step 1 checked, each message under its field; the meeting date when all is well."""
        errors: dict[str, str] = {}
        held_on = self._held_on(errors)
        if not items_for_point(self._items, self.point):
            errors["point"] = "Nothing can be scored at this point yet: record the baseline first."
        return held_on if self.meeting_fields.show(errors) else None

    # -- navigation ---------------------------------------------------------------------------

    @property
    def current_page(self) -> ItemPage | None:
        widget = self.pages.currentWidget()
        return widget if isinstance(widget, ItemPage) else None

    def _build_item_pages(self) -> None:
        chosen = items_for_point(self._items, self.point)
        old = {page.item.key: page for page in self.item_pages}
        for page in self.item_pages:
            self.pages.removeWidget(page)
            page.setParent(None)  # out of the widget tree at once (a draft walks it)
            page.deleteLater()
        people = self.people
        self.item_pages = []
        for number, item in enumerate(chosen, start=1):
            page = ItemPage(item, people, number, len(chosen), self.point)
            if item.key in old:
                page.carry_over(old[item.key])
            self.item_pages.append(page)
            self.pages.addWidget(page)

    def go_next(self) -> None:
        index = self.pages.currentIndex()
        if index == 0:
            if self._check_meeting() is None:
                return
            self._build_item_pages()
        else:
            page = self.current_page
            if page is not None and not page.check():
                return
            if index == len(self.item_pages):
                self.finish()
                return
        self.pages.setCurrentIndex(index + 1)
        self._update_step()
        page = self.current_page
        if page is not None:
            (page.own_spins[0] if page.own_spins else page.agreed_spin).setFocus()

    def go_back(self) -> None:
        index = self.pages.currentIndex()
        if index > 0:
            self.pages.setCurrentIndex(index - 1)
            self._update_step()

    def _update_step(self) -> None:
        index = self.pages.currentIndex()
        total = 1 + (
            len(self.item_pages) if index else len(items_for_point(self._items, self.point))
        )
        page = self.current_page
        what = "the meeting" if page is None else f"{page.item.label}"
        self.step_label.setText(f"Step {index + 1} of {total}: {what}")
        self.back_button.setEnabled(index > 0)
        last = index > 0 and index == len(self.item_pages)
        self.next_button.setText("&Save review" if last else "&Next")
        self.next_button.setAccessibleName("Save review" if last else "Next")

    def finish(self) -> None:
        held_on = self._check_meeting()
        if held_on is None:
            self.pages.setCurrentIndex(0)
            self._update_step()
            return
        for number, page in enumerate(self.item_pages, start=1):
            if not page.check():
                self.pages.setCurrentIndex(number)
                self._update_step()
                return
        self.entry = ReviewEntry(
            point=self.point,
            held_on=held_on,
            people=self.people,
            items=[page.scoring() for page in self.item_pages],
            notes=self.notes_edit.toPlainText(),
        )
        self.accept()

    # -- drafts (the window locked during the meeting) ------------------------------------------

    def draft_layout(self) -> dict[str, object]:
        """What was built as the meeting went: the people listed and whether pages exist."""
        return {
            "people": [[p.role, p.name] for p in self.people],
            "point": self.point.point,
            "pages": bool(self.item_pages),
        }

    def rebuild_for_draft(self, layout: dict[str, object]) -> None:
        for row in list(self.person_rows):
            self.remove_person(row)
        people = layout.get("people")
        for entry in people if isinstance(people, list) else []:
            self.add_person(str(entry[0]), str(entry[1]))
        select(self.point_combo, layout.get("point"))
        if layout.get("pages"):
            self._build_item_pages()

    def after_draft_restore(self) -> None:
        self._update_step()
        page = self.current_page
        if page is not None:
            page._update_spread()

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        items: Sequence[ReviewItem],
        *,
        point: ScoringPoint,
        today: dt.date,
        earliest: dt.date | None = None,
        people: Sequence[Person] = (),
    ) -> ReviewEntry | None:
        dialog = cls(
            items, point=point, today=today, earliest=earliest, people=people, parent=parent
        )
        return dialog.entry if exec_dialog(dialog) else None
