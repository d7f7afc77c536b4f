"""Printed PSP documents: the plan for staff and meetings, and the child-friendly handout.

Both are built from one `PlanSnapshot` read from the store, so the PDF (reportlab) and the
printable HTML used by the window's print preview say the same thing. The child's handout
leaves out everything sensitive: no UPN, date of birth, SEN or Pupil Premium status, social
care status, ethnicity or referral reason; only first name, targets, helpers and ladders.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

from reportlab.graphics.shapes import Drawing, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store
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
from semh_desktop.register import pupils, staff
from semh_desktop.register.pupils import Pupil

KINDS = {"staff": "PSP document for staff", "child": "child-friendly handout"}
CHILD_SCALE = 1.6
INK = colors.black
TODAY_FILL = colors.HexColor("#222222")
START_FILL = colors.HexColor("#BBBBBB")


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


def staff_story(snap: PlanSnapshot) -> list[Flowable]:
    st = documents.styles()
    width = documents.content_width()
    case, pupil, plan = snap.case, snap.pupil, snap.case.plan
    details = case.details
    story: list[Flowable] = [
        Paragraph(documents.escape(f"{plan.label}: {pupil.display_name}"), st["title"]),
    ]
    consent = (
        f"{format_date(details.consent_date)} by {details.consent_by}"
        if details.consent_date
        else "Not recorded yet"
    )
    legal = f"{pupil.details.legal_forename} {pupil.details.legal_surname}"
    year = pupils.year_group_label(pupil.details.year_group)
    if pupil.details.reg_group:
        year += f" ({pupil.details.reg_group})"
    story.append(
        documents.key_values(
            [
                (
                    "Pupil",
                    legal
                    + (f" (known as {pupil.display_name})" if pupil.display_name != legal else ""),
                ),
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
                (
                    "Mid-point review",
                    format_date(case.mid_review) + (" (moved)" if case.mid_review_moved_to else ""),
                ),
                (
                    "Final review",
                    format_date(case.final_review)
                    + (" (moved)" if case.final_review_moved_to else ""),
                ),
            ]
        )
    )
    story.append(Paragraph("Network around the child", st["h2"]))
    if snap.network:
        story.append(
            documents.table(
                [["Role", "Name", "How they help"]]
                + [[m.role, m.name or "—", m.note or "—"] for m in snap.network],
                [width * 0.25, width * 0.3, width * 0.45],
            )
        )
    else:
        story.append(Paragraph("No one recorded yet.", st["body"]))

    if snap.aims:
        story.append(Paragraph("Case aims (the system around the child, scored 1-10)", st["h2"]))
        rows = [["Aim", "Baseline", "Final", "Change"]]
        for aim in snap.aims:
            p = snap.progress[aim.id]
            rows.append(
                [
                    f"{aim.position}. {aim.aim}",
                    _score(p.baseline),
                    _score(p.final),
                    _change(p.change),
                ]
            )
        story.append(
            documents.table(rows, [width * 0.61, width * 0.13, width * 0.13, width * 0.13])
        )

    word = plan.target_word.capitalize()
    story.append(Paragraph(f"{word}s", st["h2"]))
    if not snap.targets:
        story.append(Paragraph(f"No {plan.target_word_plural} agreed yet.", st["body"]))
    for target in snap.targets:
        p = snap.progress[target.id]
        block: list[Flowable] = [
            Paragraph(
                documents.escape(
                    f"{word} {target.position} ({target.kind_label.lower()}): {target.text}"
                ),
                st["h3"],
            )
        ]
        w = target.wording
        block.append(
            documents.key_values(
                [
                    ("What school will do", w.school_actions or "—"),
                    ("What the family will do", w.family_actions or "—"),
                    ("What the pupil will do", w.pupil_actions or "—"),
                    ("Strengths and motivators", w.strengths or "—"),
                    ("Rewards", w.rewards or "—"),
                    ("Who is responsible", w.responsible or "—"),
                ]
            )
        )
        block.append(Spacer(1, 2 * mm))
        lines = snap.scores[target.id]
        if lines:
            rows = [["Scoring point", "Date", "Agreed", "Each person's own score", "Note"]]
            rows += [
                [
                    line.point,
                    format_date(line.held_on),
                    str(line.agreed),
                    _independent_text(line),
                    line.note or "—",
                ]
                for line in lines
            ]
            block.append(
                documents.table(
                    rows, [width * 0.18, width * 0.14, width * 0.1, width * 0.38, width * 0.2]
                )
            )
            block.append(
                Paragraph(
                    documents.escape(
                        f"Baseline {_score(p.baseline)}, mid-point {_score(p.mid)}, final "
                        f"{_score(p.final)}; change {_change(p.change)}."
                    ),
                    st["small"],
                )
            )
        else:
            block.append(Paragraph("Not scored yet.", st["body"]))
        story.append(KeepTogether(block))

    story.append(
        KeepTogether(
            [
                Paragraph("Agreed by", st["h2"]),
                Paragraph("We agree to this plan and to review it on the dates above.", st["body"]),
                Spacer(1, 2 * mm),
                _signatures(width),
            ]
        )
    )
    return story


def _signatures(width: float) -> Table:
    st = documents.styles()
    rows = [[Paragraph(h, st["cell_bold"]) for h in ("", "Name", "Signature", "Date")]]
    for role in ("Pupil", "Parent/carer", "School", "Worker"):
        rows.append([Paragraph(role, st["cell"]), "", "", ""])
    result = Table(
        rows,
        colWidths=[width * 0.18, width * 0.32, width * 0.32, width * 0.18],
        rowHeights=[None] + [12 * mm] * 4,
    )
    result.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, INK),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")),
            ]
        )
    )
    return result


# --- child-friendly handout ------------------------------------------------------------------


def ladder(
    scale: Scale,
    today: int | None,
    start: int | None,
    width: float,
    *,
    font_scale: float = CHILD_SCALE,
) -> Drawing:
    """The scale drawn as steps rising from the lowest score to the highest.

    Today's step is filled dark and labelled 'Today', the starting step grey and labelled
    'Start', so the ladder reads in black and white.
    """
    values = list(scale.values())
    bold = documents.styles()["cell_bold"].fontName
    step_w = width / len(values)
    label_h = 11 * font_scale
    arrow_h = 6
    # Neighbouring 'Start' and 'Today' labels would touch: lift 'Today' by a line.
    lift = label_h if start is not None and today is not None and abs(start - today) == 1 else 0
    top_room = label_h + arrow_h + 6 + lift
    low_h, high_h = 12 * mm, 34 * mm
    drawing = Drawing(width, high_h + top_room + 2)
    number_size = 11 * font_scale
    for index, value in enumerate(values):
        x = index * step_w
        h = low_h + (high_h - low_h) * index / max(1, len(values) - 1)
        fill = colors.white
        text_colour = INK
        if value == today:
            fill, text_colour = TODAY_FILL, colors.white
        elif value == start:
            fill = START_FILL
        drawing.add(Rect(x, 0, step_w, h, fillColor=fill, strokeColor=INK, strokeWidth=1.2))
        drawing.add(
            String(
                x + step_w / 2,
                h - number_size - 3,
                str(value),
                fontName=bold,
                fontSize=number_size,
                fillColor=text_colour,
                textAnchor="middle",
            )
        )
        marks = []
        if value == today:
            marks.append("Today")
        if value == start and start != today:
            marks.append("Start")
        elif value == start:
            marks = ["Start and today"] if step_w > 40 * mm else ["Today"]
        if marks:
            centre = x + step_w / 2
            drawing.add(
                Polygon(
                    [centre - 5, h + 3, centre + 5, h + 3, centre, h + 3 + arrow_h],
                    fillColor=INK,
                    strokeColor=INK,
                )
            )
            raised = lift if marks[0] == "Today" else 0
            drawing.add(
                String(
                    centre,
                    h + arrow_h + 5 + raised,
                    marks[0],
                    fontName=bold,
                    fontSize=9 * font_scale,
                    fillColor=INK,
                    textAnchor="middle",
                )
            )
    return drawing


def child_story(snap: PlanSnapshot) -> list[Flowable]:
    st = documents.styles(scale=CHILD_SCALE)
    width = documents.content_width()
    plan = snap.case.plan
    family = plan.key == "family"
    name = snap.pupil.forename
    story: list[Flowable] = [
        Paragraph(
            documents.escape(f"Our family plan with {name}" if family else f"My plan: {name}"),
            st["title"],
        ),
        Paragraph(documents.escape(_child_intro(snap)), st["body"]),
        Paragraph("Our goals" if family else "My targets", st["h2"]),
    ]
    low_words, high_words = _ladder_ends(plan.scale)
    if not snap.targets:
        story.append(Paragraph("We will choose these together at our first meeting.", st["body"]))
    for target in snap.targets:
        p = snap.progress[target.id]
        w = target.wording
        heading = f"Goal {target.position}" if family else f"Target {target.position}"
        block: list[Flowable] = [
            Paragraph(documents.escape(f"{heading}: {target.text}"), st["h3"]),
        ]
        for label, text in _child_lines(w, family=family):
            block.append(
                Paragraph(f"<b>{documents.escape(label)}:</b> {documents.escape(text)}", st["body"])
            )
        block.append(Spacer(1, 3 * mm))
        if p.latest is not None:
            caption = f"Where I am on my ladder today: {p.latest} out of {plan.scale.high}."
            if family:
                caption = f"Where we are today: {p.latest} out of {plan.scale.high}."
        else:
            caption = "We will mark the ladder together at our first meeting."
        block.append(Paragraph(documents.escape(caption), st["body"]))
        block.append(Spacer(1, 2 * mm))
        block.append(ladder(plan.scale, p.latest, p.baseline, width))
        block.append(
            Table(
                [
                    [
                        Paragraph(documents.escape(low_words), st["small"]),
                        Paragraph(documents.escape(high_words), _right(st["small"])),
                    ]
                ],
                colWidths=[width / 2, width / 2],
                style=[("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)],
            )
        )
        block.append(Spacer(1, 6 * mm))
        story.append(KeepTogether(block))
    helpers = snap.helpers()
    help_block: list[Flowable] = [Paragraph("Who helps us" if family else "Who helps me", st["h2"])]
    if helpers:
        help_block += [Paragraph(documents.escape(f"• {line}"), st["body"]) for line in helpers]
    else:
        help_block.append(Paragraph("We will write this together.", st["body"]))
    help_block.append(Spacer(1, 4 * mm))
    help_block.append(
        Paragraph("If I am worried about anything, I can talk to any of these people.", st["body"])
    )
    story.append(KeepTogether(help_block))
    return story


def _right(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}_right", parent=style, alignment=TA_RIGHT)


# --- writing and printing --------------------------------------------------------------------


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError("Choose the kind of handout: child or staff.", field="kind")
    return kind


def document_title(snap: PlanSnapshot, kind: str) -> str:
    if kind == "child":
        return "My plan" if snap.case.plan.key == "psp" else "Our family plan"
    return snap.case.plan.label


def build_pdf(snap: PlanSnapshot, kind: str, path: Path) -> Path:
    """Write the document without auditing (benchmarks, previews)."""
    story = child_story(snap) if check_kind(kind) == "child" else staff_story(snap)
    return documents.write_pdf(
        Path(path),
        story,
        title=document_title(snap, kind),
        initials=snap.pupil.initials,
        produced_on=snap.today,
        confidential=kind == "staff",
    )


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
    check_kind(kind)
    snap = plan_snapshot(store, pupil_id, case_id)
    written = build_pdf(snap, kind, path)
    documents.record_export(
        store, "pupil", pupil_id, f"{KINDS[kind]}, case {snap.case.id}", written, action=action
    )
    return written


def record_print(store: Store, pupil_id: str, kind: str, case_id: str) -> None:
    """Audit a document sent to a printer from the window."""
    check_kind(kind)
    documents.record_export(
        store,
        "pupil",
        pupil_id,
        f"{KINDS[kind]}, case {case_id}",
        Path("printer.print"),
        action="print",
    )


# --- printable HTML (the window's print preview; QTextDocument understands this subset) -----


def _h(text: str) -> str:
    return html.escape(text).replace("\n", "<br/>")


def _html_ladder(scale: Scale, today: int | None, start: int | None, size: int) -> str:
    cells, marks = [], []
    for value in scale.values():
        style = "background-color:#ffffff;color:#000000;"
        if value == today:
            style = "background-color:#222222;color:#ffffff;"
        elif value == start:
            style = "background-color:#bbbbbb;color:#000000;"
        cells.append(
            f'<td align="center" style="{style}font-size:{size}pt;font-weight:bold;'
            f'border:1px solid black;">{value}</td>'
        )
        label = "Today" if value == today else ("Start" if value == start else "")
        marks.append(
            f'<td align="center" style="font-size:{size - 4}pt;font-weight:bold;">'
            f"{'▲ ' + label if label else ''}</td>"
        )
    return (
        '<table width="100%" cellspacing="0" cellpadding="6" border="1" '
        'style="border-collapse:collapse;border:1px solid black;">'
        f"<tr>{''.join(cells)}</tr><tr>{''.join(marks)}</tr></table>"
    )


def handout_html(snap: PlanSnapshot, kind: str) -> str:
    """The same document as simple HTML, for printing through the system print dialog."""
    check_kind(kind)
    if kind == "child":
        return _child_html(snap)
    return _staff_html(snap)


def _kv_table(pairs: list[tuple[str, str]]) -> str:
    rows = "".join(
        f'<tr><td width="30%"><b>{_h(k)}</b></td><td>{_h(v)}</td></tr>' for k, v in pairs
    )
    return (
        f'<table width="100%" border="1" cellspacing="0" cellpadding="4" '
        f'style="border-collapse:collapse;">{rows}</table>'
    )


def _grid(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f'<th align="left">{_h(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_h(c)}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<table width="100%" border="1" cellspacing="0" cellpadding="4" '
        f'style="border-collapse:collapse;"><tr>{head}</tr>{body}</table>'
    )


def _staff_html(snap: PlanSnapshot) -> str:
    case, pupil, plan = snap.case, snap.pupil, snap.case.plan
    d = case.details
    parts = [
        f"<h1>{_h(plan.label)}: {_h(pupil.display_name)}</h1>",
        _kv_table(
            [
                ("Pupil", f"{pupil.details.legal_forename} {pupil.details.legal_surname}"),
                ("Date of birth", format_date(pupil.details.date_of_birth)),
                ("Year group", pupils.year_group_label(pupil.details.year_group)),
                ("UPN", pupil.upn),
                ("Worker", snap.worker_name or "Not named"),
                ("Referral", f"{format_date(d.referral_date)} by {d.referred_by}"),
                ("Reason for referral", d.reason),
                (
                    "Parent consent",
                    f"{format_date(d.consent_date)} by {d.consent_by}"
                    if d.consent_date
                    else "Not recorded yet",
                ),
                ("Plan", f"{plan.label}, {case.length_weeks} weeks, scored {plan.scale.label}"),
                ("Start date", format_date(case.start_date)),
                ("Mid-point review", format_date(case.mid_review)),
                ("Final review", format_date(case.final_review)),
            ]
        ),
        "<h2>Network around the child</h2>",
    ]
    parts.append(
        _grid(
            ["Role", "Name", "How they help"],
            [[m.role, m.name or "—", m.note or "—"] for m in snap.network],
        )
        if snap.network
        else "<p>No one recorded yet.</p>"
    )
    if snap.aims:
        parts.append("<h2>Case aims (scored 1-10)</h2>")
        parts.append(
            _grid(
                ["Aim", "Baseline", "Final", "Change"],
                [
                    [
                        f"{a.position}. {a.aim}",
                        _score(snap.progress[a.id].baseline),
                        _score(snap.progress[a.id].final),
                        _change(snap.progress[a.id].change),
                    ]
                    for a in snap.aims
                ],
            )
        )
    word = plan.target_word.capitalize()
    parts.append(f"<h2>{word}s</h2>")
    for target in snap.targets:
        w = target.wording
        parts.append(
            f"<h3>{word} {target.position} ({_h(target.kind_label.lower())}): "
            f"{_h(target.text)}</h3>"
        )
        parts.append(
            _kv_table(
                [
                    ("What school will do", w.school_actions or "—"),
                    ("What the family will do", w.family_actions or "—"),
                    ("What the pupil will do", w.pupil_actions or "—"),
                    ("Strengths and motivators", w.strengths or "—"),
                    ("Rewards", w.rewards or "—"),
                    ("Who is responsible", w.responsible or "—"),
                ]
            )
        )
        lines = snap.scores[target.id]
        if lines:
            parts.append(
                "<p></p>"
                + _grid(
                    ["Scoring point", "Date", "Agreed", "Each person's own score", "Note"],
                    [
                        [
                            ln.point,
                            format_date(ln.held_on),
                            str(ln.agreed),
                            _independent_text(ln),
                            ln.note or "—",
                        ]
                        for ln in lines
                    ],
                )
            )
        else:
            parts.append("<p>Not scored yet.</p>")
    parts.append("<h2>Agreed by</h2>")
    parts.append(
        _grid(
            ["", "Name", "Signature", "Date"],
            [[r, "", "", ""] for r in ("Pupil", "Parent/carer", "School", "Worker")],
        )
    )
    return '<html><body style="font-size:10pt;">' + "".join(parts) + "</body></html>"


def _child_html(snap: PlanSnapshot) -> str:
    plan = snap.case.plan
    family = plan.key == "family"
    name = snap.pupil.forename
    title = f"Our family plan with {name}" if family else f"My plan: {name}"
    parts = [
        f"<h1>{_h(title)}</h1>",
        f"<p>{_h(_child_intro(snap))}</p>",
        f"<h2>{'Our goals' if family else 'My targets'}</h2>",
    ]
    low_words, high_words = _ladder_ends(plan.scale)
    for target in snap.targets:
        p = snap.progress[target.id]
        w = target.wording
        heading = f"Goal {target.position}" if family else f"Target {target.position}"
        parts.append(f"<h3>{heading}: {_h(target.text)}</h3>")
        for label, text in _child_lines(w, family=family):
            parts.append(f"<p><b>{_h(label)}:</b> {_h(text)}</p>")
        if p.latest is not None:
            parts.append(
                f"<p>Where I am on my ladder today: {p.latest} out of {plan.scale.high}.</p>"
            )
        parts.append(_html_ladder(plan.scale, p.latest, p.baseline, 16))
        parts.append(f"<p>{_h(low_words)} &nbsp;&nbsp;·&nbsp;&nbsp; {_h(high_words)}</p>")
    parts.append(f"<h2>{'Who helps us' if family else 'Who helps me'}</h2>")
    parts += [f"<p>• {_h(line)}</p>" for line in snap.helpers()]
    return '<html><body style="font-size:16pt;">' + "".join(parts) + "</body></html>"
