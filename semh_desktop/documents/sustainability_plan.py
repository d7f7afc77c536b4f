"""The printed sustainability plan: a version for school staff and one for the family.

Both are built from one `PlanAfterClosure` read from the store and described as a short list
of blocks (headings, paragraphs, tables), which become reportlab flowables for the PDF and
simple HTML for the window's print preview, so the two always say the same thing.

The family's version uses plain words and larger type and leaves out everything sensitive:
no UPN, date of birth, SEN or social-care status, ethnicity, referral or closure reason, and
no observation notes; it says what school will keep doing, where to get help and when we
will meet again.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.platypus import KeepTogether, Paragraph, Spacer
from reportlab.platypus.flowables import Flowable

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
from semh_desktop.documents import pdf as documents
from semh_desktop.plans.cases import Case, current_open_case, get_case
from semh_desktop.plans.progress import ItemProgress, case_progress
from semh_desktop.register import pupils, staff
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


@dataclass(frozen=True)
class Block:
    """One piece of a printed document.

    A heading ('title', 'h2', 'h3'), a paragraph ('para'), label/value pairs ('pairs') or a
    table with a header row ('table', column widths as fractions of the page).
    """

    kind: str
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[float, ...] = ()
    keep_with_next: bool = False


@dataclass
class _Blocks:
    items: list[Block] = field(default_factory=list)

    def add(
        self,
        kind: str,
        text: str = "",
        rows: list[list[str]] | None = None,
        widths: tuple[float, ...] = (),
    ) -> None:
        self.items.append(Block(kind, text, tuple(tuple(r) for r in rows or []), widths))


def _score(value: int | None) -> str:
    return "—" if value is None else str(value)


def _change(value: int | None) -> str:
    return "—" if value is None else f"{value:+d}"


def _follow_up_state(f: FollowUp) -> str:
    if f.held_on:
        return f"Held {format_date(f.held_on)}"
    return "Not held yet"


def staff_blocks(plan: PlanAfterClosure) -> list[Block]:
    pupil, case, closure = plan.pupil, plan.case, plan.closure
    out = _Blocks()
    out.add("title", f"Sustainability plan: {pupil.display_name}")
    legal = f"{pupil.details.legal_forename} {pupil.details.legal_surname}"
    year = pupils.year_group_label(pupil.details.year_group)
    pairs = [
        [
            "Pupil",
            legal + (f" (known as {pupil.display_name})" if pupil.display_name != legal else ""),
        ],
        ["UPN", pupil.upn],
        ["Year group", year + (f" ({pupil.details.reg_group})" if pupil.details.reg_group else "")],
        ["Worker", plan.worker_name or "Not named"],
        [
            "Support",
            f"{case.plan.label} from {format_date(case.start_date)} ({case.length_weeks} weeks)",
        ],
    ]
    if closure is not None:
        pairs += [
            ["Closing meeting", format_date(closure.closed_on)],
            ["Who attended", closure.attendees],
            ["Reason for closing", closure.reason_label],
        ]
    else:
        pairs.append(["Closing meeting", "Not held yet (this plan is a draft)"])
    out.add("pairs", rows=pairs)

    if plan.progress:
        out.add("h2", "Progress during the support")
        rows = [["Target or aim", "Baseline", "Final", "Change"]]
        rows += [
            [f"{p.label}: {p.text}", _score(p.baseline), _score(p.final), _change(p.change)]
            for p in plan.progress
        ]
        out.add("table", rows=rows, widths=(0.61, 0.13, 0.13, 0.13))

    out.add("h2", "What school will keep doing")
    if plan.actions:
        rows = [["What", "Who", "How often", "Until", "Sustains"]]
        rows += [
            [
                a.details.action,
                a.details.who,
                a.details.how_often,
                a.until_label,
                plan.target_label(a.details.target_id),
            ]
            for a in plan.actions
        ]
        out.add("table", rows=rows, widths=(0.3, 0.16, 0.15, 0.13, 0.26))
    else:
        out.add("para", "No actions recorded yet.")

    out.add("h2", "Signposting for the family")
    if plan.signposts:
        rows = [["Service", "Contact", "Note"]]
        rows += [
            [s.details.service, s.details.contact or "—", s.details.note or "—"]
            for s in plan.signposts
        ]
        out.add("table", rows=rows, widths=(0.3, 0.3, 0.4))
    else:
        out.add("para", "No services recorded yet.")

    out.add("h2", "Follow-up after closure")
    if plan.follow_ups:
        rows = [["Meeting", "Observation by", "Meeting date", "Status", "Outcome"]]
        rows += [
            [
                f.label,
                format_date(f.observation_on),
                format_date(f.scheduled_on),
                _follow_up_state(f),
                f.outcome or "—",
            ]
            for f in plan.follow_ups
        ]
        out.add("table", rows=rows, widths=(0.14, 0.16, 0.16, 0.16, 0.38))
        for f in plan.follow_ups:
            if not f.held_on:
                continue
            out.add("h3", f"{f.label}, held {format_date(f.held_on)}")
            observed = f"Observed {format_date(f.observed_on)}: " if f.observed_on else ""
            out.add("para", observed + (f.observation_note or "No observation note."))
            if f.checks:
                names = {a.id: a.details.action for a in plan.actions}
                rows = [["Action", "Still happening?", "Note"]]
                rows += [
                    [
                        names.get(c.action_id, "(removed from the plan)"),
                        ACTION_STATUS_SHORT[c.status],
                        c.note or "—",
                    ]
                    for c in f.checks
                ]
                out.add("table", rows=rows, widths=(0.5, 0.2, 0.3))
    else:
        out.add("para", "Booked when the case is closed: 3 and 6 weeks after the closing meeting.")

    if plan.questionnaires:
        out.add("h2", "Questionnaires")
        rows = [["From", "Completed", "Mean agreement (1-5)", "Partnership with family"]]
        for q in plan.questionnaires:
            mean = f"{q.mean:.1f}" if q.mean is not None else "—"
            rows.append(
                [q.respondent_label, format_date(q.completed_on), mean, q.partnership_label]
            )
        out.add("table", rows=rows, widths=(0.25, 0.2, 0.25, 0.3))
    return out.items


def parent_blocks(plan: PlanAfterClosure) -> list[Block]:
    """Plain words for the family: no flags, no reasons, no notes about the pupil."""
    name = plan.pupil.forename
    out = _Blocks()
    out.add("title", f"Keeping things going for {name}")
    met = (
        f"We met on {format_date(plan.closure.closed_on)} to finish this time of extra support."
        if plan.closure
        else "We are getting ready to finish this time of extra support."
    )
    out.add(
        "para",
        f"{met} This sheet says what school will keep doing to help {name}, "
        "where you can get help, and when we will meet again.",
    )
    out.add("h2", "What school will keep doing")
    if plan.actions:
        for a in plan.actions:
            until = f", until {format_date(a.details.until_date)}" if a.details.until_date else ""
            out.add(
                "para",
                f"• {a.details.action} ({a.details.who}, {a.details.how_often.lower()}{until}).",
            )
    else:
        out.add("para", "We will write this together at the closing meeting.")
    out.add("h2", "Where you can get help")
    if plan.signposts:
        for s in plan.signposts:
            line = f"• {s.details.service}"
            if s.details.contact:
                line += f": {s.details.contact}"
            if s.details.note:
                line += f". {s.details.note}"
            out.add("para", line if line.endswith((".", "!", "?")) else line + ".")
    else:
        out.add("para", "Ask the school office if you would like to know about local help.")
    out.add("h2", "When we will meet again")
    if plan.follow_ups:
        for f in plan.follow_ups:
            if f.held_on:
                out.add("para", f"• Meeting {f.number}: we met on {format_date(f.held_on)}.")
            else:
                out.add(
                    "para",
                    f"• Meeting {f.number}: {f.scheduled_on:%A} "
                    f"{format_date(f.scheduled_on)}. "
                    f"Before it, we will see how {name} is getting on in class.",
                )
    else:
        out.add(
            "para",
            "We will agree two dates to meet again, about 3 and 6 weeks after "
            "the support finishes.",
        )
    contact = plan.worker_name or "the school office"
    out.add("para", f"If things become difficult before then, please talk to {contact}.")
    return out.items


def blocks(plan: PlanAfterClosure, kind: str) -> list[Block]:
    return parent_blocks(plan) if check_kind(kind) == "parent" else staff_blocks(plan)


# Rendering ----------------------------------------------------------------------------------


def flowables(items: list[Block], *, scale: float = 1.0) -> list[Flowable]:
    st = documents.styles(scale)
    width = documents.content_width()
    story: list[Flowable] = []
    pending: list[Flowable] = []  # a heading waits to be kept with what follows it
    for block in items:
        text = documents.escape(block.text)
        made: Flowable
        if block.kind in ("title", "h2", "h3"):
            pending.append(Paragraph(text, st[block.kind]))
            continue
        if block.kind == "para":
            made = Paragraph(text, st["body"])
        elif block.kind == "pairs":
            made = documents.key_values([(r[0], r[1]) for r in block.rows], scale=scale)
        else:
            made = documents.table(
                [list(r) for r in block.rows], [width * w for w in block.widths], scale=scale
            )
        if pending:
            story.append(KeepTogether([*pending, made]))
            pending = []
        else:
            story.append(made)
        story.append(Spacer(1, 2 * scale))
    story.extend(pending)
    return story


def _h(text: str) -> str:
    return html.escape(text).replace("\n", "<br/>")


def to_html(items: list[Block], *, scale: float = 1.0) -> str:
    """The same blocks as simple HTML (QTextDocument's subset), for the print preview."""
    parts = []
    for block in items:
        if block.kind == "title":
            parts.append(f"<h1>{_h(block.text)}</h1>")
        elif block.kind in ("h2", "h3"):
            parts.append(f"<{block.kind}>{_h(block.text)}</{block.kind}>")
        elif block.kind == "para":
            parts.append(f"<p>{_h(block.text)}</p>")
        else:
            rows = []
            for index, row in enumerate(block.rows):
                header = block.kind == "table" and index == 0
                cells = []
                for column, value in enumerate(row):
                    bold = header or (block.kind == "pairs" and column == 0)
                    cell = f"<b>{_h(value)}</b>" if bold else _h(value)
                    width = (
                        f' width="{int(block.widths[column] * 100)}%"'
                        if column < len(block.widths)
                        else ""
                    )
                    cells.append(f"<td{width}>{cell}</td>")
                rows.append("<tr>" + "".join(cells) + "</tr>")
            parts.append(
                '<table width="100%" border="1" cellspacing="0" cellpadding="4" '
                'style="border-collapse:collapse;">' + "".join(rows) + "</table>"
            )
    size = round(10 * scale)
    return f'<html><body style="font-size:{size}pt;">' + "".join(parts) + "</body></html>"


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError("Choose the version: staff or parent.", field="kind")
    return kind


def document_title(kind: str) -> str:
    return "Keeping things going" if kind == "parent" else "Sustainability plan"


def plan_html(plan: PlanAfterClosure, kind: str) -> str:
    return to_html(blocks(plan, kind), scale=PARENT_SCALE if kind == "parent" else 1.0)


def build_pdf(plan: PlanAfterClosure, kind: str, path: Path) -> Path:
    """Write the PDF without auditing (benchmarks and previews)."""
    scale = PARENT_SCALE if check_kind(kind) == "parent" else 1.0
    return documents.write_pdf(
        Path(path),
        flowables(blocks(plan, kind), scale=scale),
        title=document_title(kind),
        initials=plan.pupil.initials,
        produced_on=plan.today,
        confidential=kind == "staff",
    )


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
    check_kind(kind)
    plan = read_plan(store, pupil_id, case_id)
    written = build_pdf(plan, kind, path)
    documents.record_export(
        store, "pupil", pupil_id, f"{KINDS[kind]}, case {plan.case.id}", written, action=action
    )
    return written


def record_print(store: Store, pupil_id: str, kind: str, case_id: str) -> None:
    """Audit a plan sent to a printer from the window."""
    check_kind(kind)
    documents.record_export(
        store,
        "pupil",
        pupil_id,
        f"{KINDS[kind]}, case {case_id}",
        Path("printer.print"),
        action="print",
    )
