"""Questionnaires at closure: one from school and one from the parent or carer, per case.

Each has agreement items scored 1-5 (strongly disagree to strongly agree; an item may be left
blank) and one question on the partnership between school and family (improved / same /
worse). The items come from an editable list kept in the database's settings; each answer
stores the item's words as they were asked, so editing the list later changes nothing already
entered. A parent's paper questionnaire can be typed in after closure. Once entered, a
questionnaire is history.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.plans.cases import clean_line, get_case, timestamp
from semh_desktop.register import audit
from semh_desktop.register.access import requires

RESPONDENTS = {"school": "School", "parent": "Parent or carer"}
PARTNERSHIP = {"improved": "Improved", "same": "Stayed the same", "worse": "Got worse"}
AGREEMENT = {1: "Strongly disagree", 2: "Disagree", 3: "Not sure", 4: "Agree", 5: "Strongly agree"}
PARTNERSHIP_QUESTION = "The partnership between school and family has…"
DEFAULT_ITEMS = {
    "parent": [
        "I am pleased with the progress my child has made.",
        "The worker understood what my child needed.",
        "I was listened to and my views were taken into account.",
        "I knew what was happening and what would happen next.",
        "I feel more confident about supporting my child at home.",
        "I know where to get help if things become difficult again.",
    ],
    "school": [
        "The pupil has made good progress towards their targets.",
        "The worker understood the pupil's needs.",
        "The support fitted well with what school already does.",
        "Staff feel more confident about meeting the pupil's needs.",
        "We know what to keep doing now that the case is closed.",
    ],
}
MAX_ITEMS = 20
MAX_ITEM_LENGTH = 200


def _setting_key(respondent: str) -> str:
    return f"questionnaire_items.{respondent}"


def _check_respondent(respondent: str) -> None:
    if respondent not in RESPONDENTS:
        raise ValidationError(
            "Choose who filled in the questionnaire: school or parent/carer.", field="respondent"
        )


def item_list(store: Store, respondent: str) -> list[str]:
    """The items asked of this respondent now: the school's edited list, or the defaults."""
    _check_respondent(respondent)
    rows = list(
        store.db.query("SELECT value FROM settings WHERE key = ?", [_setting_key(respondent)])
    )
    if rows:
        try:
            stored = json.loads(rows[0]["value"])
        except ValueError:
            stored = None
        if isinstance(stored, list) and all(isinstance(item, str) for item in stored) and stored:
            return [str(item) for item in stored]
    return list(DEFAULT_ITEMS[respondent])


@requires("settings")
def set_item_list(store: Store, respondent: str, items: list[str]) -> list[str]:
    """Replace the list of items asked from now on (answers already given keep their words)."""
    _check_respondent(respondent)
    cleaned = [clean_line(item) for item in items if clean_line(item)]
    if not cleaned:
        raise ValidationError("Keep at least one item in the questionnaire.", field="items")
    if len(cleaned) > MAX_ITEMS:
        raise ValidationError(f"A questionnaire has at most {MAX_ITEMS} items.", field="items")
    if any(len(item) > MAX_ITEM_LENGTH for item in cleaned):
        raise ValidationError(f"Keep each item under {MAX_ITEM_LENGTH} characters.", field="items")
    if len({item.casefold() for item in cleaned}) != len(cleaned):
        raise ValidationError("The same item is in the list twice.", field="items")
    with store.atomic():
        store.db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [_setting_key(respondent), json.dumps(cleaned)],
        )
        audit.record(
            store,
            "change",
            "settings",
            _setting_key(respondent),
            f"questionnaire items: {len(cleaned)}",
        )
    return cleaned


@requires("settings")
def reset_item_list(store: Store, respondent: str) -> list[str]:
    return set_item_list(store, respondent, DEFAULT_ITEMS[respondent])


@dataclass
class QuestionnaireEntry:
    """What a person types from a questionnaire: the date, the answers and partnership."""

    respondent: str = "parent"
    completed_on: dt.date | None = None
    answers: list[tuple[str, int | None]] = field(default_factory=list)  # (item, 1-5 or blank)
    partnership: str | None = None


