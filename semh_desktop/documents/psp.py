"""Printed PSP documents: the plan for staff and meetings, and the child-friendly handout.

Both are built from one `PlanSnapshot` read from the store as one list of blocks
(`documents.blocks`), which is written to PDF with reportlab and printed by the window from
the same blocks, so the printed page and the saved PDF say the same thing. The child's handout
leaves out everything sensitive: no UPN, date of birth, SEN or Pupil Premium status, social
care status, ethnicity or referral reason; only first name, targets, helpers and ladders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store
from semh_desktop.documents import blocks as b
from semh_desktop.documents import pdf as documents
from semh_desktop.plans.case_aims import CaseAim, aims_for_case
from semh_desktop.plans.cases import (
    REFERRAL_ROUTES,
    Case,
    NetworkMember,
    current_case,
    get_case,
    network,
)
from semh_desktop.plans.plan_types import Scale
from semh_desktop.plans.progress import ItemProgress, case_progress
from semh_desktop.plans.scaling import Spread, independent_scores, score_history, spread
from semh_desktop.plans.targets import Target, TargetWording, targets_for_case
from semh_desktop.register import access, pupils, staff
from semh_desktop.register.access import checks_inline, requires
from semh_desktop.register.pupils import Pupil

KINDS = {"staff": "PSP document for staff", "child": "child-friendly handout"}
CHILD_SCALE = 1.6


@dataclass(frozen=True)
class ScoreLine:
    """One scoring point of a target or aim as printed: agreed score and each person's own."""

    point: str
    held_on: dt.date
    agreed: int
    independent: tuple[tuple[str, int], ...]
    spread: Spread | None
    note: str


@dataclass(frozen=True)
class PlanSnapshot:
    pupil: Pupil
    case: Case
    worker_name: str
    network: tuple[NetworkMember, ...]
    targets: tuple[Target, ...]
    aims: tuple[CaseAim, ...]
    progress: dict[str, ItemProgress]
    scores: dict[str, tuple[ScoreLine, ...]]
    today: dt.date

    @property
    def plan_title(self) -> str:
        return self.case.plan.label

    def helpers(self) -> list[str]:
        """'Who helps me': the network (not the pupil), then the worker if not listed."""
        people = [m for m in self.network if m.role.casefold() != "pupil"]
        found = [_helper_line(m) for m in people]
        names = {m.name.casefold() for m in people}
        if self.worker_name and self.worker_name.casefold() not in names:
            found.append(f"{self.worker_name}, my worker")
        return found


def _helper_line(member: NetworkMember) -> str:
    """'Mrs Okafor, my class teacher' (acronyms such as SENCO and CAMHS kept as they are)."""
    role = {"Parent/carer": "parent or carer"}.get(member.role, member.role)
    if not role.isupper():
        role = role[:1].lower() + role[1:]
    role = f"my {role}"
    return f"{member.name}, {role}" if member.name else role[:1].upper() + role[1:]


def _score_lines(store: Store, target_id: str | None, aim_id: str | None) -> tuple[ScoreLine, ...]:
    lines = []
    for record in score_history(store, target_id=target_id, aim_id=aim_id):
        if not record.counts:
            continue
        mine = independent_scores(store, record.review_id, target_id=target_id, aim_id=aim_id)
        lines.append(
            ScoreLine(
                point=record.point.label,
                held_on=record.held_on,
                agreed=record.score,
                independent=tuple((s.person.label, s.score) for s in mine),
                spread=spread(s.score for s in mine),
                note=record.note,
            )
        )
    return tuple(lines)


