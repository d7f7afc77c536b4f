"""The graduated-response evidence pack: what a referral or an EHC needs assessment request needs.

One PDF with the pupil's profile, current phase and every change of phase, a summary line per
phase, every checklist item with its status, date and evidence, and the APDR cycles. The window's
"Evidence pack…" button and `semh-desktop evidence-pack` both call `write_evidence_pack`, which
audits the export. The pack is built once as blocks (`documents.blocks`), like every document.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus.flowables import Flowable

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store
from semh_desktop.documents import blocks as b
from semh_desktop.documents import pdf as documents
from semh_desktop.graduated import apdr
from semh_desktop.graduated import response as graduated_response
from semh_desktop.graduated.response import GraduatedResponse, PhaseProgress
from semh_desktop.graduated.templates import ChecklistItem
from semh_desktop.register import pupils
from semh_desktop.register.access import requires
from semh_desktop.register.pupils import Pupil

TITLE = "Graduated response evidence pack"
# Item, status, date, by, evidence: a dd/mm/yyyy date needs 14% of the A4 width at 9 pt.
_CHECKLIST_WIDTHS = (0.33, 0.14, 0.14, 0.14, 0.25)
_CHECKLIST_HEADER = ("Checklist item", "Status", "Date", "By", "Evidence")


def _progress_line(progress: PhaseProgress) -> str:
    line = progress.summary
    if progress.not_done:
        line += f", {len(progress.not_done)} not yet done"
    return line


def _checklist_row(record: GraduatedResponse, item: ChecklistItem) -> tuple[str, ...]:
    answer = record.answers.get(item.id)
    text = item.text + (" [evidence required]" if item.evidence_required else "")
    if answer is not None:
        then = record.answered_wording(answer)
        if then:
            text += (
                f"\n(Answered against template version "
                f"{record.version_number(answer)}: \u201c{then}\u201d)"
            )
    if answer is None:
        return (text, "Not yet", "", "", "")
    evidence = answer.evidence
    if graduated_response.missing_evidence(item, answer):
        evidence = "Evidence missing (required for this item)"
    return (text, answer.status_label, format_date(answer.answered_on), answer.staff_name, evidence)


def _phase_section(record: GraduatedResponse, progress: PhaseProgress) -> b.Group:
    """A phase's heading, description and checklist, kept on one page when they fit."""
    current = record.current
    marker = " (current phase)" if current and current.to_phase_id == progress.phase.id else ""
    out: list[b.Block] = [
        b.Heading(f"{progress.phase.name}{marker}: {_progress_line(progress)}", 3)
    ]
    if progress.phase.description:
        out.append(b.Paragraph(progress.phase.description, small=True))
        out.append(b.Spacer(1))
    rows = tuple(_checklist_row(record, item) for item in progress.phase.items)
    out.append(b.Table(_CHECKLIST_HEADER, rows, _CHECKLIST_WIDTHS))
    return b.Group(tuple(out))


def _cycle_block(number: int, cycle: apdr.ApdrCycle) -> b.Group:
    d = cycle.details
    rows = [(label, format_date(d.date_of(name)), d.notes_of(name)) for name, label in apdr.STAGES]
    rows.append(("Outcome", "", d.outcome or "Not reviewed yet"))
    return b.Group(
        (
            b.Heading(f"Cycle {number}: {cycle.stage}", 3),
            b.Table(("Stage", "Date", "Notes"), tuple(rows), (0.14, 0.14, 0.72)),
        )
    )


def _current_phase(record: GraduatedResponse) -> b.Block:
    current, readiness = record.current, record.readiness
    if current is None:
        return b.Paragraph("No phase has been recorded for this pupil yet.")
    pairs = [
        ("Phase", current.to_phase_name),
        ("Since", format_date(current.changed_on)),
        ("Decided by", current.decided_by_label),
        ("Reason", current.reason),
    ]
    if readiness is not None:
        pairs.append(("Checklist for this phase", _progress_line(readiness)))
        if readiness.not_done:
            pairs.append(("Not yet done", "\n".join(f"• {i.text}" for i in readiness.not_done)))
        if readiness.missing_evidence:
            pairs.append(
                (
                    "Done, evidence missing",
                    "\n".join(f"• {i.text}" for i in readiness.missing_evidence),
                )
            )
    return b.KeyValues(tuple(pairs))


