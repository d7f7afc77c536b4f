"""The graduated response for one pupil: their phase, its history, and the phase checklists.

A pupil's current phase is the latest phase change recorded (by the date it took effect).
Checklist answers are appended, never overwritten: the newest answer to an item is its status,
and every answer keeps the template version it was given against, so a later edit of the
template never changes what was recorded. Readiness looks at the current phase only: which
items are not done yet, and which are done but lack the evidence the template asks for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store, new_id
from semh_desktop.graduated import apdr
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.graduated.templates import ChecklistItem, Phase, Template, TemplateVersion
from semh_desktop.register import audit, pupils
from semh_desktop.register.access import requires

DECIDERS = {
    "senco": "SENCO",
    "partnership_panel": "Partnership panel",
    "outreach_team": "Outreach team",
    "educational_psychologist": "Educational psychologist",
    "other": "Other",
}
STATUSES = {"done": "Done", "not_yet": "Not yet", "not_applicable": "Not applicable"}
MAX_REASON = 2000
MAX_EVIDENCE = 4000


# --- phase changes -------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseChange:
    id: str
    pupil_id: str
    template_version_id: str
    from_phase_id: str | None
    from_phase_name: str | None
    to_phase_id: str
    to_phase_name: str
    changed_on: dt.date
    reason: str
    decided_by: str
    decided_by_detail: str
    recorded_by: str | None
    recorded_at: str

    @property
    def decided_by_label(self) -> str:
        label = DECIDERS.get(self.decided_by, self.decided_by)
        return f"{label} ({self.decided_by_detail})" if self.decided_by_detail else label


@dataclass(frozen=True)
class PhaseChangeRequest:
    """What a person enters to move a pupil to another phase (the Change phase dialog)."""

    to_phase_id: str
    changed_on: dt.date | None
    reason: str
    decided_by: str
    decided_by_detail: str = ""


_PHASE_COLUMNS = (
    "id, pupil_id, template_version_id, from_phase_id, from_phase_name, to_phase_id, "
    "to_phase_name, changed_on, reason, decided_by, decided_by_detail, recorded_by, "
    "recorded_at"
)


def _phase_change(row: dict[str, Any]) -> PhaseChange:
    return PhaseChange(**{**row, "changed_on": dt.date.fromisoformat(row["changed_on"])})


def phase_history(store: Store, pupil_id: str) -> list[PhaseChange]:
    """Every change of phase, oldest first (the last one is the current phase)."""
    rows = store.db.query(
        f"SELECT {_PHASE_COLUMNS} FROM gr_phase_changes WHERE pupil_id = ? "
        "ORDER BY changed_on, seq",
        [pupil_id],
    )
    return [_phase_change(row) for row in rows]


def current_phase(store: Store, pupil_id: str) -> PhaseChange | None:
    rows = list(
        store.db.query(
            f"SELECT {_PHASE_COLUMNS} FROM gr_phase_changes WHERE pupil_id = ? "
            "ORDER BY changed_on DESC, seq DESC LIMIT 1",
            [pupil_id],
        )
    )
    return _phase_change(rows[0]) if rows else None


def check_phase_change(store: Store, pupil_id: str, request: PhaseChangeRequest) -> dict[str, str]:
    """Every problem with a requested phase change, by field (empty when it can be saved)."""
    errors: dict[str, str] = {}
    template = gr_templates.current_template(store).template
    current = current_phase(store, pupil_id)
    if template.phase(request.to_phase_id) is None:
        errors["to_phase"] = "Choose the phase the pupil is moving to."
    elif current is not None and current.to_phase_id == request.to_phase_id:
        errors["to_phase"] = f"The pupil is already at {current.to_phase_name}."
    if request.changed_on is None:
        errors["changed_on"] = "Enter the date of the decision as dd/mm/yyyy."
    elif request.changed_on > store.clock.today():
        errors["changed_on"] = "The date of the decision cannot be in the future."
    elif current is not None and request.changed_on < current.changed_on:
        errors["changed_on"] = (
            f"The last phase change was on {format_date(current.changed_on)}; "
            "this one cannot be earlier."
        )
    reason = request.reason.strip()
    if not reason:
        errors["reason"] = "Say why the phase is changing."
    elif len(reason) > MAX_REASON:
        errors["reason"] = f"Keep the reason to {MAX_REASON} characters or fewer."
    if request.decided_by not in DECIDERS:
        errors["decided_by"] = "Choose who made the decision."
    elif request.decided_by == "other" and not request.decided_by_detail.strip():
        errors["decided_by"] = "Say who made the decision."
    return errors


@requires("casework")
def change_phase(store: Store, pupil_id: str, request: PhaseChangeRequest) -> PhaseChange:
    """Move the pupil to another phase; the old phase, reason and decider stay in the history."""
    pupils.get_pupil(store, pupil_id)
    errors = check_phase_change(store, pupil_id, request)
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)
    version = gr_templates.current_template(store)
    phase = version.template.phase(request.to_phase_id)
    assert phase is not None and request.changed_on is not None
    current = current_phase(store, pupil_id)
    row = {
        "id": new_id(),
        "pupil_id": pupil_id,
        "template_version_id": version.id,
        "from_phase_id": current.to_phase_id if current else None,
        "from_phase_name": current.to_phase_name if current else None,
        "to_phase_id": phase.id,
        "to_phase_name": phase.name,
        "changed_on": request.changed_on.isoformat(),
        "reason": request.reason.strip(),
        "decided_by": request.decided_by,
        "decided_by_detail": " ".join(request.decided_by_detail.split()),
        "recorded_by": store.staff_id,
        "recorded_at": store.clock.now().isoformat(timespec="seconds"),
    }
    with store.atomic():
        store.db.table("gr_phase_changes").insert(row)
        audit.record(
            store,
            "change",
            "graduated_response",
            pupil_id,
            f"phase change {row['id']}: to_phase, changed_on, reason, decided_by",
            pupil_id=pupil_id,
        )
    return _phase_change({k: row[k] for k in _PHASE_COLUMNS.split(", ")})


# --- checklist answers -----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemAnswer:
    id: str
    pupil_id: str
    template_version_id: str
    phase_id: str
    item_id: str
    status: str
    answered_on: dt.date | None
    staff_name: str
    evidence: str
    recorded_by: str | None
    recorded_at: str

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


@dataclass(frozen=True)
class AnswerRequest:
    """What a person enters for one checklist item (status control and evidence editor)."""

    status: str
    answered_on: dt.date | None = None
    staff_name: str = ""
    evidence: str = ""


_ANSWER_COLUMNS = (
    "id, pupil_id, template_version_id, phase_id, item_id, status, answered_on, "
    "staff_name, evidence, recorded_by, recorded_at"
)


def _answer(row: dict[str, Any]) -> ItemAnswer:
    day = row["answered_on"]
    return ItemAnswer(**{**row, "answered_on": dt.date.fromisoformat(day) if day else None})


def current_answers(store: Store, pupil_id: str) -> dict[str, ItemAnswer]:
    """The newest answer to each item the pupil has answers for, by item id."""
    rows = store.db.query(
        f"SELECT {_ANSWER_COLUMNS} FROM gr_item_answers WHERE seq IN ("
        "  SELECT max(seq) FROM gr_item_answers WHERE pupil_id = ? GROUP BY item_id)",
        [pupil_id],
    )
    return {row["item_id"]: _answer(row) for row in rows}


def item_history(store: Store, pupil_id: str, item_id: str) -> list[ItemAnswer]:
    """Every answer to one item, oldest first."""
    rows = store.db.query(
        f"SELECT {_ANSWER_COLUMNS} FROM gr_item_answers WHERE pupil_id = ? AND item_id = ? "
        "ORDER BY seq",
        [pupil_id, item_id],
    )
    return [_answer(row) for row in rows]


def check_answer(store: Store, request: AnswerRequest) -> dict[str, str]:
    errors: dict[str, str] = {}
    if request.status not in STATUSES:
        errors["status"] = "Choose done, not yet or not applicable."
    if request.status == "done" and request.answered_on is None:
        errors["answered_on"] = "Enter the date it was done as dd/mm/yyyy."
    elif request.answered_on is not None and request.answered_on > store.clock.today():
        errors["answered_on"] = "The date cannot be in the future."
    if len(" ".join(request.staff_name.split())) > 120:
        errors["staff_name"] = "Keep the name to 120 characters or fewer."
    if len(request.evidence.strip()) > MAX_EVIDENCE:
        errors["evidence"] = f"Keep the evidence note to {MAX_EVIDENCE} characters or fewer."
    return errors


@requires("casework")
def record_answer(store: Store, pupil_id: str, item_id: str, request: AnswerRequest) -> ItemAnswer:
    """Record a checklist item's status and evidence against the school's current template.

    The answer is appended to the item's history; if nothing differs from the newest answer
    (same template version too), nothing is stored.
    """
    pupils.get_pupil(store, pupil_id)
    version = gr_templates.current_template(store)
    phase = version.template.phase_of_item(item_id)
    if phase is None:
        raise NotFound("That checklist item is not in the school's current template.")
    errors = check_answer(store, request)
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)
    row = {
        "id": new_id(),
        "pupil_id": pupil_id,
        "template_version_id": version.id,
        "phase_id": phase.id,
        "item_id": item_id,
        "status": request.status,
        "answered_on": request.answered_on.isoformat() if request.answered_on else None,
        "staff_name": " ".join(request.staff_name.split()),
        "evidence": request.evidence.strip(),
        "recorded_by": store.staff_id,
        "recorded_at": store.clock.now().isoformat(timespec="seconds"),
    }
    previous = current_answers(store, pupil_id).get(item_id)
    compared = ("template_version_id", "status", "answered_on", "staff_name", "evidence")
    if previous is not None:
        before = {
            "template_version_id": previous.template_version_id,
            "status": previous.status,
            "answered_on": previous.answered_on.isoformat() if previous.answered_on else None,
            "staff_name": previous.staff_name,
            "evidence": previous.evidence,
        }
        changed = [name for name in compared if before[name] != row[name]]
        if not changed:
            return previous
    else:
        changed = [name for name in compared[1:] if row[name]]
    with store.atomic():
        store.db.table("gr_item_answers").insert(row)
        audit.record(
            store,
            "change",
            "graduated_response",
            pupil_id,
            f"checklist item {item_id}: " + ", ".join(changed),
            pupil_id=pupil_id,
        )
    return _answer(row)


# --- readiness -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseProgress:
    """How far a pupil has got with one phase's checklist."""

    phase: Phase
    done: tuple[ChecklistItem, ...]
    not_applicable: tuple[ChecklistItem, ...]
    not_done: tuple[ChecklistItem, ...]  # not yet, or never answered
    missing_evidence: tuple[ChecklistItem, ...]  # done, but the template asks for evidence

    @property
    def total(self) -> int:
        return len(self.phase.items)

    @property
    def applicable(self) -> int:
        return self.total - len(self.not_applicable)

    @property
    def outstanding(self) -> int:
        """Items that still need something: not done yet, or done without required evidence."""
        return len(self.not_done) + len(self.missing_evidence)

    @property
    def summary(self) -> str:
        text = f"{len(self.done)} of {self.applicable} done"
        if self.not_applicable:
            text += f" ({len(self.not_applicable)} not applicable)"
        missing = len(self.missing_evidence)
        return f"{text}, {missing} missing evidence"