def plan_snapshot(store: Store, pupil_id: str, case_id: str | None = None) -> PlanSnapshot:
    """Everything both documents print, read in one go."""
    pupil = pupils.get_pupil(store, pupil_id)
    case = get_case(store, case_id) if case_id else current_case(store, pupil_id)
    if case is None or case.pupil_id != pupil_id:
        raise NotFound(f"{pupil.display_name} has no plan yet, so there is nothing to print.")
    worker = ""
    if case.details.worker_id:
        worker = staff.get_staff(store, case.details.worker_id).name
    plan_targets = tuple(targets_for_case(store, case.id))
    plan_aims = tuple(aims_for_case(store, case.id))
    scores = {t.id: _score_lines(store, t.id, None) for t in plan_targets}
    scores.update({a.id: _score_lines(store, None, a.id) for a in plan_aims})
    return PlanSnapshot(
        pupil=pupil,
        case=case,
        worker_name=worker,
        network=tuple(network(store, case.id)),
        targets=plan_targets,
        aims=plan_aims,
        progress={p.item_id: p for p in case_progress(store, case.id)},
        scores=scores,
        today=store.clock.today(),
    )


# --- shared words ----------------------------------------------------------------------------


def _score(value: int | None) -> str:
    return "—" if value is None else str(value)


def _change(value: int | None) -> str:
    return "—" if value is None else f"{value:+d}"


def _independent_text(line: ScoreLine) -> str:
    if not line.independent:
        return "—"
    text = ", ".join(f"{label}: {score}" for label, score in line.independent)
    if line.spread and line.spread.disagreement:
        text += f" (spread {line.spread.range}: DISAGREEMENT)"
    elif line.spread and len(line.independent) > 1:
        text += f" (spread {line.spread.range})"
    return text


def _ladder_ends(scale: Scale) -> tuple[str, str]:
    if scale.low == 0:
        return "0 = we are very worried", "10 = things are going well"
    return f"{scale.low} = not there yet", f"{scale.high} = I have done it!"


def _child_lines(w: TargetWording, *, family: bool) -> list[tuple[str, str]]:
    """The actions around a target in the child's (or family's) own voice; empty ones left out."""
    if family:
        said = [
            ("We will", w.family_actions),
            ("The child will", w.pupil_actions),
            ("School will help by", w.school_actions),
            ("What is going well", w.strengths),
            ("Rewards", w.rewards),
        ]
    else:
        said = [
            ("I will", w.pupil_actions),
            ("School will help me by", w.school_actions),
            ("At home", w.family_actions),
            ("I am good at", w.strengths),
            ("My reward", w.rewards),
        ]
    return [(label, text) for label, text in said if text]


def _child_intro(snap: PlanSnapshot) -> str:
    case = snap.case
    started = "started" if case.start_date <= snap.today else "will start"
    purpose = (
        f"This plan is to help our family and {snap.pupil.forename} with the things "
        "that matter to us."
        if case.plan.key == "family"
        else "This plan is to help me feel good and do well at school."
    )
    text = f"{purpose} We {started} on {format_date(case.start_date)}. "
    future = [d for d in (case.mid_review, case.final_review) if d >= snap.today]
    if len(future) == 2:
        text += (
            f"We will meet to see how it is going on {format_date(future[0])} "
            f"and again on {format_date(future[1])}."
        )
    elif future:
        text += f"We will meet to see how it is going on {format_date(future[0])}."
    return text


# --- staff document --------------------------------------------------------------------------


def _moved(day: dt.date, moved_to: dt.date | None) -> str:
    return format_date(day) + (" (moved)" if moved_to else "")


def _staff_summary(snap: PlanSnapshot) -> b.KeyValues:
    case, pupil, plan = snap.case, snap.pupil, snap.case.plan
    details = case.details
    consent = (
        f"{format_date(details.consent_date)} by {details.consent_by}"
        if details.consent_date
        else "Not recorded yet"
    )
    legal = f"{pupil.details.legal_forename} {pupil.details.legal_surname}"
    known_as = f" (known as {pupil.display_name})" if pupil.display_name != legal else ""
    year = pupils.year_group_label(pupil.details.year_group)
    if pupil.details.reg_group:
        year += f" ({pupil.details.reg_group})"
    return b.KeyValues(
        (
            ("Pupil", legal + known_as),
            ("Date of birth", format_date(pupil.details.date_of_birth)),
            ("Year group", year),
            ("UPN", pupil.upn),
            ("Worker", snap.worker_name or "Not named"),
            (
                "Referral",
                f"{format_date(details.referral_date)} by {details.referred_by} "
                f"({REFERRAL_ROUTES[details.referral_route].lower()})",
            ),
            ("Reason for referral", details.reason),
            ("Parent consent", consent),
            ("Plan", f"{plan.label}, {case.length_weeks} weeks, scored {plan.scale.label}"),
            ("Start date", format_date(case.start_date)),
            ("Mid-point review", _moved(case.mid_review, case.mid_review_moved_to)),
            ("Final review", _moved(case.final_review, case.final_review_moved_to)),
        )
    )


