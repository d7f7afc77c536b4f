"""Case aims: what the support should change in the system around the child.

Agreed at the contracting meeting, separate from the pupil's targets, and scored 1-10 at the
baseline and again at the final review (whatever the plan type's own scale).
"""

from __future__ import annotations

from dataclasses import dataclass

from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.plans.cases import clean_block, get_case, require_open, timestamp
from semh_desktop.register import audit
from semh_desktop.register.access import requires

SUGGESTED_AIMS = {
    "emotional_regulation": "Support the pupil's emotional regulation",
    "relationships": "Strengthen relationships between school, parent and child",
    "friendships": "Help the pupil make and keep friendships",
    "self_esteem": "Build the pupil's self-esteem and resilience",
}
MAX_AIM_LENGTH = 500


@dataclass(frozen=True)
class CaseAim:
    id: str
    case_id: str
    position: int
    aim: str
    suggested: str | None  # key of SUGGESTED_AIMS when the aim came from the list


def _check_text(aim: str) -> str:
    text = clean_block(aim)
    if not text:
        raise ValidationError("Choose a suggested aim or write one.", field="aim")
    if len(text) > MAX_AIM_LENGTH:
        raise ValidationError(f"Keep the aim under {MAX_AIM_LENGTH} characters.", field="aim")
    return text


def suggestion_key(aim: str) -> str | None:
    """The suggested aim this text is, if it is one word for word."""
    wanted = clean_block(aim).casefold()
    return next((key for key, text in SUGGESTED_AIMS.items() if text.casefold() == wanted), None)


@requires("casework")
def add_aim(store: Store, case_id: str, aim: str) -> CaseAim:
    """Add an aim: a suggested one (its text, or its key) or free text."""
    case = get_case(store, case_id)
    require_open(case)
    text = _check_text(SUGGESTED_AIMS.get(aim, aim))
    duplicate = list(
        store.db.query(
            "SELECT id FROM case_aims WHERE case_id = ? AND aim = ? COLLATE NOCASE", [case_id, text]
        )
    )
    if duplicate:
        raise ValidationError("This case already has that aim.", field="aim")
    position = (
        int(
            next(
                iter(
                    store.db.query(
                        "SELECT coalesce(max(position), 0) AS top FROM case_aims WHERE case_id = ?",
                        [case_id],
                    )
                )
            )["top"]
        )
        + 1
    )
    aim_id = new_id()
    with store.atomic():
        store.db.table("case_aims").insert(
            {
                "id": aim_id,
                "case_id": case_id,
                "position": position,
                "aim": text,
                "suggested": suggestion_key(text),
                "created_at": timestamp(store),
                "created_by": store.staff_id,
            }
        )
        audit.record(store, "create", "case_aim", aim_id, f"case {case_id}", pupil_id=case.pupil_id)
    return get_aim(store, aim_id)


@requires("casework")
def edit_aim(store: Store, aim_id: str, aim: str) -> CaseAim:
    """Reword an aim before it is scored; once scored, its words are what was measured."""
    before = get_aim(store, aim_id)
    case = get_case(store, before.case_id)
    require_open(case)
    text = _check_text(SUGGESTED_AIMS.get(aim, aim))
    if text == before.aim:
        return before
    scored = list(store.db.query("SELECT 1 FROM scores WHERE aim_id = ? LIMIT 1", [aim_id]))
    if scored:
        raise ValidationError(
            "This aim already has a baseline score, so its words cannot change. "
            "Add a new aim instead.",
            field="aim",
        )
    with store.atomic():
        store.db.table("case_aims").update(aim_id, {"aim": text, "suggested": suggestion_key(text)})
        audit.record(store, "change", "case_aim", aim_id, "fields: aim", pupil_id=case.pupil_id)
    return get_aim(store, aim_id)


def get_aim(store: Store, aim_id: str) -> CaseAim:
    rows = list(
        store.db.query(
            "SELECT id, case_id, position, aim, suggested FROM case_aims WHERE id = ?", [aim_id]
        )
    )
    if not rows:
        raise NotFound("That case aim is not in this database.")
    return CaseAim(**rows[0])


def aims_for_case(store: Store, case_id: str) -> list[CaseAim]:
    rows = store.db.query(
        "SELECT id, case_id, position, aim, suggested FROM case_aims WHERE case_id = ? "
        "ORDER BY position",
        [case_id],
    )
    return [CaseAim(**row) for row in rows]