def _summary(record: GraduatedResponse) -> b.Table:
    current = record.current
    rows = []
    for progress in record.progress():
        mark = " (current)" if current and current.to_phase_id == progress.phase.id else ""
        rows.append((progress.phase.name + mark, _progress_line(progress)))
    rows.append(("APDR cycles", apdr.reviewed_summary(record.reviewed_cycles)))
    return b.Table(("Phase", "Summary"), tuple(rows), (0.35, 0.65))


def _history(record: GraduatedResponse) -> b.Block:
    if not record.history:
        return b.Paragraph("No phase changes recorded.")
    rows = tuple(
        (
            format_date(change.changed_on),
            change.from_phase_name or "—",
            change.to_phase_name,
            change.decided_by_label,
            change.reason,
        )
        for change in record.history
    )
    return b.Table(
        ("Date", "From", "To", "Decided by", "Reason"), rows, (0.14, 0.17, 0.17, 0.16, 0.36)
    )


def _retired(record: GraduatedResponse) -> list[b.Block]:
    retired = record.retired_answers()
    if not retired:
        return []
    rows = []
    for answer in retired:
        pinned = record.pinned.get(answer.template_version_id)
        item = pinned.template.item(answer.item_id) if pinned else None
        rows.append(
            (
                item.text if item else answer.item_id,
                answer.status_label,
                format_date(answer.answered_on),
                answer.staff_name,
                answer.evidence,
            )
        )
    return [
        b.Heading("Items from earlier template versions", 3),
        b.Table(
            ("Checklist item (as worded then)", *_CHECKLIST_HEADER[1:]),
            tuple(rows),
            _CHECKLIST_WIDTHS,
        ),
    ]


def evidence_pack_document(store: Store, pupil: Pupil) -> b.Document:
    """The evidence pack as blocks (a staff document: marked Confidential)."""
    record = graduated_response.load(store, pupil.id)
    today = store.clock.today()
    out: list[b.Block] = [
        b.Heading(TITLE, 1),
        b.Paragraph(
            f"{pupil.display_name} · produced {format_date(today)} · "
            f"checklist: {record.template.label}"
        ),
        b.Heading("Pupil profile"),
        b.KeyValues(tuple(pupils.profile_lines(pupil))),
        b.Heading("Current phase"),
        _current_phase(record),
        b.Heading("Summary by phase"),
        _summary(record),
        b.Heading("Phase history"),
        _history(record),
        b.Heading("Checklists"),
    ]
    out += [_phase_section(record, progress) for progress in record.progress()]
    out += _retired(record)
    out.append(b.Heading("Assess, plan, do, review cycles"))
    out.append(b.Paragraph(apdr.reviewed_summary(record.reviewed_cycles)))
    out += [_cycle_block(number, cycle) for number, cycle in enumerate(record.cycles, start=1)]
    if not record.cycles:
        out.append(b.Paragraph("No APDR cycles recorded."))
    return b.Document(
        title=TITLE,
        audience="staff",
        pupil_initials=pupil.initials,
        produced_on=today,
        blocks=tuple(out),
    )


def build_evidence_pack(store: Store, pupil: Pupil) -> list[Flowable]:
    """The evidence pack's flowables (benchmarks): the blocks as the PDF lays them out."""
    return documents.flowables(evidence_pack_document(store, pupil).blocks)


@requires("export")
def write_evidence_pack(store: Store, pupil_id: str, path: Path) -> Path:
    """Write the evidence pack PDF and audit the export."""
    pupil = pupils.get_pupil(store, pupil_id)
    document = evidence_pack_document(store, pupil)
    try:
        written = documents.write_document(Path(path), document)
    except OSError as exc:
        raise ValidationError(
            f"The evidence pack could not be written: {exc.strerror or exc}.", field="out"
        ) from None
    documents.record_export(store, "pupil", pupil_id, "graduated response evidence pack", written)
    return written