def _staff_target(snap: PlanSnapshot, target: Target) -> b.Group:
    word = snap.case.plan.target_word.capitalize()
    p = snap.progress[target.id]
    w = target.wording
    parts: list[b.Block] = [
        b.Heading(f"{word} {target.position} ({target.kind_label.lower()}): {target.text}", 3),
        b.KeyValues(
            (
                ("What school will do", w.school_actions or "—"),
                ("What the family will do", w.family_actions or "—"),
                ("What the pupil will do", w.pupil_actions or "—"),
                ("Strengths and motivators", w.strengths or "—"),
                ("Rewards", w.rewards or "—"),
                ("Who is responsible", w.responsible or "—"),
            )
        ),
    ]
    lines = snap.scores[target.id]
    if lines:
        parts.append(
            b.Table(
                ("Scoring point", "Date", "Agreed", "Each person's own score", "Note"),
                tuple(
                    (
                        line.point,
                        format_date(line.held_on),
                        str(line.agreed),
                        _independent_text(line),
                        line.note or "—",
                    )
                    for line in lines
                ),
                (0.18, 0.14, 0.1, 0.38, 0.2),
            )
        )
        parts.append(
            b.Paragraph(
                f"Baseline {_score(p.baseline)}, mid-point {_score(p.mid)}, final "
                f"{_score(p.final)}; change {_change(p.change)}.",
                small=True,
            )
        )
    else:
        parts.append(b.Paragraph("Not scored yet."))
    return b.Group(tuple(parts))


def staff_blocks(snap: PlanSnapshot) -> list[b.Block]:
    plan = snap.case.plan
    out: list[b.Block] = [
        b.Heading(f"{plan.label}: {snap.pupil.display_name}", 1),
        _staff_summary(snap),
        b.Heading("Network around the child"),
    ]
    if snap.network:
        out.append(
            b.Table(
                ("Role", "Name", "How they help"),
                tuple((m.role, m.name or "—", m.note or "—") for m in snap.network),
                (0.25, 0.3, 0.45),
            )
        )
    else:
        out.append(b.Paragraph("No one recorded yet."))
    if snap.aims:
        out.append(b.Heading("Case aims (the system around the child, scored 1-10)"))
        rows = []
        for aim in snap.aims:
            p = snap.progress[aim.id]
            rows.append(
                (
                    f"{aim.position}. {aim.aim}",
                    _score(p.baseline),
                    _score(p.final),
                    _change(p.change),
                )
            )
        out.append(
            b.Table(("Aim", "Baseline", "Final", "Change"), tuple(rows), (0.61, 0.13, 0.13, 0.13))
        )
    out.append(b.Heading(f"{plan.target_word.capitalize()}s"))
    if not snap.targets:
        out.append(b.Paragraph(f"No {plan.target_word_plural} agreed yet."))
    out += [_staff_target(snap, target) for target in snap.targets]
    out.append(
        b.Group(
            (
                b.Heading("Agreed by"),
                b.Paragraph("We agree to this plan and to review it on the dates above."),
                b.Spacer(2),
                b.Signatures(("Pupil", "Parent/carer", "School", "Worker")),
            )
        )
    )
    return out


# --- child-friendly handout ------------------------------------------------------------------


