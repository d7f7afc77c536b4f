"""The graduated-response evidence pack: what a referral or an EHC needs assessment request needs.

One PDF with the pupil's profile, current phase and every change of phase, a summary line per
phase, every checklist item with its status, date and evidence, and the APDR cycles. The window's
"Evidence pack…" button and `semh-desktop evidence-pack` both call `write_evidence_pack`, which
audits the export.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether, Paragraph, Spacer
from reportlab.platypus.flowables import Flowable

from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.store import Store
from semh_desktop.documents import pdf as documents
from semh_desktop.documents.pdf import content_width, escape, key_values, styles, table
from semh_desktop.graduated import apdr
from semh_desktop.graduated import response as graduated_response
from semh_desktop.graduated.response import GraduatedResponse, PhaseProgress
from semh_desktop.register import pupils
from semh_desktop.register.pupils import Pupil

TITLE = "Graduated response evidence pack"
# Item, status, date, by, evidence: a dd/mm/yyyy date needs 14% of the A4 width at 9 pt.
_CHECKLIST_WIDTHS = [content_width() * share for share in (0.33, 0.14, 0.14, 0.14, 0.25)]


def _styles() -> dict[str, ParagraphStyle]:
    """The shared styles, with headings kept on the same page as what follows them."""
    st = styles()
    for name in ("h2", "h3"):
        st[name] = ParagraphStyle(f"pack_{name}", parent=st[name], keepWithNext=1)
    return st


def _progress_line(progress: PhaseProgress) -> str:
    line = progress.summary
    if progress.not_done:
        line += f", {len(progress.not_done)} not yet done"
    return line


def _phase_section(record: GraduatedResponse, progress: PhaseProgress) -> list[Flowable]:
    st = _styles()
    current = record.current
    marker = " (current phase)" if current and current.to_phase_id == progress.phase.id else ""
    story: list[Flowable] = [
        Paragraph(escape(f"{progress.phase.name}{marker}: {_progress_line(progress)}"), st["h3"]),
    ]
    if progress.phase.description:
        story.append(Paragraph(escape(progress.phase.description), st["small"]))
        story.append(Spacer(1, 3))
    rows = [["Checklist item", "Status", "Date", "By", "Evidence"]]
    for item in progress.phase.items:
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
            rows.append([text, "Not yet", "", "", ""])
            continue
        evidence = answer.evidence
        if graduated_response.missing_evidence(item, answer):
            evidence = "Evidence missing (required for this item)"
        rows.append(
            [
                text,
                answer.status_label,
                format_date(answer.answered_on),
                answer.staff_name,
                evidence,
            ]
        )
    story.append(table(rows, _CHECKLIST_WIDTHS))
    return story


def _cycle_block(number: int, cycle: apdr.ApdrCycle) -> Flowable:
    st = _styles()
    width = content_width()
    d = cycle.details
    rows = [["Stage", "Date", "Notes"]]
    for name, label in apdr.STAGES:
        rows.append([label, format_date(d.date_of(name)), d.notes_of(name)])
    rows.append(["Outcome", "", d.outcome or "Not reviewed yet"])
    heading = f"Cycle {number}: {cycle.stage}"
    return KeepTogether(
        [
            Paragraph(escape(heading), st["h3"]),
            table(rows, [width * 0.14, width * 0.14, width * 0.72]),
        ]
    )


def build_evidence_pack(store: Store, pupil: Pupil) -> list[Flowable]:
    st = _styles()
    width = content_width()
    record = graduated_response.load(store, pupil.id)
    template = record.template
    today = store.clock.today()
    story: list[Flowable] = [
        Paragraph(TITLE, st["title"]),
        Paragraph(
            escape(
                f"{pupil.display_name} · produced {format_date(today)} · "
                f"checklist: {template.label}"
            ),
            st["body"],
        ),
        Paragraph("Pupil profile", st["h2"]),
        key_values(pupils.profile_lines(pupil)),
        Paragraph("Current phase", st["h2"]),
    ]
    current = record.current
    readiness = record.readiness
    if current is None:
        story.append(Paragraph("No phase has been recorded for this pupil yet.", st["body"]))
    else:
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
        story.append(key_values(pairs))

    story.append(Paragraph("Summary by phase", st["h2"]))
    summary = [["Phase", "Summary"]]
    for progress in record.progress():
        mark = " (current)" if current and current.to_phase_id == progress.phase.id else ""
        summary.append([progress.phase.name + mark, _progress_line(progress)])
    summary.append(["APDR cycles", apdr.reviewed_summary(record.reviewed_cycles)])
    story.append(table(summary, [width * 0.35, width * 0.65]))

    story.append(Paragraph("Phase history", st["h2"]))
    if record.history:
        rows = [["Date", "From", "To", "Decided by", "Reason"]]
        for change in record.history:
            rows.append(
                [
                    format_date(change.changed_on),
                    change.from_phase_name or "—",
                    change.to_phase_name,
                    change.decided_by_label,
                    change.reason,
                ]
            )
        story.append(
            table(rows, [width * 0.14, width * 0.17, width * 0.17, width * 0.16, width * 0.36])
        )
    else:
        story.append(Paragraph("No phase changes recorded.", st["body"]))

    story.append(Paragraph("Checklists", st["h2"]))
    for progress in record.progress():
        story.extend(_phase_section(record, progress))
    retired = record.retired_answers()
    if retired:
        story.append(Paragraph("Items from earlier template versions", st["h3"]))
        rows = [["Checklist item (as worded then)", "Status", "Date", "By", "Evidence"]]
        for answer in retired:
            pinned = record.pinned.get(answer.template_version_id)
            item = pinned.template.item(answer.item_id) if pinned else None
            rows.append(
                [
                    item.text if item else answer.item_id,
                    answer.status_label,
                    format_date(answer.answered_on),
                    answer.staff_name,
                    answer.evidence,
                ]
            )
        story.append(table(rows, _CHECKLIST_WIDTHS))

    story.append(Paragraph("Assess, plan, do, review cycles", st["h2"]))
    story.append(Paragraph(escape(apdr.reviewed_summary(record.reviewed_cycles)), st["body"]))
    for number, cycle in enumerate(record.cycles, start=1):
        story.append(_cycle_block(number, cycle))
    if not record.cycles:
        story.append(Paragraph("No APDR cycles recorded.", st["body"]))
    return story


def write_evidence_pack(store: Store, pupil_id: str, path: Path) -> Path:
    """Write the evidence pack PDF and audit the export."""
    pupil = pupils.get_pupil(store, pupil_id)
    story = build_evidence_pack(store, pupil)
    try:
        written = documents.write_pdf(
            Path(path), story, title=TITLE, initials=pupil.initials, produced_on=store.clock.today()
        )
    except OSError as exc:
        raise ValidationError(
            f"The evidence pack could not be written: {exc.strerror or exc}.", field="out"
        ) from None
    documents.record_export(store, "pupil", pupil_id, "graduated response evidence pack", written)
    return written