def check_entry(
    entry: QuestionnaireEntry, *, today: dt.date, earliest: dt.date | None
) -> dict[str, str]:
    """Every problem at once, keyed by field (pure: the questionnaire dialog uses it)."""
    errors: dict[str, str] = {}
    if entry.respondent not in RESPONDENTS:
        errors["respondent"] = "Choose who filled in the questionnaire."
    if entry.completed_on is None:
        errors["completed_on"] = "Enter the date on the questionnaire as dd/mm/yyyy."
    elif entry.completed_on > today:
        errors["completed_on"] = "The date cannot be in the future."
    elif earliest is not None and entry.completed_on < earliest:
        errors["completed_on"] = "The questionnaire cannot be dated before the referral."
    if not entry.answers:
        errors["answers"] = "There are no items to answer."
    for text, score in entry.answers:
        if not clean_line(text):
            errors["answers"] = "Every item needs its words."
        elif score is not None and (isinstance(score, bool) or score not in AGREEMENT):
            errors["answers"] = "Each answer is a whole number from 1 to 5 (or left blank)."
    if (
        entry.answers
        and all(score is None for _, score in entry.answers)
        and entry.partnership is None
    ):
        errors["answers"] = "Nothing was answered: enter at least one answer."
    if entry.partnership is not None and entry.partnership not in PARTNERSHIP:
        errors["partnership"] = "Choose improved, stayed the same, or got worse (or leave blank)."
    return errors


@dataclass(frozen=True)
class Answer:
    position: int
    item_text: str
    score: int | None

    @property
    def score_label(self) -> str:
        return f"{self.score} ({AGREEMENT[self.score]})" if self.score else "Not answered"


@dataclass(frozen=True)
class Questionnaire:
    id: str
    case_id: str
    respondent: str
    completed_on: dt.date
    partnership: str | None
    answers: tuple[Answer, ...]
    entered_at: str

    @property
    def respondent_label(self) -> str:
        return RESPONDENTS[self.respondent]

    @property
    def partnership_label(self) -> str:
        return PARTNERSHIP[self.partnership] if self.partnership else "Not answered"

    @property
    def mean(self) -> float | None:
        scores = [a.score for a in self.answers if a.score is not None]
        return sum(scores) / len(scores) if scores else None


@requires("casework")
def record_questionnaire(store: Store, case_id: str, entry: QuestionnaireEntry) -> Questionnaire:
    """Store a questionnaire for the case; one per respondent (school, parent) per case."""
    case = get_case(store, case_id)
    errors = check_entry(entry, today=store.clock.today(), earliest=case.details.referral_date)
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)
    existing = list(
        store.db.query(
            "SELECT 1 FROM questionnaires WHERE case_id = ? AND respondent = ?",
            [case_id, entry.respondent],
        )
    )
    if existing:
        raise ValidationError(
            f"This case already has a {RESPONDENTS[entry.respondent].lower()} questionnaire.",
            field="respondent",
        )
    assert entry.completed_on is not None
    questionnaire_id = new_id()
    with store.atomic():
        store.db.table("questionnaires").insert(
            {
                "id": questionnaire_id,
                "case_id": case_id,
                "respondent": entry.respondent,
                "completed_on": entry.completed_on.isoformat(),
                "partnership": entry.partnership,
                "entered_at": timestamp(store),
                "entered_by": store.staff_id,
            }
        )
        store.db.table("questionnaire_answers").insert_all(
            {
                "id": new_id(),
                "questionnaire_id": questionnaire_id,
                "position": position,
                "item_text": clean_line(text),
                "score": score,
            }
            for position, (text, score) in enumerate(entry.answers, start=1)
        )
        answered = sum(1 for _, score in entry.answers if score is not None)
        audit.record(
            store,
            "create",
            "questionnaire",
            questionnaire_id,
            f"case {case_id}; respondent: {entry.respondent}; items: "
            f"{len(entry.answers)}; answered: {answered}",
            pupil_id=case.pupil_id,
        )
    return get_questionnaire(store, questionnaire_id)


def _questionnaire(store: Store, row: dict[str, Any]) -> Questionnaire:
    answers = tuple(
        Answer(**a)
        for a in store.db.query(
            "SELECT position, item_text, score FROM questionnaire_answers "
            "WHERE questionnaire_id = ? ORDER BY position",
            [row["id"]],
        )
    )
    return Questionnaire(
        row["id"],
        row["case_id"],
        row["respondent"],
        dt.date.fromisoformat(row["completed_on"]),
        row["partnership"],
        answers,
        row["entered_at"],
    )


def get_questionnaire(store: Store, questionnaire_id: str) -> Questionnaire:
    rows = list(store.db.query("SELECT * FROM questionnaires WHERE id = ?", [questionnaire_id]))
    if not rows:
        raise NotFound("That questionnaire is not in this database.")
    return _questionnaire(store, rows[0])


def questionnaires_for_case(store: Store, case_id: str) -> list[Questionnaire]:
    """School first, then parent."""
    rows = store.db.query(
        "SELECT * FROM questionnaires WHERE case_id = ? "
        "ORDER BY CASE respondent WHEN 'school' THEN 0 ELSE 1 END",
        [case_id],
    )
    return [_questionnaire(store, row) for row in rows]


def blank_entry(store: Store, respondent: str) -> QuestionnaireEntry:
    """A new entry with the current items and no answers (the dialog starts from this)."""
    return QuestionnaireEntry(
        respondent=respondent, answers=[(item, None) for item in item_list(store, respondent)]
    )