def missing_evidence(item: ChecklistItem, answer: ItemAnswer | None) -> bool:
    return (
        item.evidence_required
        and answer is not None
        and answer.status == "done"
        and not answer.evidence.strip()
    )


def phase_progress(phase: Phase, answers: dict[str, ItemAnswer]) -> PhaseProgress:
    done, not_applicable, not_done, missing = [], [], [], []
    for item in phase.items:
        answer = answers.get(item.id)
        status = answer.status if answer else "not_yet"
        if status == "done":
            done.append(item)
            if missing_evidence(item, answer):
                missing.append(item)
        elif status == "not_applicable":
            not_applicable.append(item)
        else:
            not_done.append(item)
    return PhaseProgress(phase, tuple(done), tuple(not_applicable), tuple(not_done), tuple(missing))


def _phase_for(store: Store, change: PhaseChange, current: Template) -> Phase | None:
    """The phase in the school's template, or as pinned if a later template dropped it."""
    phase = current.phase(change.to_phase_id)
    if phase is None:
        phase = gr_templates.get_version(store, change.template_version_id).template.phase(
            change.to_phase_id
        )
    return phase


def readiness(store: Store, pupil_id: str) -> PhaseProgress | None:
    """Progress with the current phase's checklist; None when no phase is recorded yet."""
    change = current_phase(store, pupil_id)
    if change is None:
        return None
    phase = _phase_for(store, change, gr_templates.current_template(store).template)
    if phase is None:
        return None
    return phase_progress(phase, current_answers(store, pupil_id))


