"""The outreach summary: one pupil's support so far, for an outreach team, as PDF or JSON.

A school sends it when it asks an outreach team (re-engagement unit, primary outreach, family
practitioners, CAMHS link) for help, or when a case is handed back. It holds the pupil profile
and vulnerability factors, SEN provision and need, the current phase and what has been tried
(graduated-response evidence), APDR cycles, each plan's targets and scores over time, case
aims, attendance and suspensions in the windows around support, the current sustainability
plan and the named school contact. Ethnicity is never included (it is kept for
disproportionality monitoring only).

The summary is built once as a plain document (`build_summary`), which is both the JSON file
(schema: resources/outreach_summary.schema.json, `SCHEMA_VERSION`) and the source of the PDF
(as blocks, `summary_blocks`), so the two always say the same thing.

Pseudonymised form: the name becomes initials plus a stable pseudonymous code (an HMAC of the
pupil's UUID with a secret kept in this database's settings), the date of birth is left out
(the year group stays), the UPN is left out, and every free-text field is left out unless it
is chosen, field by field (`NOTE_FIELDS`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlab.platypus.flowables import Flowable

from semh_desktop.attendance import attendance, support_windows, suspensions
from semh_desktop.closure import closure as closure_records
from semh_desktop.closure import sustainability
from semh_desktop.core.dates import academic_year, academic_year_start, format_date
from semh_desktop.core.errors import NotFound, SemhError, ValidationError
from semh_desktop.core.paths import RESOURCES_DIR
from semh_desktop.core.store import Store
from semh_desktop.documents import blocks as b
from semh_desktop.documents import pdf as documents
from semh_desktop.graduated import apdr
from semh_desktop.graduated import response as graduated_response
from semh_desktop.plans import case_aims, cases, progress, scaling, targets
from semh_desktop.register import audit, pupils, staff
from semh_desktop.register.access import requires
from semh_desktop.register.pupils import Pupil

TITLE = "Outreach summary"
FORMAT = "semh-desktop-outreach-summary"
SCHEMA_VERSION = 1
SCHEMA_PATH = RESOURCES_DIR / "outreach_summary.schema.json"
FORMATS = (".pdf", ".json")

# Free-text fields: written by staff, they may name the pupil, family or others, so the
# pseudonymised form leaves each out unless it is chosen.
NOTE_FIELDS: dict[str, str] = {
    "referral": "Referral reason, who referred and who gave consent",
    "phase_reasons": "Reasons given for phase changes",
    "checklist_evidence": "Evidence notes on checklist items",
    "apdr_notes": "APDR stage notes and review outcomes",
    "targets": "Target wording and who does what",
    "custom_aims": "Case aims written by staff (suggested aims always show)",
    "review_notes": "Notes from scoring points and scores",
    "network": "Names of the people in the network around the child",
    "closure": "Who attended the closing meeting, and an 'other' closure reason",
    "sustainability": "Sustainability plan actions and who does them",
    "signposting": "Signposting for the family",
    "follow_ups": "Follow-up observations and outcomes",
    "suspension_notes": "Notes on suspensions and exclusions",
    "attendance_notes": "Notes on attendance figures",
}
# What always leaves (structured fields), as the export dialog lists it.
STRUCTURED_FIELDS = (
    "Year group, sex, SEN provision and primary need",
    "Vulnerability factors (Pupil Premium, social care, young carer, EAL, at risk of "
    "permanent exclusion, EHCP)",
    "Current phase, phase history dates and who decided",
    "Checklist items done, not done and not applicable, with dates",
    "APDR cycle dates and stages",
    "Plans: dates, length, status, closure reason; targets' kinds and every agreed score",
    "Case aims' scores",
    "Attendance figures; suspensions and exclusions: dates, lengths, reasons",
    "Suspensions and attendance in the windows around each plan",
    "Sustainability plan: how often and until when; follow-up dates",
    "The school contact's name and role",
)


@dataclass(frozen=True)
class SummaryOptions:
    """What goes into a summary. `include_notes` None: every note when named, none when not."""

    pseudonymise: bool = False
    include_notes: frozenset[str] | None = None
    contact_details: str = ""  # e.g. the school's phone number, added to the contact

    def notes(self) -> frozenset[str]:
        if self.include_notes is None:
            return frozenset() if self.pseudonymise else frozenset(NOTE_FIELDS)
        unknown = sorted(set(self.include_notes) - set(NOTE_FIELDS))
        if unknown:
            raise ValidationError(
                f"There is no free-text field called {', '.join(unknown)}. Choose from: "
                f"{', '.join(NOTE_FIELDS)}.",
                field="include_notes",
            )
        return frozenset(self.include_notes)

    def shows(self, note: str) -> bool:
        return note in self.notes()


def default_options(pupil_count: int) -> SummaryOptions:
    """Several pupils at once (a cohort) default to the pseudonymised form."""
    return SummaryOptions(pseudonymise=pupil_count > 1)


def fields_leaving(options: SummaryOptions) -> list[tuple[str, bool]]:
    """Every field a person might worry about, and whether it leaves with these options."""
    named = not options.pseudonymise
    notes = options.notes()
    lines = [
        ("Name" if named else "Name (replaced by initials and a pseudonymous code)", named),
        ("Initials", True),
        ("UPN", named),
        ("Date of birth" if named else "Date of birth (replaced by the year group)", named),
        ("Ethnicity (never included)", False),
    ]
    lines += [(text, True) for text in STRUCTURED_FIELDS]
    lines += [(label, key in notes) for key, label in NOTE_FIELDS.items()]
    return lines


def parse_note_fields(text: str) -> frozenset[str]:
    """'targets, apdr_notes' -> the set, refusing names that are not free-text fields."""
    chosen = frozenset(part.strip() for part in text.split(",") if part.strip())
    SummaryOptions(include_notes=chosen).notes()
    return chosen


# --- the pseudonymous code -------------------------------------------------------------------

_SECRET_KEY = "outreach.pseudonym_secret"
_CONTACT_KEY = "outreach.contact_details"


def _pseudonym_secret(store: Store) -> bytes:
    row = store.conn.execute("SELECT value FROM settings WHERE key = ?", [_SECRET_KEY]).fetchone()
    if row:
        return bytes.fromhex(str(row[0]))
    secret = secrets.token_bytes(32)
    with store.atomic():
        store.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)", [_SECRET_KEY, secret.hex()]
        )
        audit.record(store, "create", "settings", _SECRET_KEY)
    return secret


def pseudonym(store: Store, pupil_id: str) -> str:
    """A stable code for the pupil in this database, e.g. 'SEMH-7KQ3-XD2M'.

    The same pupil always gets the same code here; without the database's secret the code
    cannot be traced back to the pupil.
    """
    digest = hmac.new(_pseudonym_secret(store), pupil_id.encode("utf-8"), hashlib.sha256).digest()
    text = base64.b32encode(digest).decode("ascii")[:8]
    return f"SEMH-{text[:4]}-{text[4:]}"


def contact_details(store: Store) -> str:
    row = store.conn.execute("SELECT value FROM settings WHERE key = ?", [_CONTACT_KEY]).fetchone()
    return str(row[0]) if row else ""


@requires("export")
def set_contact_details(store: Store, text: str) -> str:
    """Remember the school's contact line (phone, email) printed with the named contact."""
    cleaned = " ".join(text.split())
    if len(cleaned) > 200:
        raise ValidationError(
            "Keep the contact details under 200 characters.", field="contact_details"
        )
    if cleaned == contact_details(store):
        return cleaned
    with store.atomic():
        store.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [_CONTACT_KEY, cleaned],
        )
        audit.record(store, "change", "settings", _CONTACT_KEY)
    return cleaned


