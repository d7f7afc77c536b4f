"""Dialogs of the Closure tab.

The closing meeting, a sustainability action, a signpost, a follow-up meeting, moving a
follow-up, a questionnaire and the questionnaire's items.

None of them queries the database: the tab hands in what they need (the missing final scores,
the plan's targets, the actions to check, the items to ask) and gets the typed result from
`ask()`. Every message shows under its field; the dialog stays open until
the input is valid, so nothing typed is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from semh_desktop.closure.closure import CLOSURE_REASONS, ClosureDetails, check_closure
from semh_desktop.closure.questionnaires import (
    AGREEMENT,
    PARTNERSHIP,
    PARTNERSHIP_QUESTION,
    RESPONDENTS,
    QuestionnaireEntry,
    check_entry,
)
from semh_desktop.closure.sustainability import (
    ACTION_STATUSES,
    ActionDetails,
    FollowUp,
    FollowUpResult,
    SignpostDetails,
    SustainabilityAction,
    check_follow_up_dates,
    check_result,
    default_follow_up_dates,
)
from semh_desktop.core.dates import format_date
from ui.common import theme
from ui.common.form_dialog import FormDialog, add_or_edit, read_date, select

# --- the closing meeting ---------------------------------------------------------------------


class ClosingDialog(FormDialog[ClosureDetails]):
    """Close a case: date, who attended, reason, and the two follow-up dates (movable).

    While any final score is missing, the dialog lists what is missing and cannot close.
    """

    def __init__(
        self,
        missing: Sequence[str],
        *,
        today: dt.date,
        earliest: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Close the case", "Close case", parent)
        self.setObjectName("closingDialog")
        self._today = today
        self._earliest = earliest
        self.missing = list(missing)
        self.missing_label = QLabel()
        self.missing_label.setObjectName("missingFinalScores")
        self.missing_label.setWordWrap(True)
        theme.set_role(self.missing_label, "error")
        if self.missing:
            self.missing_label.setText(
                "This case cannot be closed yet. Record the final score of each of these at "
                "a final review first:\n" + "\n".join(f"• {m}" for m in self.missing)
            )
            self.missing_label.setAccessibleName(self.missing_label.text())
        self.missing_label.setVisible(bool(self.missing))
        self.outer.addWidget(self.missing_label)

        self.closed_on_edit = self.line("dd/mm/yyyy")
        self.attendees_edit = self.text_box(2)
        self.reason_combo = QComboBox()
        self.reason_combo.addItem("Choose a reason…", "")
        for key, label in CLOSURE_REASONS.items():
            self.reason_combo.addItem(label, key)
        self.reason_other_edit = self.line("In a few words")
        self.follow_up_edits = [self.line("dd/mm/yyyy"), self.line("dd/mm/yyyy")]
        self._follow_ups_touched = False

        self.add_field("closed_on", "Closing &meeting on", self.closed_on_edit, required=True)
        self.add_field(
            "attendees",
            "Who &attended",
            self.attendees_edit,
            required=True,
            hint="For example: Mum, class teacher, learning mentor, worker.",
        )
        self.add_field("reason", "&Reason for closing", self.reason_combo, required=True)
        self.add_field("reason_other", "Other reason", self.reason_other_edit)
        self.add_field(
            "follow_up_1",
            "Follow-up &1 on",
            self.follow_up_edits[0],
            hint="3 weeks after closing, unless you choose another date.",
        )
        self.add_field(
            "follow_up_2",
            "Follow-up &2 on",
            self.follow_up_edits[1],
            hint="6 weeks after closing. An observation of the pupil is booked "
            "in the week before each follow-up.",
        )
        self.finish_layout(
            "Fields marked * are required. Closing books two follow-up "
            "meetings; their dates can be moved later."
        )
        self.ok_button.setEnabled(not self.missing)
        self.closed_on_edit.setText(format_date(today))
        self._fill_follow_ups()
        self.closed_on_edit.textChanged.connect(self._fill_follow_ups)
        for edit in self.follow_up_edits:
            edit.textEdited.connect(self._touched)
        self.reason_combo.currentIndexChanged.connect(self._reason_changed)
        self._reason_changed()
        self.resize(max(self.sizeHint().width(), 600), self.sizeHint().height())

    def _touched(self) -> None:
        self._follow_ups_touched = True

    def _fill_follow_ups(self) -> None:
        if self._follow_ups_touched:
            return
        closed = read_date(self.closed_on_edit, "closed_on", {})
        if closed is None:
            return
        for edit, day in zip(self.follow_up_edits, default_follow_up_dates(closed), strict=True):
            edit.setText(format_date(day))

    def _reason_changed(self) -> None:
        other = self.reason_combo.currentData() == "other"
        self.reason_other_edit.setEnabled(other)

    def read(self, errors: dict[str, str]) -> ClosureDetails:
        return ClosureDetails(
            closed_on=read_date(self.closed_on_edit, "closed_on", errors),
            attendees=self.attendees_edit.toPlainText(),
            reason=str(self.reason_combo.currentData() or ""),
            reason_other=self.reason_other_edit.text(),
            follow_ups=[
                read_date(edit, f"follow_up_{n}", errors)
                for n, edit in enumerate(self.follow_up_edits, start=1)
            ],
        )

    def validate(self, value: ClosureDetails) -> dict[str, str]:
        errors = check_closure(value, today=self._today, earliest=self._earliest)
        if self.missing:
            errors["missing"] = "Record the missing final scores before closing."
        return errors

    @classmethod
    def ask(
        cls, parent: QWidget | None, missing: Sequence[str], *, today: dt.date, earliest: dt.date
    ) -> ClosureDetails | None:
        return cls(missing, today=today, earliest=earliest, parent=parent).run()


# --- a sustainability action -----------------------------------------------------------------


class ActionDialog(FormDialog[ActionDetails]):
    """One action school will keep doing: what, who, how often, until when, which target."""

    def __init__(
        self,
        targets: Sequence[tuple[str, str]],
        details: ActionDetails | None = None,
        *,
        earliest: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            *add_or_edit(details, "Add an action", "Add action", "Edit the action"), parent
        )
        self.setObjectName("actionDialog")
        self._earliest = earliest
        self.action_edit = self.text_box(2)
        self.who_edit = self.line("A name or a role, e.g. Learning mentor")
        self.how_often_edit = self.line("e.g. Every morning, Weekly")
        self.until_edit = self.line("dd/mm/yyyy (leave empty for no end date)")
        self.target_combo = QComboBox()
        self.target_combo.addItem("Not linked to a target", None)
        for target_id, label in targets:
            self.target_combo.addItem(label, target_id)
        self.add_field("action", "&What school will keep doing", self.action_edit, required=True)
        self.add_field("who", "W&ho", self.who_edit, required=True)
        self.add_field("how_often", "How &often", self.how_often_edit, required=True)
        self.add_field("until_date", "&Until", self.until_edit)
        self.add_field("target_id", "&Sustains target", self.target_combo)
        self.finish_layout("Fields marked * are required.")
        if details is not None:
            self.action_edit.setPlainText(details.action)
            self.who_edit.setText(details.who)
            self.how_often_edit.setText(details.how_often)
            self.until_edit.setText(format_date(details.until_date))
            select(self.target_combo, details.target_id)
        self.resize(max(self.sizeHint().width(), 560), self.sizeHint().height())

    def read(self, errors: dict[str, str]) -> ActionDetails:
        return ActionDetails(
            action=self.action_edit.toPlainText(),
            who=self.who_edit.text(),
            how_often=self.how_often_edit.text(),
            until_date=read_date(self.until_edit, "until_date", errors),
            target_id=self.target_combo.currentData(),
        )

    def validate(self, value: ActionDetails) -> dict[str, str]:
        errors = value.validate()
        if value.until_date is not None and value.until_date < self._earliest:
            errors["until_date"] = "The end date cannot be before the plan started."
        return errors

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        targets: Sequence[tuple[str, str]],
        details: ActionDetails | None = None,
        *,
        earliest: dt.date,
    ) -> ActionDetails | None:
        return cls(targets, details, earliest=earliest, parent=parent).run()


# --- signposting -----------------------------------------------------------------------------


class SignpostDialog(FormDialog[SignpostDetails]):
    """A service the family can turn to: its name, how to contact it, a note."""

    def __init__(
        self, details: SignpostDetails | None = None, *, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            *add_or_edit(details, "Add signposting", "Add service", "Edit signposting"), parent
        )
        self.setObjectName("signpostDialog")
        self.service_edit = self.line("e.g. Family Hub parenting group")
        self.contact_edit = self.line("Phone, website or address")
        self.note_edit = self.text_box(2)
        self.add_field("service", "&Service", self.service_edit, required=True)
        self.add_field("contact", "&Contact", self.contact_edit)
        self.add_field("note", "&Note", self.note_edit)
        self.finish_layout("Fields marked * are required.")
        if details is not None:
            self.service_edit.setText(details.service)
            self.contact_edit.setText(details.contact)
            self.note_edit.setPlainText(details.note)

    def read(self, errors: dict[str, str]) -> SignpostDetails:
        return SignpostDetails(
            self.service_edit.text(), self.contact_edit.text(), self.note_edit.toPlainText()
        )

    def validate(self, value: SignpostDetails) -> dict[str, str]:
        return value.validate()

    @classmethod
    def ask(
        cls, parent: QWidget | None, details: SignpostDetails | None = None
    ) -> SignpostDetails | None:
        return cls(details, parent=parent).run()


# --- a follow-up meeting ---------------------------------------------------------------------


class FollowUpDialog(FormDialog[FollowUpResult]):
    """Record a follow-up: the observation, whether each action is still happening, outcome."""

    def __init__(
        self,
        follow_up: FollowUp,
        actions: Sequence[SustainabilityAction],
        *,
        closed_on: dt.date,
        today: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Record {follow_up.label.lower()}", "Save follow-up", parent)
        self.setObjectName("followUpDialog")
        self._follow_up = follow_up
        self._actions = list(actions)
        self._closed_on = closed_on
        self._today = today
        self.held_on_edit = self.line("dd/mm/yyyy")
        self.observed_on_edit = self.line("dd/mm/yyyy")
        self.observation_edit = self.text_box(3)
        self.status_combos: dict[str, QComboBox] = {}
        self.note_edits: dict[str, QLineEdit] = {}
        checks = QWidget()
        grid = QGridLayout(checks)
        grid.setContentsMargins(0, 0, 0, 0)
        for row, action in enumerate(self._actions):
            text = QLabel(
                f"{action.details.action} ({action.details.who}, "
                f"{action.details.how_often.lower()})"
            )
            text.setWordWrap(True)
            combo = QComboBox()
            combo.setObjectName(f"status_{action.position}")
            combo.setAccessibleName(f"Is this still happening: {action.details.action}")
            combo.addItem("Choose…", "")
            for key, label in ACTION_STATUSES.items():
                combo.addItem(label, key)
            note = QLineEdit()
            note.setPlaceholderText("A few words (optional)")
            note.setAccessibleName(f"Note on: {action.details.action}")
            grid.addWidget(text, row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(note, row, 2)
            self.status_combos[action.id] = combo
            self.note_edits[action.id] = note
        if not self._actions:
            grid.addWidget(QLabel("The plan has no actions to check."), 0, 0)
        self.outcome_edit = self.text_box(2)

        recorded = follow_up.observed_on is not None
        self.add_field("held_on", "Meeting &held on", self.held_on_edit, required=True)
        self.add_field(
            "observed_on",
            "Pupil &observed on",
            self.observed_on_edit,
            hint=(
                f"Already recorded on {format_date(follow_up.observed_on)}: "
                f"{follow_up.observation_note}"
                if recorded
                else f"Booked for {format_date(follow_up.observation_on)}."
            ),
        )
        self.add_field(
            "observation_note",
            "What was &seen",
            self.observation_edit,
            required=not recorded,
            hint="Leave empty to keep the observation already recorded." if recorded else "",
        )
        self.add_field("checks", "Is each action still happening?", checks, required=True)
        self.add_field("outcome", "O&utcome", self.outcome_edit, required=True)
        self.finish_layout(
            f"{follow_up.label} was booked for "
            f"{format_date(follow_up.scheduled_on)}. Once saved, what was "
            "recorded cannot be changed."
        )
        self.held_on_edit.setText(format_date(min(follow_up.scheduled_on, today)))
        if recorded:
            self.observed_on_edit.setText(format_date(follow_up.observed_on))
            self.observed_on_edit.setEnabled(False)
        else:
            self.observed_on_edit.setText(format_date(min(follow_up.observation_on, today)))
        self.resize(max(self.sizeHint().width(), 720), self.sizeHint().height())

    def read(self, errors: dict[str, str]) -> FollowUpResult:
        return FollowUpResult(
            held_on=read_date(self.held_on_edit, "held_on", errors),
            observed_on=None
            if self._follow_up.observed_on is not None
            else read_date(self.observed_on_edit, "observed_on", errors),
            observation_note=self.observation_edit.toPlainText(),
            checks={
                a: str(c.currentData()) for a, c in self.status_combos.items() if c.currentData()
            },
            check_notes={a: e.text() for a, e in self.note_edits.items() if e.text().strip()},
            outcome=self.outcome_edit.toPlainText(),
        )

    def validate(self, value: FollowUpResult) -> dict[str, str]:
        return check_result(
            value,
            closed_on=self._closed_on,
            today=self._today,
            action_ids=[a.id for a in self._actions],
            observation_recorded=self._follow_up.observed_on is not None,
        )

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        follow_up: FollowUp,
        actions: Sequence[SustainabilityAction],
        *,
        closed_on: dt.date,
        today: dt.date,
    ) -> FollowUpResult | None:
        return cls(follow_up, actions, closed_on=closed_on, today=today, parent=parent).run()


class MoveFollowUpDialog(FormDialog[tuple[dt.date, dt.date | None]]):
    """Move a follow-up meeting and its observation (before the meeting is held)."""

    def __init__(
        self, follow_up: FollowUp, *, closed_on: dt.date, parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Move {follow_up.label.lower()}", "Move", parent)
        self.setObjectName("moveFollowUpDialog")
        self._closed_on = closed_on
        self.meeting_edit = self.line("dd/mm/yyyy")
        self.observation_edit = self.line("dd/mm/yyyy (empty: the week before)")
        self.add_field("scheduled_on", "&Meeting on", self.meeting_edit, required=True)
        self.add_field("observation_on", "&Observation on", self.observation_edit)
        self.finish_layout(f"The case closed on {format_date(closed_on)}.")
        self.meeting_edit.setText(format_date(follow_up.scheduled_on))
        self.observation_edit.setText(format_date(follow_up.observation_on))

    def collect(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        meeting = read_date(self.meeting_edit, "scheduled_on", errors)
        observation = read_date(self.observation_edit, "observation_on", errors)
        errors = {**check_follow_up_dates(self._closed_on, meeting, observation), **errors}
        if meeting is None:  # check_follow_up_dates has said so; this tells the type checker
            return errors
        return self.keep((meeting, observation), errors)

    @classmethod
    def ask(
        cls, parent: QWidget | None, follow_up: FollowUp, *, closed_on: dt.date
    ) -> tuple[dt.date, dt.date | None] | None:
        return cls(follow_up, closed_on=closed_on, parent=parent).run()


# --- questionnaires --------------------------------------------------------------------------


class QuestionnaireDialog(FormDialog[QuestionnaireEntry]):
    """Type in a questionnaire (at the meeting, or later from the paper form)."""

    def __init__(
        self,
        entry: QuestionnaireEntry,
        *,
        today: dt.date,
        earliest: dt.date | None,
        parent: QWidget | None = None,
    ) -> None:
        who = RESPONDENTS[entry.respondent].lower()
        super().__init__(f"Enter the {who} questionnaire", "Save questionnaire", parent)
        self.setObjectName("questionnaireDialog")
        self._entry = entry
        self._today = today
        self._earliest = earliest
        self.completed_edit = self.line("dd/mm/yyyy")
        self.add_field("completed_on", "&Date on the form", self.completed_edit, required=True)
        answers = QWidget()
        grid = QGridLayout(answers)
        grid.setContentsMargins(0, 0, 0, 0)
        self.answer_combos: list[QComboBox] = []
        for row, (text, score) in enumerate(entry.answers):
            label = QLabel(text)
            label.setWordWrap(True)
            combo = QComboBox()
            combo.setObjectName(f"answer_{row + 1}")
            combo.setAccessibleName(text)
            combo.addItem("Not answered", None)
            for value, words in AGREEMENT.items():
                combo.addItem(f"{value} · {words}", value)
            select(combo, score)
            grid.addWidget(label, row, 0)
            grid.addWidget(combo, row, 1)
            self.answer_combos.append(combo)
        self.add_field("answers", "Agreement (1-5)", answers)
        self.partnership_combo = QComboBox()
        self.partnership_combo.addItem("Not answered", None)
        for key, text in PARTNERSHIP.items():
            self.partnership_combo.addItem(text, key)
        self.add_field("partnership", PARTNERSHIP_QUESTION, self.partnership_combo)
        self.finish_layout(
            "1 means strongly disagree and 5 strongly agree. Leave an item "
            "'Not answered' if it was left blank on paper."
        )
        self.completed_edit.setText(format_date(entry.completed_on or today))
        self.resize(max(self.sizeHint().width(), 640), self.sizeHint().height())

    def read(self, errors: dict[str, str]) -> QuestionnaireEntry:
        return QuestionnaireEntry(
            respondent=self._entry.respondent,
            completed_on=read_date(self.completed_edit, "completed_on", errors),
            answers=[
                (text, combo.currentData())
                for (text, _), combo in zip(self._entry.answers, self.answer_combos, strict=True)
            ],
            partnership=self.partnership_combo.currentData(),
        )

    def validate(self, value: QuestionnaireEntry) -> dict[str, str]:
        return check_entry(value, today=self._today, earliest=self._earliest)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        entry: QuestionnaireEntry,
        *,
        today: dt.date,
        earliest: dt.date | None,
    ) -> QuestionnaireEntry | None:
        return cls(entry, today=today, earliest=earliest, parent=parent).run()


class QuestionnaireItemsDialog(FormDialog[list[str]]):
    """Edit the items asked from now on (one per line); answers already given keep theirs."""

    def __init__(
        self, respondent: str, items: Sequence[str], *, parent: QWidget | None = None
    ) -> None:
        who = RESPONDENTS[respondent].lower()
        super().__init__(f"Items of the {who} questionnaire", "Save items", parent)
        self.setObjectName("questionnaireItemsDialog")
        self.items_edit = QPlainTextEdit()
        self.items_edit.setTabChangesFocus(True)
        self.items_edit.setMinimumHeight(self.items_edit.fontMetrics().lineSpacing() * 9)
        self.add_field("items", "&Items, one per line", self.items_edit, required=True)
        self.finish_layout("Questionnaires already entered keep the words they were asked with.")
        self.items_edit.setPlainText("\n".join(items))
        self.resize(max(self.sizeHint().width(), 640), self.sizeHint().height())

    def collect(self) -> dict[str, str]:
        items = [" ".join(line.split()) for line in self.items_edit.toPlainText().splitlines()]
        items = [item for item in items if item]
        errors = {} if items else {"items": "Keep at least one item."}
        return self.keep(items, errors)

    @classmethod
    def ask(cls, parent: QWidget | None, respondent: str, items: Sequence[str]) -> list[str] | None:
        return cls(respondent, items, parent=parent).run()
