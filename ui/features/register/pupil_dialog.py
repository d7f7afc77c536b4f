"""Add or edit a pupil. The dialog never queries the database: the window hands it `validate`.

    details = PupilDialog.ask(window, validate=lambda d: pupils.validate(store, d))

Each error is shown in red under its field (warnings, such as an unknown local-authority code,
in amber) and the dialog stays open; it accepts only input that validates. Warnings need a
second press of Save, so that they are read rather than missed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.dates import format_date, parse_date
from semh_desktop.core.errors import ValidationError
from semh_desktop.register.pupils import (
    PRIMARY_NEEDS,
    SEN_PROVISION,
    SEXES,
    SOCIAL_CARE,
    PupilDetails,
    Validation,
    year_group_label,
)
from ui.common import theme
from ui.common.widgets import FieldMessage, field_with_message, mark_invalid

Validator = Callable[[PupilDetails], Validation]


def _year_text(year: int) -> str:
    if year == 0:
        return "Reception"
    label = year_group_label(year)
    return f"Year {year}" if label.startswith("Y") else label


class PupilDialog(QDialog):
    def __init__(
        self,
        validate: Validator,
        details: PupilDetails | None = None,
        *,
        title: str = "Add a pupil",
        save_text: str = "Add pupil",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pupilDialog")
        self.setWindowTitle(title)
        self.setModal(True)
        self._validate = validate
        self._result: PupilDetails | None = None
        self._warned_for: PupilDetails | None = None
        self._editing = details is not None
        self.messages: dict[str, FieldMessage] = {}
        self._fields: dict[str, QWidget] = {}

        self.legal_forename_edit = self._line("legal_forename", "Legal first name")
        self.legal_surname_edit = self._line("legal_surname", "Legal surname")
        self.preferred_forename_edit = self._line(
            "preferred_forename", "Preferred first name", placeholder="If different"
        )
        self.preferred_surname_edit = self._line(
            "preferred_surname", "Preferred surname", placeholder="If different"
        )
        self.dob_edit = self._line("date_of_birth", "Date of birth", placeholder="dd/mm/yyyy")
        self.upn_edit = self._line("upn", "UPN", placeholder="13 characters, e.g. B801200005001")
        self.upn_edit.setMaxLength(20)
        self.sex_combo = self._combo(
            "sex",
            "Sex",
            [("Not recorded", None)] + [(label, code) for code, label in SEXES.items()],
        )
        self.ethnicity_edit = self._line(
            "ethnicity", "Ethnicity", placeholder="DfE code, e.g. WBRI (optional)"
        )
        self.year_combo = self._combo(
            "year_group", "Year group", [(_year_text(y), y) for y in range(-2, 15)]
        )
        self.reg_group_edit = self._line("reg_group", "Registration group", placeholder="e.g. 8H")
        self.sen_combo = self._combo(
            "sen_provision",
            "SEN provision",
            [(f"{code} – {label}", code) for code, label in SEN_PROVISION.items()],
        )
        self.need_combo = self._combo(
            "primary_need",
            "Primary need",
            [("None recorded", None)]
            + [(f"{code} – {label}", code) for code, label in PRIMARY_NEEDS.items()],
        )
        self.social_care_combo = self._combo(
            "social_care",
            "Children's social care",
            [(label if code else "None", code) for code, label in SOCIAL_CARE.items()],
        )
        self.pupil_premium_check = self._check("pupil_premium", "Pupil Premium")
        self.young_carer_check = self._check("young_carer", "Young carer")
        self.eal_check = self._check("eal", "English as an additional language (EAL)")
        self.at_risk_pex_check = self._check("at_risk_pex", "At risk of permanent exclusion")
        self.register_check = self._check("on_semh_register", "On the SEMH register")

        identity = QGroupBox("Pupil")
        identity_form = self._form(identity)
        self._add_row(identity_form, "Legal &first name", "legal_forename")
        self._add_row(identity_form, "Legal &surname", "legal_surname")
        self._add_row(identity_form, "Preferred first name", "preferred_forename")
        self._add_row(identity_form, "Preferred surname", "preferred_surname")
        self._add_row(identity_form, "&Date of birth", "date_of_birth")
        self._add_row(identity_form, "&UPN", "upn")
        self._add_row(identity_form, "Se&x", "sex")
        self._add_row(identity_form, "Ethnicity", "ethnicity")

        school = QGroupBox("School and needs")
        school_form = self._form(school)
        self._add_row(school_form, "&Year group", "year_group")
        self._add_row(school_form, "&Registration group", "reg_group")
        self._add_row(school_form, "SEN &provision", "sen_provision")
        self._add_row(school_form, "Primary &need", "primary_need")
        self._add_row(school_form, "Social &care", "social_care")
        flags = QWidget()
        flags_layout = QVBoxLayout(flags)
        flags_layout.setContentsMargins(0, 4, 0, 0)
        flags_layout.setSpacing(6)
        for check in (
            self.pupil_premium_check,
            self.young_carer_check,
            self.eal_check,
            self.at_risk_pex_check,
        ):
            flags_layout.addWidget(check)
        flags_layout.addSpacing(6)
        flags_layout.addWidget(self.register_check)
        flags_label = QLabel("Flags")
        theme.set_role(flags_label, "fieldLabel")
        school_form.addRow(flags_label, flags)

        columns = QHBoxLayout()
        columns.setSpacing(14)
        columns.addWidget(identity, 1)
        columns.addWidget(school, 1)

        self.summary = QLabel()
        self.summary.setObjectName("dialogSummary")
        self.summary.setWordWrap(True)
        self.summary.setVisible(False)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = self.buttons.addButton(
            save_text, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setDefault(True)
        self.ok_button.setAccessibleName(save_text)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 16)
        outer.setSpacing(12)
        intro = QLabel(
            "Fields marked * are required. Names may include accents and "
            "apostrophes (Siân, Zoë, O'Neill)."
        )
        theme.set_role(intro, "muted")
        intro.setWordWrap(True)
        outer.addWidget(intro)
        outer.addLayout(columns)
        outer.addWidget(self.summary)
        outer.addWidget(self.buttons)

        order: list[QWidget] = [
            self.legal_forename_edit,
            self.legal_surname_edit,
            self.preferred_forename_edit,
            self.preferred_surname_edit,
            self.dob_edit,
            self.upn_edit,
            self.sex_combo,
            self.ethnicity_edit,
            self.year_combo,
            self.reg_group_edit,
            self.sen_combo,
            self.need_combo,
            self.social_care_combo,
            self.pupil_premium_check,
            self.young_carer_check,
            self.eal_check,
            self.at_risk_pex_check,
            self.register_check,
            self.ok_button,
            self.cancel_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        self.set_details(details or PupilDetails())
        self.legal_forename_edit.setFocus()
        self.resize(max(self.sizeHint().width(), 820), self.sizeHint().height())

    # -- building ----------------------------------------------------------------------------

    def _line(self, field: str, name: str, *, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(f"{field}_edit")
        edit.setAccessibleName(name)
        edit.setPlaceholderText(placeholder)
        edit.setMinimumWidth(240)
        self._register(field, edit)
        return edit

    def _combo(self, field: str, name: str, items: list[tuple[str, object]]) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(f"{field}_combo")
        combo.setAccessibleName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(18)
        for text, value in items:
            combo.addItem(text, value)
        self._register(field, combo)
        return combo

    def _check(self, field: str, text: str) -> QCheckBox:
        check = QCheckBox(text)
        check.setObjectName(f"{field}_check")
        check.setAccessibleName(text)
        self._fields[field] = check
        return check

    def _register(self, field: str, widget: QWidget) -> None:
        self._fields[field] = widget
        self.messages[field] = FieldMessage(field)

    @staticmethod
    def _form(group: QGroupBox) -> QFormLayout:
        form = QFormLayout(group)
        form.setContentsMargins(12, 14, 12, 10)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return form

    def _add_row(self, form: QFormLayout, label_text: str, field: str) -> None:
        required = field in ("legal_forename", "legal_surname", "date_of_birth", "upn")
        label = QLabel(label_text + (" *" if required else ""))
        theme.set_role(label, "fieldLabel")
        widget = self._fields[field]
        label.setBuddy(widget)
        if required:
            widget.setAccessibleDescription("Required")
        form.addRow(label, field_with_message(widget, self.messages[field]))

    # -- values ------------------------------------------------------------------------------

    def set_details(self, details: PupilDetails) -> None:
        self.legal_forename_edit.setText(details.legal_forename)
        self.legal_surname_edit.setText(details.legal_surname)
        self.preferred_forename_edit.setText(details.preferred_forename)
        self.preferred_surname_edit.setText(details.preferred_surname)
        self.dob_edit.setText(format_date(details.date_of_birth))
        self.upn_edit.setText(details.upn)
        self._select(self.sex_combo, details.sex)
        self.ethnicity_edit.setText(details.ethnicity)
        self._select(self.year_combo, details.year_group)
        self.reg_group_edit.setText(details.reg_group)
        self._select(self.sen_combo, details.sen_provision)
        self._select(self.need_combo, details.primary_need)
        self._select(self.social_care_combo, details.social_care)
        self.pupil_premium_check.setChecked(details.pupil_premium)
        self.young_carer_check.setChecked(details.young_carer)
        self.eal_check.setChecked(details.eal)
        self.at_risk_pex_check.setChecked(details.at_risk_pex)
        self.register_check.setChecked(details.on_semh_register)

    @staticmethod
    def _select(combo: QComboBox, value: object) -> None:
        position = combo.findData(value)
        combo.setCurrentIndex(max(position, 0))

    def _date_of_birth(self) -> dt.date | None:
        text = self.dob_edit.text().strip()
        if not text:
            return None
        try:
            return parse_date(text, field="date_of_birth")
        except ValidationError:
            return None

    @property
    def details(self) -> PupilDetails:
        """What the form holds now (the date of birth is None if it cannot be read)."""
        return PupilDetails(
            upn=self.upn_edit.text().strip(),
            legal_forename=self.legal_forename_edit.text(),
            legal_surname=self.legal_surname_edit.text(),
            preferred_forename=self.preferred_forename_edit.text(),
            preferred_surname=self.preferred_surname_edit.text(),
            date_of_birth=self._date_of_birth(),
            year_group=int(self.year_combo.currentData()),
            sex=self.sex_combo.currentData(),
            reg_group=self.reg_group_edit.text(),
            sen_provision=str(self.sen_combo.currentData()),
            primary_need=self.need_combo.currentData(),
            pupil_premium=self.pupil_premium_check.isChecked(),
            social_care=str(self.social_care_combo.currentData()),
            young_carer=self.young_carer_check.isChecked(),
            eal=self.eal_check.isChecked(),
            at_risk_pex=self.at_risk_pex_check.isChecked(),
            ethnicity=self.ethnicity_edit.text(),
            on_semh_register=self.register_check.isChecked(),
        )

    @property
    def result_details(self) -> PupilDetails | None:
        """The accepted details (UPN normalised), or None until the dialog is accepted."""
        return self._result

    def message(self, field: str) -> FieldMessage:
        return self.messages[field]

    # -- checking ----------------------------------------------------------------------------

    def check(self) -> Validation:
        """Validate the form and show every message next to its field."""
        details = self.details
        result = self._validate(details)
        dob_text = self.dob_edit.text().strip()
        if dob_text and details.date_of_birth is None:
            result.errors["date_of_birth"] = (
                f"'{dob_text}' is not a date. Write it as dd/mm/yyyy, for example 14/05/2013."
            )
        for field, message in self.messages.items():
            widget = self._fields[field]
            if field in result.errors:
                message.show_error(result.errors[field])
                mark_invalid(widget, "error")
            elif field in result.warnings:
                message.show_warning(result.warnings[field])
                mark_invalid(widget, "warning")
            else:
                message.clear_message()
                mark_invalid(widget, "")
        unplaced = {k: v for k, v in result.errors.items() if k not in self.messages}
        if unplaced:
            self._show_summary(" ".join(unplaced.values()), "error")
        elif result.errors:
            count = len(result.errors)
            self._show_summary(
                f"{count} field{'s' if count > 1 else ''} need{'s' if count == 1 else ''} "
                "attention before the pupil can be saved.",
                "error",
            )
        else:
            self.summary.setVisible(False)
        self._fit_height()
        return result

    def _fit_height(self) -> None:
        """Grow (never shrink) so that messages that appeared are not cut off."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        wanted = self.heightForWidth(self.width()) if self.hasHeightForWidth() else -1
        wanted = max(wanted, self.sizeHint().height())
        if wanted > self.height():
            self.resize(self.width(), wanted)

    def _show_summary(self, text: str, kind: str) -> None:
        self.summary.setText(text)
        self.summary.setAccessibleName(text)
        theme.set_role(self.summary, kind)
        self.summary.setVisible(True)

    def accept(self) -> None:
        result = self.check()
        if not result.ok:
            first = next((f for f in self._fields if f in result.errors), None)
            if first is not None:
                self._fields[first].setFocus()
            return
        details = self.details
        if result.warnings and details != self._warned_for:
            self._warned_for = details
            self._show_summary(
                f"Please read the amber note, then press “{self.ok_button.text()}” again to save.",
                "warning",
            )
            return
        self._result = dataclasses.replace(details, upn=result.upn or details.upn)
        super().accept()

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        validate: Validator,
        details: PupilDetails | None = None,
    ) -> PupilDetails | None:
        """Show the dialog; the valid details, or None if the user cancelled."""
        if details is None:
            dialog = cls(validate, parent=parent)
        else:
            dialog = cls(
                validate,
                details,
                title="Edit pupil details",
                save_text="Save changes",
                parent=parent,
            )
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                return dialog.result_details
            return None
        finally:
            dialog.deleteLater()