# --- building the document -------------------------------------------------------------------


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _text(options: SummaryOptions, note: str, value: str | None) -> str | None:
    """Free text if chosen, else None (left out)."""
    return (value or "") if options.shows(note) else None


def _staff_name(store: Store, staff_id: str | None) -> str | None:
    if not staff_id:
        return None
    try:
        return staff.get_staff(store, staff_id).name
    except NotFound:
        return None


def _pupil_section(store: Store, pupil: Pupil, options: SummaryOptions) -> dict[str, Any]:
    d = pupil.details
    named = not options.pseudonymise
    return {
        "name": pupil.display_name if named else None,
        "legal_name": f"{d.legal_forename} {d.legal_surname}" if named else None,
        "initials": pupil.initials,
        "pseudonym": None if named else pseudonym(store, pupil.id),
        "upn": d.upn if named else None,
        "date_of_birth": _iso(d.date_of_birth) if named else None,
        "year_group": pupils.year_group_label(d.year_group),
        "sex": d.sex,
        "sen_provision": {"code": d.sen_provision, "label": pupils.SEN_PROVISION[d.sen_provision]},
        "primary_need": (
            {"code": d.primary_need, "label": pupils.PRIMARY_NEEDS[d.primary_need]}
            if d.primary_need
            else None
        ),
        "vulnerability": {
            "pupil_premium": d.pupil_premium,
            "social_care": d.social_care or None,
            "social_care_label": pupils.SOCIAL_CARE[d.social_care],
            "young_carer": d.young_carer,
            "eal": d.eal,
            "at_risk_of_permanent_exclusion": d.at_risk_pex,
            "ehcp": pupil.ehcp,
        },
        "on_semh_register": d.on_semh_register,
    }


