"""Dialogs of the PSP tab: plan, target or goal, case aim, network person, review dates.

None of them queries the database: the tab hands in what they need (staff list, a validate
function, the plan type) and gets the typed result from `ask()`.
Every message is shown under its field; the dialog stays open until the input is valid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from semh_desktop.core.dates import format_date
from semh_desktop.plans.case_aims import SUGGESTED_AIMS
from semh_desktop.plans.cases import NETWORK_ROLES, REFERRAL_ROUTES, CaseDetails, review_dates
from semh_desktop.plans.plan_types import MAX_WEEKS, MIN_WEEKS, PLAN_TYPES, TARGET_KINDS, PlanType
from semh_desktop.plans.targets import WORDING_LABELS, TargetWording
from semh_desktop.register.staff import Staff
from ui.common import theme
from ui.common.form_dialog import FormDialog, add_or_edit, read_date, select

# --- the plan (a case) -----------------------------------------------------------------------


class PlanDialog(FormDialog[CaseDetails]):
    """Open a case: referral, consent, worker and the plan (type, start, length)."""

    def __init__(
        self,
        validate: Callable[[CaseDetails], dict[str, str]],
        workers: Sequence[Staff],
        details: CaseDetails | None = None,
        *,
        today: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        editing = details is not None
        super().__init__(
            *add_or_edit(editing, "Create a plan", "Create plan", "Edit the plan"),
            parent,
            validate=validate,
        )
        self.setObjectName("planDialog")
        self._today = today
        self._weeks_touched = editing
        self.referral_date_edit = self.line("dd/mm/yyyy")
        self.route_combo = QComboBox()
        for key, label in REFERRAL_ROUTES.items():
            self.route_combo.addItem(label, key)
        self.referred_by_edit = self.line("Name or role, e.g. Head of Year 8")
        self.reason_edit = self.text_box(3)
        self.consent_date_edit = self.line("dd/mm/yyyy (leave empty if not yet given)")
        self.consent_by_edit = self.line("e.g. Mum (Ms Ellwood)")
        self.worker_combo = QComboBox()
        self.worker_combo.addItem("Not chosen yet", None)
        for person in workers:
            self.worker_combo.addItem(f"{person.name} ({person.role_label})", person.id)
        self.plan_type_combo = QComboBox()
        for plan in PLAN_TYPES.values():
            self.plan_type_combo.addItem(f"{plan.label} (scored {plan.scale.label})", plan.key)
        self.start_date_edit = self.line("dd/mm/yyyy")
        self.weeks_spin = QSpinBox()
        self.weeks_spin.setRange(MIN_WEEKS, MAX_WEEKS)
        self.weeks_spin.setSuffix(" weeks")
        self.review_label = QLabel()
        self.review_label.setObjectName("reviewDatesPreview")
        theme.set_role(self.review_label, "muted")

        self.add_field("referral_date", "&Referral date", self.referral_date_edit, required=True)
        self.add_field("referral_route", "Referred &through", self.route_combo)
        self.add_field("referred_by", "Referred &by", self.referred_by_edit, required=True)
        self.add_field("reason", "Rea&son", self.reason_edit, required=True)
        self.add_field("consent_date", "Parent &consent on", self.consent_date_edit)
        self.add_field("consent_by", "Consent &given by", self.consent_by_edit)
        self.add_field("worker_id", "&Worker", self.worker_combo)
        self.add_field("plan_type", "&Plan type", self.plan_type_combo, required=True)
        self.add_field(
            "start_date",
            "S&tart date",
            self.start_date_edit,
            required=True,
            hint="The contracting meeting, where the baseline is scored.",
        )
        self.add_field(
            "length_weeks",
            "&Length",
            self.weeks_spin,
            hint="A PSP usually lasts 8 weeks; 12 or 16 are common too.",
        )
        self.form.addRow("", self.review_label)
        self.finish_layout(
            "Fields marked * are required. Reviews fall at the mid-point and "
            "at the end; they can be moved later."
        )

        self.plan_type_combo.currentIndexChanged.connect(self._plan_type_changed)
        self.weeks_spin.valueChanged.connect(self._weeks_changed)
        self.start_date_edit.textChanged.connect(self._update_review_dates)
        self.set_details(details or CaseDetails(referral_date=today, start_date=today))
        self.resize(max(self.sizeHint().width(), 620), self.sizeHint().height())

    def set_details(self, details: CaseDetails) -> None:
        self.referral_date_edit.setText(format_date(details.referral_date))
        select(self.route_combo, details.referral_route)
        self.referred_by_edit.setText(details.referred_by)
        self.reason_edit.setPlainText(details.reason)
        self.consent_date_edit.setText(format_date(details.consent_date))
        self.consent_by_edit.setText(details.consent_by)
        select(self.worker_combo, details.worker_id)
        select(self.plan_type_combo, details.plan_type)
        self.weeks_spin.blockSignals(True)
        self.weeks_spin.setValue(
            details.length_weeks or PLAN_TYPES[details.plan_type].default_weeks
        )
        self.weeks_spin.blockSignals(False)
        self.start_date_edit.setText(format_date(details.start_date))
        self._update_review_dates()

    def _plan_type_changed(self) -> None:
        if not self._weeks_touched:
            plan = PLAN_TYPES[str(self.plan_type_combo.currentData())]
            self.weeks_spin.blockSignals(True)
            self.weeks_spin.setValue(plan.default_weeks)
            self.weeks_spin.blockSignals(False)
        self._update_review_dates()

    def _weeks_changed(self) -> None:
        self._weeks_touched = True
        self._update_review_dates()

    def _update_review_dates(self) -> None:
        start = read_date(self.start_date_edit, "start_date", {})
        if start is None:
            self.review_label.setText("Review dates appear when the start date is filled in.")
            return
        mid, final = review_dates(start, self.weeks_spin.value())
        self.review_label.setText(
            f"Mid-point review {format_date(mid)} · final review {format_date(final)}"
        )

    def read(self, errors: dict[str, str]) -> CaseDetails:
        return CaseDetails(
            referral_date=read_date(self.referral_date_edit, "referral_date", errors),
            referral_route=str(self.route_combo.currentData()),
            referred_by=self.referred_by_edit.text(),
            reason=self.reason_edit.toPlainText(),
            consent_date=read_date(self.consent_date_edit, "consent_date", errors),
            consent_by=self.consent_by_edit.text(),
            worker_id=self.worker_combo.currentData(),
            plan_type=str(self.plan_type_combo.currentData()),
            start_date=read_date(self.start_date_edit, "start_date", errors),
            length_weeks=self.weeks_spin.value(),
        )

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        validate: Callable[[CaseDetails], dict[str, str]],
        workers: Sequence[Staff],
        details: CaseDetails | None = None,
        *,
        today: dt.date,
    ) -> CaseDetails | None:
        return cls(validate, workers, details, today=today, parent=parent).run()


# --- a target or goal ------------------------------------------------------------------------


class TargetDialog(FormDialog[tuple[str, TargetWording]]):
    """A target (or family-plan goal) in child-centred words, with who does what."""

    def __init__(
        self,
        plan: PlanType,
        wording: TargetWording | None = None,
        kind: str | None = None,
        *,
        kind_fixed: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        word = plan.target_word
        editing = wording is not None
        super().__init__(
            *add_or_edit(editing, f"Add a {word}", f"Add {word}", f"Edit {word}"), parent
        )
        self.setObjectName("targetDialog")
        self.kind_combo = QComboBox()
        for key in plan.target_kinds:
            self.kind_combo.addItem(TARGET_KINDS[key], key)
        select(self.kind_combo, kind or plan.target_kinds[0])
        self.kind_combo.setEnabled(not kind_fixed and len(plan.target_kinds) > 1)
        self.edits: dict[str, QPlainTextEdit | QLineEdit] = {
            "target_text": self.text_box(2),
            "pupil_actions": self.text_box(2),
            "school_actions": self.text_box(2),
            "family_actions": self.text_box(2),
            "strengths": self.text_box(2),
            "rewards": self.line("e.g. choosing the class game on Friday"),
            "responsible": self.line("e.g. Mr Whitlock (learning mentor)"),
        }
        self.add_field(
            "kind",
            "&Kind",
            self.kind_combo,
            hint="The kind is fixed once the target has a score." if kind_fixed else "",
        )
        labels = dict(WORDING_LABELS)
        labels["target_text"] = "&Target" if word == "target" else "&Goal"
        hints = {
            "target_text": "In the pupil's own words, e.g. “I can stay in class for the "
            "whole lesson”."
        }
        for field, edit in self.edits.items():
            self.add_field(
                field,
                labels[field],
                edit,
                required=field == "target_text",
                hint=hints.get(field, ""),
            )
        if editing:
            assert wording is not None
            for field, edit in self.edits.items():
                value = getattr(wording, field)
                if isinstance(edit, QPlainTextEdit):
                    edit.setPlainText(value)
                else:
                    edit.setText(value)
        self.finish_layout(
            "Changing the words after the baseline keeps the earlier version in the plan's history."
            if editing
            else "Fields marked * are required."
        )
        self.resize(max(self.sizeHint().width(), 640), self.sizeHint().height())

    def read(self, errors: dict[str, str]) -> tuple[str, TargetWording]:
        values = {
            f: (e.toPlainText() if isinstance(e, QPlainTextEdit) else e.text())
            for f, e in self.edits.items()
        }
        return str(self.kind_combo.currentData()), TargetWording(**values)

    def validate(self, value: tuple[str, TargetWording]) -> dict[str, str]:
        return value[1].validate()

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        plan: PlanType,
        wording: TargetWording | None = None,
        kind: str | None = None,
        *,
        kind_fixed: bool = False,
    ) -> tuple[str, TargetWording] | None:
        return cls(plan, wording, kind, kind_fixed=kind_fixed, parent=parent).run()


# --- a case aim ------------------------------------------------------------------------------


class AimDialog(FormDialog[str]):
    """A case aim: one of the suggestions, or free text."""

    def __init__(self, aim: str = "", parent: QWidget | None = None) -> None:
        super().__init__(*add_or_edit(aim, "Add a case aim", "Add aim", "Edit case aim"), parent)
        self.setObjectName("aimDialog")
        self.aim_combo = QComboBox()
        self.aim_combo.setEditable(True)
        self.aim_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.aim_combo.addItems(list(SUGGESTED_AIMS.values()))
        self.aim_combo.setCurrentText(aim)
        line = self.aim_combo.lineEdit()
        if line is not None:
            line.setPlaceholderText("Choose a suggestion or type your own")
        self.aim_combo.setMinimumWidth(420)
        self.add_field(
            "aim",
            "&Aim",
            self.aim_combo,
            required=True,
            hint="About the system around the child; scored 1-10 at the baseline "
            "and at the final review.",
        )
        self.finish_layout()

    def collect(self) -> dict[str, str]:
        text = " ".join(self.aim_combo.currentText().split())
        return self.keep(text, {} if text else {"aim": "Choose a suggested aim or write one."})

    @classmethod
    def ask(cls, parent: QWidget | None, aim: str = "") -> str | None:
        return cls(aim, parent).run()


# --- a person in the network -----------------------------------------------------------------


class NetworkPersonDialog(FormDialog[tuple[str, str, str]]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Add a person to the network", "Add person", parent)
        self.setObjectName("networkDialog")
        self.role_combo = QComboBox()
        self.role_combo.setEditable(True)
        self.role_combo.addItems(list(NETWORK_ROLES))
        self.name_edit = self.line("e.g. Mrs Okafor, or Mum")
        self.note_edit = self.line("e.g. daily check-in at 8.45")
        self.add_field("role", "&Role", self.role_combo, required=True)
        self.add_field("name", "&Name", self.name_edit)
        self.add_field("note", "How they &help", self.note_edit)
        self.finish_layout(
            "The network around the child is printed on the plan; the child's "
            "handout lists them under “Who helps me”."
        )

    def collect(self) -> dict[str, str]:
        role = " ".join(self.role_combo.currentText().split())
        errors = {} if role else {"role": "Choose or type the person's role."}
        return self.keep((role, self.name_edit.text(), self.note_edit.text()), errors)

    @classmethod
    def ask(cls, parent: QWidget | None) -> tuple[str, str, str] | None:
        return cls(parent).run()


# --- moving the review dates -----------------------------------------------------------------


class ReviewDatesDialog(FormDialog[tuple[dt.date | None, dt.date | None]]):
    """Move the mid-point and final reviews; empty fields go back to the computed dates."""

    def __init__(
        self,
        computed: tuple[dt.date, dt.date],
        current: tuple[dt.date, dt.date],
        start: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Move review dates", "Save dates", parent)
        self.setObjectName("reviewDatesDialog")
        self._computed = computed
        self._start = start
        self.mid_edit = self.line("dd/mm/yyyy")
        self.final_edit = self.line("dd/mm/yyyy")
        self.mid_edit.setText(format_date(current[0]))
        self.final_edit.setText(format_date(current[1]))
        self.add_field(
            "mid_review",
            "&Mid-point review",
            self.mid_edit,
            hint=f"Computed: {format_date(computed[0])}. Leave empty to use it.",
        )
        self.add_field(
            "final_review",
            "&Final review",
            self.final_edit,
            hint=f"Computed: {format_date(computed[1])}. Leave empty to use it.",
        )
        self.finish_layout()

    def collect(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        mid = read_date(self.mid_edit, "mid_review", errors)
        final = read_date(self.final_edit, "final_review", errors)
        if not errors:
            effective_mid = mid or self._computed[0]
            effective_final = final or self._computed[1]
            if effective_mid < self._start:
                errors["mid_review"] = "The mid-point review cannot come before the plan starts."
            elif effective_final <= effective_mid:
                errors["final_review"] = "The final review must come after the mid-point review."
        return self.keep((mid, final), errors)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        computed: tuple[dt.date, dt.date],
        current: tuple[dt.date, dt.date],
        start: dt.date,
    ) -> tuple[dt.date | None, dt.date | None] | None:
        return cls(computed, current, start, parent).run()