def _child_target(snap: PlanSnapshot, target: Target) -> b.Group:
    plan = snap.case.plan
    family = plan.key == "family"
    p = snap.progress[target.id]
    heading = f"Goal {target.position}" if family else f"Target {target.position}"
    parts: list[b.Block] = [b.Heading(f"{heading}: {target.text}", 3)]
    parts += [
        b.Paragraph(text, lead=label) for label, text in _child_lines(target.wording, family=family)
    ]
    if p.latest is not None:
        caption = f"Where I am on my ladder today: {p.latest} out of {plan.scale.high}."
        if family:
            caption = f"Where we are today: {p.latest} out of {plan.scale.high}."
    else:
        caption = "We will mark the ladder together at our first meeting."
    low_words, high_words = _ladder_ends(plan.scale)
    parts += [
        b.Spacer(3),
        b.Paragraph(caption),
        b.Spacer(2),
        b.Ladder(tuple(plan.scale.values()), p.latest, p.baseline, low_words, high_words),
        b.Spacer(6),
    ]
    return b.Group(tuple(parts))


def child_blocks(snap: PlanSnapshot) -> list[b.Block]:
    family = snap.case.plan.key == "family"
    name = snap.pupil.forename
    out: list[b.Block] = [
        b.Heading(f"Our family plan with {name}" if family else f"My plan: {name}", 1),
        b.Paragraph(_child_intro(snap)),
        b.Heading("Our goals" if family else "My targets"),
    ]
    if not snap.targets:
        out.append(b.Paragraph("We will choose these together at our first meeting."))
    out += [_child_target(snap, target) for target in snap.targets]
    helpers = snap.helpers()
    out.append(
        b.Group(
            (
                b.Heading("Who helps us" if family else "Who helps me"),
                b.Bullets(tuple(helpers))
                if helpers
                else b.Paragraph("We will write this together."),
                b.Spacer(4),
                b.Paragraph("If I am worried about anything, I can talk to any of these people."),
            )
        )
    )
    return out


# --- writing and printing --------------------------------------------------------------------


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError("Choose the kind of handout: child or staff.", field="kind")
    return kind


def document_title(snap: PlanSnapshot, kind: str) -> str:
    if kind == "child":
        return "My plan" if snap.case.plan.key == "psp" else "Our family plan"
    return snap.case.plan.label


def document(snap: PlanSnapshot, kind: str) -> b.Document:
    """The staff PSP document or the child's handout, as blocks (saved and printed alike)."""
    child = check_kind(kind) == "child"
    return b.Document(
        title=document_title(snap, kind),
        audience="family" if child else "staff",
        pupil_initials=snap.pupil.initials,
        produced_on=snap.today,
        blocks=tuple(child_blocks(snap) if child else staff_blocks(snap)),
        type_scale=CHILD_SCALE if child else 1.0,
    )


def psp_document(store: Store, pupil_id: str, kind: str, case_id: str | None = None) -> b.Document:
    """Read the plan and build the document of that kind ('staff' or 'child')."""
    check_kind(kind)
    return document(plan_snapshot(store, pupil_id, case_id), kind)


def build_pdf(snap: PlanSnapshot, kind: str, path: Path) -> Path:
    """Write the document without auditing (benchmarks, previews)."""
    return documents.write_document(Path(path), document(snap, kind))


@checks_inline("export")
def write_handout(
    store: Store,
    pupil_id: str,
    kind: str,
    path: Path,
    *,
    case_id: str | None = None,
    action: str = "export",
) -> Path:
    """Write the staff PSP document or the child's handout as a PDF and audit it."""
    # Before the file is written; a print needs "print", anything else "export".
    access.require(store, access.output_permission(action), "write_handout")
    check_kind(kind)
    snap = plan_snapshot(store, pupil_id, case_id)
    written = build_pdf(snap, kind, path)
    documents.record_export(
        store, "pupil", pupil_id, f"{KINDS[kind]}, case {snap.case.id}", written, action=action
    )
    return written


@requires("print")
def record_print(store: Store, pupil_id: str, kind: str, case_id: str) -> None:
    """Audit a document sent to a printer from the window."""
    check_kind(kind)
    documents.record_print(store, pupil_id, f"{KINDS[kind]}, case {case_id}")
