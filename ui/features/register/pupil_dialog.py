"""Add or edit a pupil. The dialog never queries the database: the window hands it `validate`.

    details = PupilDialog.ask(window, validate=lambda d: pupils.validate(store, d))

Each error is shown in red under its field (warnings, such as an unknown local-authority code,
in amber) and the dialog stays open; it accepts only input that validates. Warnings need a
second press of Save, so that they are read rather than missed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from semh_desktop.core.dates import format_date
from semh_desktop.register.pupils import (
    PRIMARY_NEEDS,
    SEN_PROVISION,
    SEXES,
    SOCIAL_CARE,
    PupilDetails,
    Validation,
    year_group_label,
)
from ui.common.form_dialog import FormDialog, field_label, form_layout, line_edit, read_date, select
from ui.common.sensitive import mark_sensitive

Validator = Callable[[PupilDetails], Validation]


def _year_text(year: int) -> str:
    if year == 0:
        return "Reception"
    label = year_group_label(year)
    return f"Year {year}" if label.startswith("Y") else label


REQUIRED = frozenset({"legal_forename", "legal_surname", "date_of_birth", "upn"})


class PupilDialog(FormDialog[PupilDetails]):
    def __init__(
        self,
        validate: Validator,
        details: PupilDetails | None = None,
        *,
        title: str = "Add a pupil",
        save_text: str = "Add pupil",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, save_text, parent)
        self.setObjectName("pupilDialog")
        self._validate = validate
        self._warned_for: PupilDetails | None = None

        identity = QGroupBox("Pupil")
        identity_form = _group_form(identity)
        self.legal_forename_edit = self._line(identity_form, "legal_forename", "Legal &first name")
        self.legal_surname_edit = self._line(identity_form, "legal_surname", "Legal &surname")
        self.preferred_forename_edit = self._line(
            identity_form, "preferred_forename", "Preferred first name", "If different"
        )
        self.preferred_surname_edit = self._line(
            identity_form, "preferred_surname", "Preferred surname", "If different"
        )
        self.dob_edit = self._line(identity_form, "date_of_birth", "&Date of birth", "dd/mm/yyyy")
        self.upn_edit = self._line(
            identity_form, "upn", "&UPN", "13 characters, e.g. B801200005001"
        )
        self.upn_edit.setMaxLength(20)
        self.sex_combo = self._combo(
            identity_form,
            "sex",
            "Se&x",
            [("Not recorded", None)] + [(label, code) for code, label in SEXES.items()],
        )
        self.ethnicity_edit = self._line(
            identity_form, "ethnicity", "Ethnicity", "DfE code, e.g. WBRI (optional)"
        )

        school = QGroupBox("School and needs")
        school_form = _group_form(school)
        self.year_combo = self._combo(
            school_form, "year_group", "&Year group", [(_year_text(y), y) for y in range(-2, 15)]
        )
        self.reg_group_edit = self._line(school_form, "reg_group", "&Registration group", "e.g. 8H")
        self.sen_combo = self._combo(
            school_form,
            "sen_provision",
            "SEN &provision",
            [(f"{code} – {label}", code) for code, label in SEN_PROVISION.items()],
        )
        self.need_combo = self._combo(
            school_form,
            "primary_need",
            "Primary &need",
            [("None recorded", None)]
            + [(f"{code} – {label}", code) for code, label in PRIMARY_NEEDS.items()],
        )
        self.social_care_combo = self._combo(
            school_form,
            "social_care",
            "Social &care",
            [(label if code else "None", code) for code, label in SOCIAL_CARE.items()],
        )
        self.social_care_combo.setAccessibleName("Children's social care")  # fuller than its label
        self.pupil_premium_check = _check("pupil_premium", "Pupil Premium")
        self.young_carer_check = _check("young_carer", "Young carer")
        self.eal_check = _check("eal", "English as an additional language (EAL)")
        self.at_risk_pex_check = _check("at_risk_pex", "At risk of permanent exclusion")
        self.register_check = _check("on_semh_register", "On the SEMH register")
        flags = QWidget()
        flags_layout = QVBoxLayout(flags)
        flags_layout.setContentsMargins(0, 4, 0, 0)
        flags_layout.setSpacing(6)
        checks = (
            self.pupil_premium_check,
            self.young_carer_check,
            self.eal_check,
            self.at_risk_pex_check,
        )
        for check in checks:
            flags_layout.addWidget(check)
        flags_layout.addSpacing(6)
        flags_layout.addWidget(self.register_check)
        school_form.addRow(field_label("Flags", flags), flags)
        self.form_fields.add_to_order(*checks, self.register_check)

        columns = QHBoxLayout()
        columns.setSpacing(14)
        columns.addWidget(identity, 1)
        columns.addWidget(school, 1)
        self.finish_layout(
            "Fields marked * are required. Names may include accents and "
            "apostrophes (Siân, Zoë, O'Neill).",
            body=columns,
        )
        self.set_details(details or PupilDetails())
        # Kept off a shared screen: hidden (values kept, saved unchanged) in meeting mode.
        _mark_row_sensitive(identity_form, self.ethnicity_edit)
        _mark_row_sensitive(school_form, self.social_care_combo)
        mark_sensitive(*checks)
        self.resize(max(self.sizeHint().width(), 820), self.sizeHint().height())

    # -- building ----------------------------------------------------------------------------

    def _line(self, form: QFormLayout, field: str, label: str, placeholder: str = "") -> QLineEdit:
        edit = line_edit(placeholder, min_width=240)
        edit.setObjectName(f"{field}_edit")
        self.add_field(field, label, edit, required=field in REQUIRED, form=form)
        return edit

    def _combo(
        self, form: QFormLayout, field: str, label: str, items: list[tuple[str, object]]
    ) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(f"{field}_combo")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(18)
        for text, value in items:
            combo.addItem(text, value)
        self.add_field(field, label, combo, required=field in REQUIRED, form=form)
        return combo

    # -- values ------------------------------------------------------------------------------

    def set_details(self, details: PupilDetails) -> None:
        self.legal_forename_edit.setText(details.legal_forename)
        self.legal_surname_edit.setText(details.legal_surname)
        self.preferred_forename_edit.setText(details.preferred_forename)
        self.preferred_surname_edit.setText(details.preferred_surname)
        self.dob_edit.setText(format_date(details.date_of_birth))
        self.upn_edit.setText(details.upn)
        select(self.sex_combo, details.sex)
        self.ethnicity_edit.setText(details.ethnicity)
        select(self.year_combo, details.year_group)
        self.reg_group_edit.setText(details.reg_group)
        select(self.sen_combo, details.sen_provision)
        select(self.need_combo, details.primary_need)
        select(self.social_care_combo, details.social_care)
        self.pupil_premium_check.setChecked(details.pupil_premium)
        self.young_carer_check.setChecked(details.young_carer)
        self.eal_check.setChecked(details.eal)
        self.at_risk_pex_check.setChecked(details.at_risk_pex)
        self.register_check.setChecked(details.on_semh_register)

    @property
    def details(self) -> PupilDetails:
        """What the form holds now (the date of birth is None if it cannot be read)."""
        return PupilDetails(
            upn=self.upn_edit.text().strip(),
            legal_forename=self.legal_forename_edit.text(),
            legal_surname=self.legal_surname_edit.text(),
            preferred_forename=self.preferred_forename_edit.text(),
            preferred_surname=self.preferred_surname_edit.text(),
            date_of_birth=read_date(self.dob_edit, "date_of_birth", {}),
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

    # -- checking ----------------------------------------------------------------------------

    def check(self) -> Validation:
        """Validate the form and show every message next to its field."""
        details = self.details
        result = self._validate(details)
        dob_text = self.dob_edit.text().strip()
        if dob_text and details.date_of_birth is None:
            # An example that is a plausible date of birth, not the generic one.
            result.errors["date_of_birth"] = (
                f"'{dob_text}' is not a date. Write it as dd/mm/yyyy, for example 14/05/2013."
            )
        self.show_errors(result.errors, result.warnings)
        if result.errors and not self.form_fields.unplaced(result.errors):
            count = len(result.errors)
            self.show_summary(
                f"{count} field{'s' if count > 1 else ''} need{'s' if count == 1 else ''} "
                "attention before the pupil can be saved.",
                "error",
            )
            self.fit_height()
        return result

    def accept(self) -> None:
        result = self.check()
        if not result.ok:
            return
        details = self.details
        if result.warnings and details != self._warned_for:
            # Warnings need a second press, so that they are read rather than missed.
            self._warned_for = details
            self.show_summary(
                f"Please read the amber note, then press “{self.ok_button.text()}” again to save.",
                "warning",
            )
            return
        self.result_value = dataclasses.replace(details, upn=result.upn or details.upn)
        QDialog.accept(self)  # FormDialog.accept would check again, without the warnings

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        validate: Validator,
        details: PupilDetails | None = None,
    ) -> PupilDetails | None:
        """Show the dialog; the valid details, or None if the user cancelled."""
        if details is None:
            return cls(validate, parent=parent).run()
        return cls(
            validate, details, title="Edit pupil details", save_text="Save changes", parent=parent
        ).run()


def _mark_row_sensitive(form: QFormLayout, field: QWidget) -> None:
    """Mark the form row holding `field` (its label and its field with message) sensitive."""
    widget: QWidget | None = field
    while widget is not None and _form_row(form, widget) < 0:
        widget = widget.parentWidget()
    if widget is None:
        mark_sensitive(field)
        return
    row = _form_row(form, widget)
    label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
    label = label_item.widget() if label_item is not None else None
    mark_sensitive(widget, *([label] if label is not None else []))


def _form_row(form: QFormLayout, widget: QWidget) -> int:
    """The row of `widget` in `form`, or -1 if it is not one of the form's own widgets."""
    position = cast("tuple[int, QFormLayout.ItemRole]", form.getWidgetPosition(widget))
    return position[0]


def _group_form(group: QGroupBox) -> QFormLayout:
    form = form_layout(label_alignment=Qt.AlignmentFlag.AlignVCenter)
    form.setContentsMargins(12, 14, 12, 10)
    group.setLayout(form)
    return form


def _check(field: str, text: str) -> QCheckBox:
    check = QCheckBox(text)
    check.setObjectName(f"{field}_check")
    check.setAccessibleName(text)
    return check