def _graduated_response(
    store: Store, pupil: Pupil, options: SummaryOptions
) -> tuple[dict[str, Any], dict[str, Any]]:
    record = graduated_response.load(store, pupil.id)
    current = record.current
    readiness = record.readiness
    phase: dict[str, Any] | None = None
    if current is not None:
        phase = {
            "name": current.to_phase_name,
            "since": current.changed_on.isoformat(),
            "decided_by": current.decided_by_label,
            "reason": _text(options, "phase_reasons", current.reason),
        }
    checklist: dict[str, Any] | None = None
    if readiness is not None:
        checklist = {
            "phase": readiness.phase.name,
            "done": len(readiness.done),
            "applicable": readiness.applicable,
            "not_applicable": len(readiness.not_applicable),
            "not_done": [i.text for i in readiness.not_done],
            "missing_evidence": [i.text for i in readiness.missing_evidence],
        }
    tried = []
    for progress_line in record.progress():
        for item in progress_line.phase.items:
            answer = record.answers.get(item.id)
            if answer is None or answer.status == "not_yet":
                continue
            tried.append(
                {
                    "phase": progress_line.phase.name,
                    "item": item.text,
                    "status": answer.status,
                    "status_label": answer.status_label,
                    "date": _iso(answer.answered_on),
                    "by": answer.staff_name or None,
                    "evidence": _text(options, "checklist_evidence", answer.evidence),
                }
            )
    history = [
        {
            "date": change.changed_on.isoformat(),
            "from": change.from_phase_name,
            "to": change.to_phase_name,
            "decided_by": change.decided_by_label,
            "reason": _text(options, "phase_reasons", change.reason),
        }
        for change in record.history
    ]
    cycles = []
    for number, cycle in enumerate(record.cycles, start=1):
        d = cycle.details
        notes = (
            {name: d.notes_of(name) for name, _ in apdr.STAGES}
            if options.shows("apdr_notes")
            else None
        )
        cycles.append(
            {
                "number": number,
                "stage": cycle.stage,
                "reviewed": cycle.reviewed,
                "assess_on": _iso(d.assess_on),
                "plan_on": _iso(d.plan_on),
                "do_on": _iso(d.do_on),
                "review_on": _iso(d.review_on),
                "notes": notes,
                "outcome": _text(options, "apdr_notes", d.outcome),
            }
        )
    section = {
        "checklist_template": record.template.label,
        "current_phase": phase,
        "checklist": checklist,
        "tried": tried,
        "history": history,
    }
    apdr_section = {
        "reviewed": record.reviewed_cycles,
        "summary": apdr.reviewed_summary(record.reviewed_cycles),
        "cycles": cycles,
    }
    return section, apdr_section


def _score_points(
    store: Store, *, target_id: str | None = None, aim_id: str | None = None
) -> list[dict[str, Any]]:
    return [
        {
            "point": r.point.point,
            "label": r.point.label,
            "held_on": r.held_on.isoformat(),
            "score": r.score,
        }
        for r in scaling.score_history(store, target_id=target_id, aim_id=aim_id)
        if r.counts
    ]


def _sustainability(store: Store, case_id: str, options: SummaryOptions) -> dict[str, Any] | None:
    plan = sustainability
    actions = [
        {
            "action": _text(options, "sustainability", a.details.action),
            "who": _text(options, "sustainability", a.details.who),
            "how_often": a.details.how_often,
            "until": _iso(a.details.until_date),
        }
        for a in plan.actions_for_case(store, case_id)
    ]
    signposting = (
        [
            {
                "service": s.details.service,
                "contact": s.details.contact,
                "note": s.details.note,
            }
            for s in plan.signposts_for_case(store, case_id)
        ]
        if options.shows("signposting")
        else None
    )
    follow_ups = [
        {
            "number": f.number,
            "scheduled_on": f.scheduled_on.isoformat(),
            "observation_on": f.observation_on.isoformat(),
            "held_on": _iso(f.held_on),
            "observation_note": _text(options, "follow_ups", f.observation_note),
            "outcome": _text(options, "follow_ups", f.outcome),
        }
        for f in plan.follow_ups_for_case(store, case_id)
    ]
    if not actions and not follow_ups and not signposting:
        return None
    return {"actions": actions, "signposting": signposting, "follow_ups": follow_ups}


def _windows(store: Store, case_id: str) -> list[dict[str, Any]] | None:
    result = []
    for key, figures in support_windows.windows_for_case(store, case_id).items():
        start, end = figures.attendance_start, figures.attendance_end
        result.append(
            {
                "key": key,
                "label": figures.window.label,
                "first": figures.window.first.isoformat(),
                "last": figures.window.last.isoformat(),
                "complete": figures.window.complete,
                "suspensions": figures.incidents,
                "suspension_days": figures.days,
                "attendance_start": round(start.percent, 1) if start else None,
                "attendance_end": round(end.percent, 1) if end else None,
            }
        )
    return result