def caseload_readiness(
    store: Store, pupil_ids: Iterable[str] | None = None
) -> dict[str, tuple[str, int]]:
    """{pupil id: (current phase name, items outstanding)} for many pupils in two queries.

    Pupils with no phase recorded are left out. `pupil_ids` None means every pupil.
    """
    template = gr_templates.current_template(store).template
    wanted = None if pupil_ids is None else set(pupil_ids)
    phases = store.db.query(
        "SELECT pupil_id, to_phase_id, to_phase_name, template_version_id FROM ("
        "  SELECT pupil_id, to_phase_id, to_phase_name, template_version_id, row_number() OVER ("
        "    PARTITION BY pupil_id ORDER BY changed_on DESC, seq DESC) AS n "
        "  FROM gr_phase_changes) WHERE n = 1"
    )
    current: dict[str, tuple[str, str, str]] = {
        row["pupil_id"]: (row["to_phase_id"], row["to_phase_name"], row["template_version_id"])
        for row in phases
        if wanted is None or row["pupil_id"] in wanted
    }
    answers: dict[str, dict[str, str]] = {}
    rows = store.db.query(
        "SELECT a.pupil_id, a.item_id, a.status, a.evidence FROM gr_item_answers a "
        "JOIN (SELECT max(seq) AS seq FROM gr_item_answers GROUP BY pupil_id, item_id) latest "
        "  ON a.seq = latest.seq"
    )
    for row in rows:
        if row["pupil_id"] in current:
            status = row["status"]
            if status == "done" and not (row["evidence"] or "").strip():
                status = "done_without_evidence"
            answers.setdefault(row["pupil_id"], {})[row["item_id"]] = status
    result: dict[str, tuple[str, int]] = {}
    for pupil_id, (phase_id, phase_name, version_id) in current.items():
        phase = template.phase(phase_id)
        if phase is None:
            phase = gr_templates.get_version(store, version_id).template.phase(phase_id)
        if phase is None:
            result[pupil_id] = (phase_name, 0)
            continue
        statuses = answers.get(pupil_id, {})
        outstanding = 0
        for item in phase.items:
            status = statuses.get(item.id, "not_yet")
            if status == "not_yet" or (
                status == "done_without_evidence" and item.evidence_required
            ):
                outstanding += 1
        result[pupil_id] = (phase.name, outstanding)
    return result


