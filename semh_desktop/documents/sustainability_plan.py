"""The printed sustainability plan: a version for school staff and one for the family.

Both are built from one `PlanAfterClosure` read from the store as one list of blocks
(`documents.blocks`), written to PDF with reportlab and printed by the window from the same
blocks, so the printed page and the saved PDF always say the same thing.

The family's version uses plain words and larger type and leaves out everything sensitive:
no UPN, date of birth, SEN or social-care status, ethnicity, referral or closure reason, and
no observation notes; it says what school will keep doing, where to get help and when we
will meet again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from semh_desktop.closure.closure import Closure, get_closure, latest_closed_case
from semh_desktop.closure.questionnaires import Questionnaire, questionnaires_for_case
from semh_desktop.closure.sustainability import (
    ACTION_STATUS_SHORT,
    FollowUp,
    Signpost,
    SustainabilityAction,
    actions_for_case,
    follow_ups_for_case,
    signposts_for_case,
)
from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store
from semh_desktop.documents import blocks as b
from semh_desktop.documents import pdf as documents
from semh_desktop.plans.cases import Case, current_open_case, get_case
from semh_desktop.plans.progress import ItemProgress, case_progress
from semh_desktop.register import access, pupils, staff
from semh_desktop.register.access import checks_inline, requires
from semh_desktop.register.pupils import Pupil

KINDS = {"staff": "sustainability plan for staff", "parent": "sustainability plan for family"}
PARENT_SCALE = 1.35


@dataclass(frozen=True)
class PlanAfterClosure:
    """Everything both versions print, read in one go."""

    pupil: Pupil
    case: Case
    closure: Closure | None
    worker_name: str
    progress: tuple[ItemProgress, ...]
    actions: tuple[SustainabilityAction, ...]
    signposts: tuple[Signpost, ...]
    follow_ups: tuple[FollowUp, ...]
    questionnaires: tuple[Questionnaire, ...]
    today: dt.date

    def target_label(self, target_id: str | None) -> str:
        for item in self.progress:
            if item.item == "target" and item.item_id == target_id:
                return f"{item.label}: {item.text}"
        return "—"


def plan_case(store: Store, pupil_id: str) -> Case:
    """The case whose plan to print: the latest closed case, else an open one being closed."""
    pupil = pupils.get_pupil(store, pupil_id)
    found = latest_closed_case(store, pupil_id)
    if found is None:
        open_case = current_open_case(store, pupil_id)
        if open_case is not None and actions_for_case(store, open_case.id):
            found = open_case
    if found is None:
        raise NotFound(
            f"{pupil.display_name} has no sustainability plan yet: it is written at "
            "the closing meeting."
        )
    return found


def read_plan(store: Store, pupil_id: str, case_id: str | None = None) -> PlanAfterClosure:
    pupil = pupils.get_pupil(store, pupil_id)
    case = get_case(store, case_id) if case_id else plan_case(store, pupil_id)
    if case.pupil_id != pupil_id:
        raise NotFound("That case belongs to another pupil.")
    worker = ""
    if case.details.worker_id:
        worker = staff.get_staff(store, case.details.worker_id).name
    return PlanAfterClosure(
        pupil=pupil,
        case=case,
        closure=get_closure(store, case.id),
        worker_name=worker,
        progress=tuple(case_progress(store, case.id)),
        actions=tuple(actions_for_case(store, case.id)),
        signposts=tuple(signposts_for_case(store, case.id)),
        follow_ups=tuple(follow_ups_for_case(store, case.id)),
        questionnaires=tuple(questionnaires_for_case(store, case.id)),
        today=store.clock.today(),
    )


# The document as blocks ---------------------------------------------------------------------


def _score(value: int | None) -> str:
    return "—" if value is None else str(value)


def _change(value: int | None) -> str:
    return "—" if value is None else f"{value:+d}"


def _follow_up_state(f: FollowUp) -> str:
    if f.held_on:
        return f"Held {format_date(f.held_on)}"
    return "Not held yet"


def _staff_summary(plan: PlanAfterClosure) -> b.KeyValues:
    pupil, case, closure = plan.pupil, plan.case, plan.closure
    legal = f"{pupil.details.legal_forename} {pupil.details.legal_surname}"
    known_as = f" (known as {pupil.display_name})" if pupil.display_name != legal else ""
    year = pupils.year_group_label(pupil.details.year_group)
    pairs = [
        ("Pupil", legal + known_as),
        ("UPN", pupil.upn),
        ("Year group", year + (f" ({pupil.details.reg_group})" if pupil.details.reg_group else "")),
        ("Worker", plan.worker_name or "Not named"),
        (
            "Support",
            f"{case.plan.label} from {format_date(case.start_date)} ({case.length_weeks} weeks)",
        ),
    ]
    if closure is not None:
        pairs += [
            ("Closing meeting", format_date(closure.closed_on)),
            ("Who attended", closure.attendees),
            ("Reason for closing", closure.reason_label),
        ]
    else:
        pairs.append(("Closing meeting", "Not held yet (this plan is a draft)"))
    return b.KeyValues(tuple(pairs))


def _follow_up_blocks(plan: PlanAfterClosure) -> list[b.Block]:
    if not plan.follow_ups:
        return [
            b.Paragraph("Booked when the case is closed: 3 and 6 weeks after the closing meeting.")
        ]
    out: list[b.Block] = [
        b.Table(
            ("Meeting", "Observation by", "Meeting date", "Status", "Outcome"),
            tuple(
                (
                    f.label,
                    format_date(f.observation_on),
                    format_date(f.scheduled_on),
                    _follow_up_state(f),
                    f.outcome or "—",
                )
                for f in plan.follow_ups
            ),
            (0.14, 0.16, 0.16, 0.16, 0.38),
        )
    ]
    names = {a.id: a.details.action for a in plan.actions}
    for f in plan.follow_ups:
        if not f.held_on:
            continue
        out.append(b.Heading(f"{f.label}, held {format_date(f.held_on)}", 3))
        observed = f"Observed {format_date(f.observed_on)}: " if f.observed_on else ""
        out.append(b.Paragraph(observed + (f.observation_note or "No observation note.")))
        if f.checks:
            out.append(
                b.Table(
                    ("Action", "Still happening?", "Note"),
                    tuple(
                        (
                            names.get(c.action_id, "(removed from the plan)"),
                            ACTION_STATUS_SHORT[c.status],
                            c.note or "—",
                        )
                        for c in f.checks
                    ),
                    (0.5, 0.2, 0.3),
                )
            )
    return out


def staff_blocks(plan: PlanAfterClosure) -> list[b.Block]:
    out: list[b.Block] = [
        b.Heading(f"Sustainability plan: {plan.pupil.display_name}", 1),
        _staff_summary(plan),
    ]
    if plan.progress:
        out.append(b.Heading("Progress during the support"))
        out.append(
            b.Table(
                ("Target or aim", "Baseline", "Final", "Change"),
                tuple(
                    (f"{p.label}: {p.text}", _score(p.baseline), _score(p.final), _change(p.change))
                    for p in plan.progress
                ),
                (0.61, 0.13, 0.13, 0.13),
            )
        )

    out.append(b.Heading("What school will keep doing"))
    if plan.actions:
        rows: tuple[tuple[str, ...], ...] = tuple(
            (
                a.details.action,
                a.details.who,
                a.details.how_often,
                a.until_label,
                plan.target_label(a.details.target_id),
            )
            for a in plan.actions
        )
        out.append(
            b.Table(
                ("What", "Who", "How often", "Until", "Sustains"),
                rows,
                (0.3, 0.16, 0.15, 0.13, 0.26),
            )
        )
    else:
        out.append(b.Paragraph("No actions recorded yet."))

    out.append(b.Heading("Signposting for the family"))
    if plan.signposts:
        rows = tuple(
            (s.details.service, s.details.contact or "—", s.details.note or "—")
            for s in plan.signposts
        )
        out.append(b.Table(("Service", "Contact", "Note"), rows, (0.3, 0.3, 0.4)))
    else:
        out.append(b.Paragraph("No services recorded yet."))

    out.append(b.Heading("Follow-up after closure"))
    out += _follow_up_blocks(plan)

    if plan.questionnaires:
        out.append(b.Heading("Questionnaires"))
        rows = tuple(
            (
                q.respondent_label,
                format_date(q.completed_on),
                f"{q.mean:.1f}" if q.mean is not None else "—",
                q.partnership_label,
            )
            for q in plan.questionnaires
        )
        out.append(
            b.Table(
                ("From", "Completed", "Mean agreement (1-5)", "Partnership with family"),
                rows,
                (0.25, 0.2, 0.25, 0.3),
            )
        )
    return out


def _signpost_line(s: Signpost) -> str:
    line = s.details.service
    if s.details.contact:
        line += f": {s.details.contact}"
    if s.details.note:
        line += f". {s.details.note}"
    return line if line.endswith((".", "!", "?")) else line + "."


def _meeting_line(f: FollowUp, name: str) -> str:
    if f.held_on:
        return f"Meeting {f.number}: we met on {format_date(f.held_on)}."
    return (
        f"Meeting {f.number}: {f.scheduled_on:%A} {format_date(f.scheduled_on)}. "
        f"Before it, we will see how {name} is getting on in class."
    )


def parent_blocks(plan: PlanAfterClosure) -> list[b.Block]:
    """Plain words for the family: no flags, no reasons, no notes about the pupil."""
    name = plan.pupil.forename
    met = (
        f"We met on {format_date(plan.closure.closed_on)} to finish this time of extra support."
        if plan.closure
        else "We are getting ready to finish this time of extra support."
    )
    out: list[b.Block] = [
        b.Heading(f"Keeping things going for {name}", 1),
        b.Paragraph(
            f"{met} This sheet says what school will keep doing to help {name}, "
            "where you can get help, and when we will meet again."
        ),
        b.Heading("What school will keep doing"),
    ]
    if plan.actions:
        lines = []
        for a in plan.actions:
            until = f", until {format_date(a.details.until_date)}" if a.details.until_date else ""
            lines.append(
                f"{a.details.action} ({a.details.who}, {a.details.how_often.lower()}{until})."
            )
        out.append(b.Bullets(tuple(lines)))
    else:
        out.append(b.Paragraph("We will write this together at the closing meeting."))
    out.append(b.Heading("Where you can get help"))
    if plan.signposts:
        out.append(b.Bullets(tuple(_signpost_line(s) for s in plan.signposts)))
    else:
        out.append(b.Paragraph("Ask the school office if you would like to know about local help."))
    out.append(b.Heading("When we will meet again"))
    if plan.follow_ups:
        out.append(b.Bullets(tuple(_meeting_line(f, name) for f in plan.follow_ups)))
    else:
        out.append(
            b.Paragraph(
                "We will agree two dates to meet again, about 3 and 6 weeks after "
                "the support finishes."
            )
        )
    contact = plan.worker_name or "the school office"
    out.append(b.Paragraph(f"If things become difficult before then, please talk to {contact}."))
    return out


def blocks(plan: PlanAfterClosure, kind: str) -> list[b.Block]:
    return parent_blocks(plan) if check_kind(kind) == "parent" else staff_blocks(plan)


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError("Choose the version: staff or parent.", field="kind")
    return kind


def document_title(kind: str) -> str:
    return "Keeping things going" if kind == "parent" else "Sustainability plan"


def document(plan: PlanAfterClosure, kind: str) -> b.Document:
    """The staff or the family version as blocks (saved and printed alike)."""
    parent = check_kind(kind) == "parent"
    return b.Document(
        title=document_title(kind),
        audience="family" if parent else "staff",
        pupil_initials=plan.pupil.initials,
        produced_on=plan.today,
        blocks=tuple(blocks(plan, kind)),
        type_scale=PARENT_SCALE if parent else 1.0,
    )


def sustainability_plan_document(
    store: Store, pupil_id: str, kind: str = "staff", case_id: str | None = None
) -> b.Document:
    """Read the plan and build the version of that kind ('staff' or 'parent')."""
    check_kind(kind)
    return document(read_plan(store, pupil_id, case_id), kind)


def build_pdf(plan: PlanAfterClosure, kind: str, path: Path) -> Path:
    """Write the PDF without auditing (benchmarks and previews)."""
    return documents.write_document(Path(path), document(plan, kind))


@checks_inline("export")
def write_sustainability_plan(
    store: Store,
    pupil_id: str,
    path: Path,
    *,
    kind: str = "staff",
    case_id: str | None = None,
    action: str = "export",
) -> Path:
    """Write the staff or the family version as a PDF and audit the export."""
    # Before the file is written; a print needs "print", anything else "export".
    access.require(store, access.output_permission(action), "write_sustainability_plan")
    check_kind(kind)
    plan = read_plan(store, pupil_id, case_id)
    written = build_pdf(plan, kind, path)
    documents.record_export(
        store, "pupil", pupil_id, f"{KINDS[kind]}, case {plan.case.id}", written, action=action
    )
    return written


@requires("print")
def record_print(store: Store, pupil_id: str, kind: str, case_id: str) -> None:
    """Audit a plan sent to a printer from the window."""
    check_kind(kind)
    documents.record_print(store, pupil_id, f"{KINDS[kind]}, case {case_id}")