def _case(store: Store, case: cases.Case, options: SummaryOptions) -> dict[str, Any]:
    closure = closure_records.get_closure(store, case.id)
    items = {(i.item, i.item_id): i for i in progress.case_progress(store, case.id)}
    target_rows = []
    for target in targets.targets_for_case(store, case.id):
        line = items.get(("target", target.id))
        wording = target.wording
        target_rows.append(
            {
                "position": target.position,
                "kind": target.kind,
                "kind_label": target.kind_label,
                "text": _text(options, "targets", wording.target_text),
                "actions": (
                    {
                        "school": wording.school_actions,
                        "family": wording.family_actions,
                        "pupil": wording.pupil_actions,
                        "strengths": wording.strengths,
                        "rewards": wording.rewards,
                        "responsible": wording.responsible,
                    }
                    if options.shows("targets")
                    else None
                ),
                "scale": case.scale.label,
                "baseline": line.baseline if line else None,
                "mid": line.mid if line else None,
                "final": line.final if line else None,
                "change": line.change if line else None,
                "scores": _score_points(store, target_id=target.id),
            }
        )
    aim_rows = []
    for aim in case_aims.aims_for_case(store, case.id):
        line = items.get(("aim", aim.id))
        shown = aim.aim if aim.suggested or options.shows("custom_aims") else None
        aim_rows.append(
            {
                "position": aim.position,
                "text": shown,
                "suggested": aim.suggested is not None,
                "baseline": line.baseline if line else None,
                "final": line.final if line else None,
                "change": line.change if line else None,
                "scores": _score_points(store, aim_id=aim.id),
            }
        )
    reviews = [
        {
            "point": review.point.point,
            "label": review.point.label,
            "held_on": review.held_on.isoformat(),
            "present": [person.person.role_label for person in review.people],
            "notes": _text(options, "review_notes", review.notes),
        }
        for review in scaling.reviews_for_case(store, case.id)
    ]
    network = [
        {
            "role": member.role,
            "name": member.name if options.shows("network") else None,
        }
        for member in cases.network(store, case.id)
    ]
    d = case.details
    return {
        "plan_type": case.plan.key,
        "plan_label": case.plan.label,
        "status": case.status,
        "referral_date": _iso(d.referral_date),
        "referral_route": cases.REFERRAL_ROUTES.get(d.referral_route, d.referral_route),
        "referral_reason": _text(options, "referral", d.reason),
        "referred_by": _text(options, "referral", d.referred_by),
        "consent_date": _iso(d.consent_date),
        "consent_by": _text(options, "referral", d.consent_by),
        "worker": _staff_name(store, d.worker_id),
        "start_date": _iso(d.start_date),
        "length_weeks": case.length_weeks,
        "mid_review": case.mid_review.isoformat(),
        "final_review": case.final_review.isoformat(),
        "closed_on": _iso(closure.closed_on) if closure else None,
        "closure_reason": (
            (
                closure.reason_label
                if options.shows("closure") or closure.reason != "other"
                else "Other"
            )
            if closure
            else None
        ),
        "closing_attendees": _text(options, "closure", closure.attendees) if closure else None,
        "network": network,
        "targets": target_rows,
        "case_aims": aim_rows,
        "reviews": reviews,
        "windows": _windows(store, case.id),
        "sustainability_plan": _sustainability(store, case.id, options) if closure else None,
    }


def _attendance(store: Store, pupil_id: str, options: SummaryOptions) -> dict[str, Any] | None:
    snapshots = attendance.attendance_for_pupil(store, pupil_id)
    points = [
        {
            "as_of": s.as_of.isoformat(),
            "percent": round(s.percent, 1),
            "persistent_absence": s.persistent_absence,
            "note": _text(options, "attendance_notes", s.note),
        }
        for s in snapshots
    ]
    return {
        "latest": points[-1] if points else None,
        "snapshots": points,
        "persistent_absence_below": attendance.PERSISTENT_ABSENCE_BELOW,
    }


def _suspensions(store: Store, pupil_id: str, options: SummaryOptions) -> dict[str, Any] | None:
    module = suspensions
    today = store.clock.today()
    year = academic_year(today)
    found = module.suspensions_for_pupil(store, pupil_id)
    start = academic_year_start(today)
    this_year = [s for s in found if academic_year_start(s.start_date) == start]
    exclusions = module.exclusions_for_pupil(store, pupil_id)
    return {
        "academic_year": year,
        "this_year": {"count": len(this_year), "days": sum(s.half_days for s in this_year) / 2},
        "all": [
            {
                "start_date": s.start_date.isoformat(),
                "days": s.days,
                "reason": s.reason_label,
                "note": _text(options, "suspension_notes", s.note),
            }
            for s in found
        ],
        "permanent_exclusions": [
            {
                "date": e.exclusion_date.isoformat(),
                "reason": e.reason_label,
                "outcome": e.outcome_label,
                "note": _text(options, "suspension_notes", e.note),
            }
            for e in exclusions
        ],
    }