# --- everything for one pupil (the tab and the evidence pack) ---------------------------------


@dataclass(frozen=True)
class GraduatedResponse:
    """A pupil's whole graduated-response record, read in a handful of queries."""

    pupil_id: str
    template: TemplateVersion
    history: tuple[PhaseChange, ...]
    answers: dict[str, ItemAnswer]
    cycles: tuple[apdr.ApdrCycle, ...]
    pinned: dict[str, TemplateVersion]  # template versions the answers were given against

    @property
    def current(self) -> PhaseChange | None:
        return self.history[-1] if self.history else None

    @property
    def current_phase(self) -> Phase | None:
        change = self.current
        if change is None:
            return None
        phase = self.template.template.phase(change.to_phase_id)
        if phase is None and change.template_version_id in self.pinned:
            phase = self.pinned[change.template_version_id].template.phase(change.to_phase_id)
        return phase

    @property
    def readiness(self) -> PhaseProgress | None:
        phase = self.current_phase
        return phase_progress(phase, self.answers) if phase else None

    def progress(self) -> list[PhaseProgress]:
        return [phase_progress(p, self.answers) for p in self.template.template.phases]

    def answered_wording(self, answer: ItemAnswer) -> str | None:
        """The item's wording when answered, if the school's template has since reworded it."""
        if answer.template_version_id == self.template.id:
            return None
        pinned = self.pinned.get(answer.template_version_id)
        then = pinned.template.item(answer.item_id) if pinned else None
        now = self.template.template.item(answer.item_id)
        if then is None or (now is not None and now.text == then.text):
            return None
        return then.text

    def version_number(self, answer: ItemAnswer) -> int:
        pinned = self.pinned.get(answer.template_version_id)
        return pinned.version if pinned else 0

    def retired_answers(self) -> list[ItemAnswer]:
        """Answers to items the school's template no longer has (kept, shown separately)."""
        return [a for a in self.answers.values() if self.template.template.item(a.item_id) is None]

    @property
    def reviewed_cycles(self) -> int:
        return apdr.reviewed_count(self.cycles)


def load(store: Store, pupil_id: str) -> GraduatedResponse:
    template = gr_templates.current_template(store)
    history = phase_history(store, pupil_id)
    answers = current_answers(store, pupil_id)
    wanted = {a.template_version_id for a in answers.values()}
    wanted |= {c.template_version_id for c in history}
    pinned = {template.id: template}
    for version_id in wanted - {template.id}:
        pinned[version_id] = gr_templates.get_version(store, version_id)
    return GraduatedResponse(
        pupil_id, template, tuple(history), answers, tuple(apdr.cycles(store, pupil_id)), pinned
    )