def _contact(store: Store, options: SummaryOptions) -> dict[str, Any] | None:
    if not store.staff_id:
        return None
    try:
        person = staff.get_staff(store, store.staff_id)
    except NotFound:
        return None
    return {
        "name": person.name,
        "role": person.role_label,
        "details": options.contact_details or contact_details(store) or None,
    }


def build_summary(store: Store, pupil_id: str, options: SummaryOptions) -> dict[str, Any]:
    """The summary as a JSON-ready document (see resources/outreach_summary.schema.json)."""
    notes = options.notes()
    pupil = pupils.get_pupil(store, pupil_id)
    gr_section, apdr_section = _graduated_response(store, pupil, options)
    plans = [_case(store, case, options) for case in cases.cases_for_pupil(store, pupil.id)]
    closed = [p for p in plans if p["sustainability_plan"] is not None]
    current_plan = None
    if closed:
        latest = max(closed, key=lambda p: p["closed_on"] or "")
        current_plan = {
            "plan_label": latest["plan_label"],
            "closed_on": latest["closed_on"],
            **latest["sustainability_plan"],
        }
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "produced_on": store.clock.today().isoformat(),
        "pseudonymised": options.pseudonymise,
        "free_text_included": [k for k in NOTE_FIELDS if k in notes],
        "free_text_left_out": [k for k in NOTE_FIELDS if k not in notes],
        "pupil": _pupil_section(store, pupil, options),
        "school_contact": _contact(store, options),
        "graduated_response": gr_section,
        "apdr": apdr_section,
        "plans": plans,
        "attendance": _attendance(store, pupil.id, options),
        "suspensions": _suspensions(store, pupil.id, options),
        "sustainability_plan": current_plan,
    }


def load_schema() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return result


# --- the PDF ---------------------------------------------------------------------------------


def _d(value: str | None) -> str:
    return format_date(dt.date.fromisoformat(value)) if value else ""


def _n(value: Any) -> str:
    return "" if value is None else str(value)


def _change(value: int | None) -> str:
    return "" if value is None else f"{value:+d}"


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def _score_trail(points: list[dict[str, Any]]) -> str:
    return ", ".join(f"{p['label']} {_d(p['held_on'])}: {p['score']}" for p in points) or "—"


# A small gap above each table that follows another block (4 pt, as before blocks).
_GAP = b.Spacer(1.4)


def _plan_targets(plan: dict[str, Any]) -> list[b.Block]:
    rows: tuple[tuple[str, ...], ...]
    header: tuple[str, ...]
    out: list[b.Block] = []
    if plan["targets"]:
        rows = tuple(
            (
                t["text"] if t["text"] is not None else f"Target {t['position']}",
                t["kind_label"],
                _n(t["baseline"]),
                _n(t["mid"]),
                _n(t["final"]),
                _change(t["change"]),
                _score_trail(t["scores"]),
            )
            for t in plan["targets"]
        )
        header = ("Target", "Kind", "Baseline", "Mid", "Final", "Change", "Scores over time")
        out += [_GAP, b.Table(header, rows, (0.2, 0.13, 0.13, 0.07, 0.09, 0.11, 0.27))]
    if plan["case_aims"]:
        rows = tuple(
            (
                a["text"] if a["text"] is not None else f"Aim {a['position']}",
                _n(a["baseline"]),
                _n(a["final"]),
                _change(a["change"]),
                _score_trail(a["scores"]),
            )
            for a in plan["case_aims"]
        )
        header = ("Case aim", "Baseline", "Final", "Change", "Scores over time")
        out += [_GAP, b.Table(header, rows, (0.3, 0.13, 0.09, 0.11, 0.37))]
    return out


def _plan_windows(plan: dict[str, Any]) -> list[b.Block]:
    if not plan["windows"]:
        return []
    rows = []
    for w in plan["windows"]:
        dates = f"{_d(w['first'])} – {_d(w['last'])}" + ("" if w["complete"] else " (so far)")
        rows.append(
            (
                w["label"],
                dates,
                str(w["suspensions"]),
                f"{w['suspension_days']:g}",
                _pct(w["attendance_start"]),
                _pct(w["attendance_end"]),
            )
        )
    header = ("Window", "Dates", "Suspensions", "Days", "Attendance start", "Attendance end")
    return [_GAP, b.Table(header, tuple(rows), (0.2, 0.22, 0.17, 0.09, 0.16, 0.16))]


def _plan_blocks(plan: dict[str, Any]) -> list[b.Block]:
    status = "open" if plan["status"] == "open" else f"closed {_d(plan['closed_on'])}"
    pairs = [
        ("Referral", f"{_d(plan['referral_date'])}, {plan['referral_route']}"),
        (
            "Length",
            f"{plan['length_weeks']} weeks; mid-point {_d(plan['mid_review'])}, final "
            f"{_d(plan['final_review'])}",
        ),
        ("Worker", plan["worker"] or "—"),
    ]
    if plan["referral_reason"] is not None:
        pairs.insert(1, ("Reason for referral", plan["referral_reason"]))
    if plan["closure_reason"]:
        pairs.append(("Closure", plan["closure_reason"]))
    network = [f"{m['role']}" + (f" ({m['name']})" if m["name"] else "") for m in plan["network"]]
    if network:
        pairs.append(("Network", ", ".join(network)))
    out: list[b.Block] = [
        b.Heading(f"{plan['plan_label']} from {_d(plan['start_date'])} ({status})", 3),
        b.KeyValues(tuple(pairs)),
        *_plan_targets(plan),
    ]
    notes = [r for r in plan["reviews"] if r["notes"]]
    if notes:
        rows = tuple((f"{r['label']} {_d(r['held_on'])}", r["notes"]) for r in notes)
        out += [_GAP, b.Table(("Scoring point", "Notes"), rows, (0.3, 0.7))]
    return out + _plan_windows(plan)


def _days(value: float) -> str:
    return f"{value:g} day" + ("" if value == 1 else "s")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def _sustainability_blocks(plan: dict[str, Any]) -> list[b.Block]:
    rows: tuple[tuple[str, ...], ...]
    header: tuple[str, ...]
    out: list[b.Block] = [
        b.Paragraph(f"From the {plan['plan_label']} closed on {_d(plan['closed_on'])}")
    ]
    if plan["actions"]:
        rows = tuple(
            (
                a["action"] if a["action"] is not None else "(wording left out)",
                a["who"] if a["who"] is not None else "",
                a["how_often"],
                _d(a["until"]) or "No end date",
            )
            for a in plan["actions"]
        )
        header = ("What school will keep doing", "Who", "How often", "Until")
        out.append(b.Table(header, rows, (0.45, 0.2, 0.2, 0.15)))
    if plan["signposting"]:
        rows = tuple((s["service"], s["contact"], s["note"]) for s in plan["signposting"])
        out += [_GAP, b.Table(("Signposting", "Contact", "Note"), rows, (0.3, 0.3, 0.4))]
    if plan["follow_ups"]:
        rows = tuple(
            (
                str(f["number"]),
                _d(f["observation_on"]),
                _d(f["scheduled_on"]),
                _d(f["held_on"]) or "Not yet",
                f["outcome"] or "",
            )
            for f in plan["follow_ups"]
        )
        header = ("Follow-up", "Observation", "Meeting", "Held", "Outcome")
        out += [_GAP, b.Table(header, rows, (0.14, 0.17, 0.17, 0.14, 0.38))]
    return out


def _opening(summary: dict[str, Any]) -> list[b.Block]:
    p = summary["pupil"]
    who = p["name"] if p["name"] else f"{p['initials']} · {p['pseudonym']}"
    out: list[b.Block] = [
        b.Heading(TITLE, 1),
        b.Paragraph(f"{who} · {p['year_group']} · produced {_d(summary['produced_on'])}"),
    ]
    if summary["pseudonymised"]:
        left_out = [
            NOTE_FIELDS[k].split(",")[0].split(" (")[0] for k in summary["free_text_left_out"]
        ]
        text = "Pseudonymised: name, UPN and date of birth are left out." + (
            f" Free-text notes left out: {'; '.join(left_out)}." if left_out else ""
        )
        out.append(b.Paragraph(text, small=True))
    return out


_FLAGS = (
    ("pupil_premium", "Pupil Premium"),
    ("young_carer", "Young carer"),
    ("eal", "EAL"),
    ("at_risk_of_permanent_exclusion", "At risk of permanent exclusion"),
    ("ehcp", "EHCP"),
)


def _pupil_blocks(summary: dict[str, Any]) -> list[b.Block]:
    p = summary["pupil"]
    contact = summary["school_contact"]
    if p["name"]:
        pairs = [
            ("Name", p["name"]),
            ("Legal name", p["legal_name"]),
            ("UPN", p["upn"]),
            ("Date of birth", _d(p["date_of_birth"])),
        ]
    else:
        pairs = [("Initials", p["initials"]), ("Pseudonymous code", p["pseudonym"])]
    v = p["vulnerability"]
    flags = [label for key, label in _FLAGS if v[key]]
    if v["social_care"]:
        flags.insert(0, f"Social care: {v['social_care_label']}")
    pairs += [
        ("Year group", p["year_group"]),
        ("SEN provision", p["sen_provision"]["label"]),
        ("Primary need", p["primary_need"]["label"] if p["primary_need"] else "—"),
        ("Vulnerability factors", ", ".join(flags) or "None recorded"),
    ]
    if contact:
        line = f"{contact['name']} ({contact['role']})"
        if contact["details"]:
            line += f", {contact['details']}"
        pairs.append(("School contact", line))
    return [b.Heading("Pupil and school contact"), b.KeyValues(tuple(pairs))]


def _phase_blocks(gr: dict[str, Any]) -> b.Block:
    phase = gr["current_phase"]
    if phase is None:
        return b.Paragraph("No phase has been recorded yet.")
    pairs = [
        ("Current phase", phase["name"]),
        ("Since", _d(phase["since"])),
        ("Decided by", phase["decided_by"]),
    ]
    if phase["reason"] is not None:
        pairs.append(("Reason", phase["reason"]))
    checklist = gr["checklist"]
    if checklist:
        pairs.append(
            ("Checklist for this phase", f"{checklist['done']} of {checklist['applicable']} done")
        )
        if checklist["not_done"]:
            pairs.append(("Not yet done", "\n".join(f"• {t}" for t in checklist["not_done"])))
    return b.KeyValues(tuple(pairs))


def _tried_blocks(gr: dict[str, Any]) -> list[b.Block]:
    rows: tuple[tuple[str, ...], ...]
    header: tuple[str, ...]
    out: list[b.Block] = []
    if gr["tried"]:
        show_evidence = any(t["evidence"] is not None for t in gr["tried"])
        header = ("Phase", "Checklist item", "Status", "Date") + (
            ("Evidence",) if show_evidence else ()
        )
        shares = (0.15, 0.35, 0.12, 0.13, 0.25) if show_evidence else (0.2, 0.5, 0.15, 0.15)
        rows = tuple(
            (t["phase"], t["item"], t["status_label"], _d(t["date"]))
            + ((t["evidence"] or "",) if show_evidence else ())
            for t in gr["tried"]
        )
        out += [b.Heading("What has been tried", 3), b.Table(header, rows, shares)]
    if gr["history"]:
        show_reason = any(h["reason"] is not None for h in gr["history"])
        header = ("Date", "From", "To", "Decided by") + (("Reason",) if show_reason else ())
        rows = tuple(
            (_d(h["date"]), h["from"] or "—", h["to"], h["decided_by"])
            + ((h["reason"] or "",) if show_reason else ())
            for h in gr["history"]
        )
        shares = (0.14, 0.17, 0.17, 0.2, 0.32) if show_reason else (0.2, 0.25, 0.25, 0.3)
        out += [b.Heading("Phase history", 3), b.Table(header, rows, shares)]
    return out


def _apdr_blocks(a: dict[str, Any]) -> list[b.Block]:
    out: list[b.Block] = [b.Heading("Assess, plan, do, review cycles"), b.Paragraph(a["summary"])]
    if a["cycles"]:
        show_outcome = any(c["outcome"] is not None for c in a["cycles"])
        header = ("Cycle", "Stage", "Assess", "Plan", "Do", "Review") + (
            ("Outcome",) if show_outcome else ()
        )
        rows = tuple(
            (
                str(c["number"]),
                c["stage"],
                _d(c["assess_on"]),
                _d(c["plan_on"]),
                _d(c["do_on"]),
                _d(c["review_on"]),
            )
            + ((c["outcome"] or "",) if show_outcome else ())
            for c in a["cycles"]
        )
        shares: tuple[float, ...] = (
            (0.07, 0.13, 0.13, 0.13, 0.13, 0.13, 0.28)
            if show_outcome
            else (0.1, 0.2, 0.175, 0.175, 0.175, 0.175)
        )
        out.append(b.Table(header, rows, shares))
    return out


def _attendance_pairs(summary: dict[str, Any]) -> list[tuple[str, str]]:
    attendance, suspensions = summary["attendance"], summary["suspensions"]
    pairs = []
    if attendance is not None:
        latest = attendance["latest"]
        pairs.append(
            (
                "Latest attendance",
                f"{_pct(latest['percent'])} on {_d(latest['as_of'])}"
                + (" (persistent absence)" if latest["persistent_absence"] else "")
                if latest
                else "No figures recorded",
            )
        )
    if suspensions is not None:
        year = suspensions["this_year"]
        pairs.append(
            (
                f"Suspensions {suspensions['academic_year']}",
                f"{year['count']} ({_days(year['days'])})",
            )
        )
        if suspensions["all"]:
            pairs.append(
                (
                    "All suspensions",
                    "\n".join(
                        f"{_d(s['start_date'])}: {_days(s['days'])}, {s['reason']}"
                        + (f" ({s['note']})" if s["note"] else "")
                        for s in suspensions["all"]
                    ),
                )
            )
        for e in suspensions["permanent_exclusions"]:
            pairs.append(
                ("Permanent exclusion", f"{_d(e['date'])}: {e['reason']}, {e['outcome'].lower()}")
            )
    return pairs


def summary_blocks(summary: dict[str, Any]) -> list[b.Block]:
    """The PDF's blocks, read only from the document (so PDF and JSON agree)."""
    gr = summary["graduated_response"]
    out: list[b.Block] = [
        *_opening(summary),
        *_pupil_blocks(summary),
        b.Heading("Graduated response"),
        _phase_blocks(gr),
        *_tried_blocks(gr),
        *_apdr_blocks(summary["apdr"]),
        b.Heading("Plans, targets and case aims"),
    ]
    if not summary["plans"]:
        out.append(b.Paragraph("No PSP or family plan has been recorded."))
    for plan in summary["plans"]:
        out += _plan_blocks(plan)
    out.append(b.Heading("Attendance and suspensions"))
    pairs = _attendance_pairs(summary)
    out.append(
        b.KeyValues(tuple(pairs))
        if pairs
        else b.Paragraph("Attendance and suspensions are not recorded in this version.")
    )
    out.append(
        b.Paragraph("The windows around each plan are shown with the plan above.", small=True)
    )
    out.append(b.Heading("Current sustainability plan"))
    if summary["sustainability_plan"]:
        out += _sustainability_blocks(summary["sustainability_plan"])
    else:
        out.append(b.Paragraph("No closed plan with a sustainability plan yet."))
    return out


def summary_document(summary: dict[str, Any], produced_on: dt.date) -> b.Document:
    """The summary as a block document (for outreach staff: marked Confidential)."""
    return b.Document(
        title=TITLE,
        audience="staff",
        pupil_initials=summary["pupil"]["initials"],
        produced_on=produced_on,
        blocks=tuple(summary_blocks(summary)),
    )


def summary_story(summary: dict[str, Any]) -> list[Flowable]:
    """The PDF's flowables (the blocks as reportlab lays them out)."""
    return documents.flowables(summary_blocks(summary))


# --- writing files ---------------------------------------------------------------------------


def check_out(path: Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValidationError("The summary file must end in .pdf or .json.", field="out")
    return path


@requires("export")
def write_summary(store: Store, pupil_id: str, path: Path, options: SummaryOptions) -> Path:
    """Write the summary (format from the extension) and audit the export."""
    path = check_out(path)
    summary = build_summary(store, pupil_id, options)
    try:
        if path.suffix.lower() == ".pdf":
            documents.write_document(path, summary_document(summary, store.clock.today()))
        else:
            path.write_text(
                json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
    except OSError as exc:
        raise ValidationError(
            f"The summary could not be written: {exc.strerror or exc}.", field="out"
        ) from None
    kind = "pseudonymised" if options.pseudonymise else "named"
    notes = len(options.notes())
    documents.record_export(
        store, "pupil", pupil_id, f"outreach summary, {kind}, {notes} free-text fields", path
    )
    return path


def summary_file_name(store: Store, pupil_id: str, suffix: str) -> str:
    """A file name that names no one: initials and the pseudonymous code."""
    pupil = pupils.get_pupil(store, pupil_id)
    return f"outreach-summary-{pupil.initials}-{pseudonym(store, pupil_id)}{suffix}"


@dataclass
class CohortResult:
    written: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # plain messages


@requires("export")
def write_summaries(
    store: Store,
    pupil_ids: Sequence[str],
    folder: Path,
    suffix: str,
    options: SummaryOptions,
    *,
    progress_callback: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> CohortResult:
    """One summary file per pupil in `folder` (a cohort export); each audited."""
    folder = Path(folder)
    if suffix not in FORMATS:
        raise ValidationError("Choose PDF or JSON.", field="format")
    if not folder.is_dir():
        raise ValidationError(f"There is no folder at {folder}.", field="folder")
    result = CohortResult()
    for number, pupil_id in enumerate(pupil_ids, start=1):
        if cancelled and cancelled():
            break
        try:
            result.written.append(
                write_summary(
                    store, pupil_id, folder / summary_file_name(store, pupil_id, suffix), options
                )
            )
        except SemhError as exc:
            result.failed.append(exc.message)
        if progress_callback:
            progress_callback(number, len(pupil_ids))
    return result
