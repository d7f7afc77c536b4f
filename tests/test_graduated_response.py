"""The graduated response per pupil: phase history, checklist history, version pinning,
APDR counting, readiness, the caseload figures, demo data and the evidence pack."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import subprocess

import pytest
from pypdf import PdfReader

from semh_desktop.cli import main as cli
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.demo import school as demo
from semh_desktop.documents import evidence_pack
from semh_desktop.graduated import apdr
from semh_desktop.graduated import response as gr
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.graduated.apdr import ApdrDetails
from semh_desktop.graduated.response import AnswerRequest, PhaseChangeRequest
from semh_desktop.graduated.templates import ChecklistItem, Phase, Template
from semh_desktop.register import audit, pupils

from .gr_fixtures import DAY, TODAY, add_pupil, dump_tables, small_template


@pytest.fixture
def template(store):
    """The small four-phase test template as the school's (3 items a phase; item 1 needs
    evidence)."""
    return gr_templates.save_edited_template(store, small_template())


@pytest.fixture
def pupil(store):
    return add_pupil(store)


def move(store, pupil, phase_id, day=DAY, decided_by="senco", reason="Evidence reviewed."):
    return gr.change_phase(store, pupil.id, PhaseChangeRequest(phase_id, day, reason, decided_by))


# --- phase changes ---------------------------------------------------------------------------


def test_phase_changes_are_kept_as_history_with_from_to_reason_and_decider(store, template, pupil):
    assert gr.current_phase(store, pupil.id) is None
    move(store, pupil, "one", dt.date(2026, 9, 8), reason="Worries raised by the class teacher.")
    move(store, pupil, "two", dt.date(2026, 10, 5), "partnership_panel", "Little change in a term.")
    third = gr.change_phase(
        store,
        pupil.id,
        PhaseChangeRequest("four", DAY, "Needs now severe.", "other", " Virtual school   head "),
    )
    history = gr.phase_history(store, pupil.id)
    assert [(c.from_phase_name, c.to_phase_name, c.changed_on, c.decided_by) for c in history] == [
        (None, "Phase one", dt.date(2026, 9, 8), "senco"),
        ("Phase one", "Phase two", dt.date(2026, 10, 5), "partnership_panel"),
        ("Phase two", "Phase four", DAY, "other"),
    ]
    assert history[1].reason == "Little change in a term."
    assert history[1].decided_by_label == "Partnership panel"
    assert third.decided_by_label == "Other (Virtual school head)"
    assert all(c.template_version_id == template.id for c in history)
    assert gr.current_phase(store, pupil.id).to_phase_id == "four"
    rows = [e for e in audit.entries(store, pupil.id) if e.record_type == "graduated_response"]
    assert len(rows) == 3 and all(e.action == "change" for e in rows)
    assert all("Needs now severe" not in e.detail for e in rows)  # no values in the trail
    with pytest.raises(Exception, match="cannot be changed"):
        store.conn.execute("UPDATE gr_phase_changes SET reason = 'rewritten'")


def test_a_phase_change_needs_phase_date_reason_and_decider(store, template, pupil):
    blank = PhaseChangeRequest("", None, "  ", "")
    assert set(gr.check_phase_change(store, pupil.id, blank)) == {
        "to_phase",
        "changed_on",
        "reason",
        "decided_by",
    }
    with pytest.raises(ValidationError) as caught:
        gr.change_phase(
            store,
            pupil.id,
            dataclasses.replace(blank, to_phase_id="one", changed_on=DAY, decided_by="senco"),
        )
    assert caught.value.field == "reason"
    other = PhaseChangeRequest("one", DAY, "Reason", "other", "")
    assert gr.check_phase_change(store, pupil.id, other) == {
        "decided_by": "Say who made the decision."
    }
    future = PhaseChangeRequest("one", TODAY + dt.timedelta(days=1), "Reason", "senco")
    assert "future" in gr.check_phase_change(store, pupil.id, future)["changed_on"]
    move(store, pupil, "two")
    assert (
        "already at Phase two"
        in gr.check_phase_change(store, pupil.id, PhaseChangeRequest("two", DAY, "Again", "senco"))[
            "to_phase"
        ]
    )
    earlier = PhaseChangeRequest("one", DAY - dt.timedelta(days=1), "Back", "senco")
    assert "cannot be earlier" in gr.check_phase_change(store, pupil.id, earlier)["changed_on"]
    assert len(gr.phase_history(store, pupil.id)) == 1


# --- checklist answers -----------------------------------------------------------------------


def test_item_answers_are_appended_and_the_newest_counts(store, template, pupil):
    first = gr.record_answer(store, pupil.id, "one-1", AnswerRequest("not_yet", DAY, "Ms Hale"))
    second = gr.record_answer(
        store,
        pupil.id,
        "one-1",
        AnswerRequest("done", TODAY, "  Ms   Hale ", "  Minutes filed in SEN folder.  "),
    )
    same = gr.record_answer(
        store,
        pupil.id,
        "one-1",
        AnswerRequest("done", TODAY, "Ms Hale", "Minutes filed in SEN folder."),
    )
    assert same == second  # nothing changed, nothing stored
    gr.record_answer(store, pupil.id, "one-2", AnswerRequest("not_applicable"))
    history = gr.item_history(store, pupil.id, "one-1")
    assert [(a.status, a.answered_on, a.staff_name, a.evidence) for a in history] == [
        ("not_yet", DAY, "Ms Hale", ""),
        ("done", TODAY, "Ms Hale", "Minutes filed in SEN folder."),
    ]
    assert history[0].id == first.id
    current = gr.current_answers(store, pupil.id)
    assert current["one-1"].status == "done" and current["one-2"].status == "not_applicable"
    assert store.db["gr_item_answers"].count == 3
    details = [
        e.detail for e in audit.entries(store, pupil.id) if e.record_type == "graduated_response"
    ]
    assert details == [
        "checklist item one-1: status, answered_on, staff_name",
        "checklist item one-1: status, answered_on, evidence",
        "checklist item one-2: status",
    ]
    with pytest.raises(Exception, match="cannot be changed"):
        store.conn.execute("UPDATE gr_item_answers SET status = 'done'")


def test_answer_rules(store, template, pupil):
    with pytest.raises(ValidationError) as caught:
        gr.record_answer(store, pupil.id, "one-1", AnswerRequest("done", None))
    assert caught.value.field == "answered_on"
    with pytest.raises(ValidationError, match="future"):
        gr.record_answer(
            store, pupil.id, "one-1", AnswerRequest("done", TODAY + dt.timedelta(days=1))
        )
    with pytest.raises(ValidationError):
        gr.record_answer(store, pupil.id, "one-1", AnswerRequest("maybe", DAY))
    with pytest.raises(NotFound):
        gr.record_answer(store, pupil.id, "no-such-item", AnswerRequest("done", DAY))
    assert store.db["gr_item_answers"].count == 0


def test_answers_stay_pinned_to_the_template_version_they_were_given_against(
    store, template, pupil
):
    gr.record_answer(store, pupil.id, "one-1", AnswerRequest("done", DAY, "A", "Note one"))
    gr.record_answer(store, pupil.id, "one-3", AnswerRequest("done", DAY, "A", "Note three"))
    stored_before = dump_tables(store)["gr_item_answers"]

    # Reword one-1, drop one-3, add one-4.
    phase = template.template.phases[0]
    reworded = Phase(
        phase.id,
        phase.name,
        phase.description,
        (
            ChecklistItem("one-1", "Phase one item 1, reworded", "", True),
            phase.items[1],
            ChecklistItem("one-4", "A new item", "", False),
        ),
    )
    version2 = gr_templates.save_edited_template(
        store,
        Template(
            template.template.name,
            (reworded, *template.template.phases[1:]),
            template.template.authority,
        ),
    )
    assert version2.version == template.version + 1
    assert dump_tables(store)["gr_item_answers"] == stored_before  # nothing rewritten

    record = gr.load(store, pupil.id)
    answer = record.answers["one-1"]
    assert answer.template_version_id == template.id
    assert record.version_number(answer) == template.version
    assert record.answered_wording(answer) == "Phase one item 1"
    assert [a.item_id for a in record.retired_answers()] == ["one-3"]
    assert (
        gr_templates.get_version(store, answer.template_version_id).template.item("one-3").text
        == "Phase one item 3"
    )
    # New answers go against the new version; the old ones keep theirs.
    gr.record_answer(store, pupil.id, "one-1", AnswerRequest("done", TODAY, "A", "Note two"))
    history = gr.item_history(store, pupil.id, "one-1")
    assert [a.template_version_id for a in history] == [template.id, version2.id]
    with pytest.raises(NotFound):
        gr.record_answer(store, pupil.id, "one-3", AnswerRequest("done", DAY))


# --- APDR --------------------------------------------------------------------------------------


def cycle(assess, plan=None, do=None, review=None, outcome=""):
    return ApdrDetails(
        assess,
        plan,
        do,
        review,
        "Boxall done",
        "Mentor twice a week",
        "Sessions ran",
        "Calmer mornings" if review else "",
        outcome,
    )


def test_apdr_cycles_count_only_reviewed_ones(store, pupil):
    apdr.add_cycle(
        store,
        pupil.id,
        cycle(
            dt.date(2026, 1, 5),
            dt.date(2026, 1, 12),
            dt.date(2026, 1, 19),
            dt.date(2026, 3, 2),
            "Continue",
        ),
    )
    running = apdr.add_cycle(store, pupil.id, cycle(dt.date(2026, 9, 7), dt.date(2026, 9, 14)))
    found = apdr.cycles(store, pupil.id)
    assert [c.stage for c in found] == ["Reviewed", "Plan"]
    assert apdr.reviewed_count(found) == 1
    assert apdr.reviewed_summary(1).startswith("1 reviewed cycle — authorities usually ask for 2")

    updated = apdr.update_cycle(
        store,
        running.id,
        cycle(dt.date(2026, 9, 7), dt.date(2026, 9, 14), dt.date(2026, 9, 21), DAY, "Step up"),
    )
    assert updated.reviewed and updated.revisions == 2
    assert apdr.reviewed_count(apdr.cycles(store, pupil.id)) == 2
    assert apdr.reviewed_summary(2) == (
        "2 reviewed cycles — enough for an EHC needs assessment request"
    )
    history = apdr.cycle_history(store, running.id)
    assert [h.outcome for h in history] == ["", "Step up"]
    assert apdr.update_cycle(store, running.id, updated.details) == updated  # no change
    entries = [e for e in audit.entries(store) if e.record_type == "apdr_cycle"]
    assert [e.action for e in entries] == ["create", "create", "change"]
    assert "Step up" not in entries[-1].detail and "outcome" in entries[-1].detail


def test_apdr_review_date_alone_is_not_a_reviewed_cycle(store, pupil):
    booked = apdr.add_cycle(
        store,
        pupil.id,
        ApdrDetails(
            dt.date(2026, 9, 7),
            dt.date(2026, 9, 14),
            dt.date(2026, 9, 21),
            TODAY + dt.timedelta(days=30),
        ),
    )
    assert booked.stage == "Awaiting review" and not booked.reviewed


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (ApdrDetails(), "assess_on"),
        (ApdrDetails(TODAY + dt.timedelta(days=1)), "assess_on"),
        (ApdrDetails(DAY, DAY - dt.timedelta(days=1)), "plan_on"),
        (ApdrDetails(DAY, None, DAY), "plan_on"),
        (ApdrDetails(DAY, DAY, DAY, None, outcome="Done"), "review_on"),
        (ApdrDetails(DAY, DAY, DAY, TODAY + dt.timedelta(days=3), outcome="Done"), "outcome"),
    ],
)
def test_apdr_rules(store, pupil, details, field):
    assert field in apdr.check_details(details, TODAY)
    with pytest.raises(ValidationError):
        apdr.add_cycle(store, pupil.id, details)
    assert store.db["apdr_cycles"].count == 0


# --- readiness ---------------------------------------------------------------------------------


def test_readiness_of_the_current_phase(store, template, pupil):
    assert gr.readiness(store, pupil.id) is None
    move(store, pupil, "two")
    gr.record_answer(store, pupil.id, "one-1", AnswerRequest("done", DAY))  # another phase
    gr.record_answer(store, pupil.id, "two-1", AnswerRequest("done", DAY, "A", ""))
    gr.record_answer(store, pupil.id, "two-2", AnswerRequest("not_applicable"))
    progress = gr.readiness(store, pupil.id)
    assert progress.phase.id == "two"
    assert [i.id for i in progress.done] == ["two-1"]
    assert [i.id for i in progress.not_done] == ["two-3"]
    assert [i.id for i in progress.missing_evidence] == ["two-1"]  # evidence required, none
    assert progress.outstanding == 2
    assert progress.summary == "1 of 2 done (1 not applicable), 1 missing evidence"
    gr.record_answer(store, pupil.id, "two-1", AnswerRequest("done", DAY, "A", "Plan on file"))
    gr.record_answer(store, pupil.id, "two-3", AnswerRequest("done", DAY))
    progress = gr.readiness(store, pupil.id)
    assert progress.outstanding == 0 and progress.summary == (
        "2 of 2 done (1 not applicable), 0 missing evidence"
    )
    assert gr.caseload_readiness(store) == {pupil.id: ("Phase two", 0)}


def test_caseload_readiness_matches_each_pupil_in_a_fixed_number_of_queries(store, template):
    rng = random.Random(4)
    everyone = [add_pupil(store, serial=n) for n in range(1, 13)]
    for n, someone in enumerate(everyone[:10]):
        move(store, someone, ["one", "two", "three", "four"][n % 4])
        for item in template.template.phases[n % 4].items:
            status = rng.choice(["done", "not_yet", "not_applicable", None])
            if status:
                gr.record_answer(
                    store,
                    someone.id,
                    item.id,
                    AnswerRequest(status, DAY, "B", rng.choice(["", "Evidence"])),
                )
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    figures = gr.caseload_readiness(store, [p.id for p in everyone])
    store.conn.set_trace_callback(None)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 3
    assert set(figures) == {p.id for p in everyone[:10]}  # no phase, not listed
    for someone in everyone[:10]:
        progress = gr.readiness(store, someone.id)
        assert figures[someone.id] == (progress.phase.name, progress.outstanding)
    only_two = gr.caseload_readiness(store, [everyone[0].id, everyone[11].id])
    assert set(only_two) == {everyone[0].id}


# --- demo ------------------------------------------------------------------------------------


def test_demo_gives_register_pupils_all_four_phases_with_histories_and_cycles(store):
    demo.build_demo(store, pupil_count=60, register_count=20)
    figures = gr.caseload_readiness(store)
    register = {row.pupil_id for row in pupils.caseload(store)}
    assert len(figures) >= 8 and set(figures) <= register
    assert {name for name, _ in figures.values()} == {
        "Universal",
        "Targeted / SEN support",
        "Targeted plus / external advice",
        "Specialist",
    }
    reviewed = [apdr.reviewed_count(apdr.cycles(store, pid)) for pid in figures]
    assert max(reviewed) >= 2 and min(reviewed) == 0
    histories = [gr.phase_history(store, pid) for pid in figures]
    assert any(len(h) >= 3 for h in histories)
    assert {c.decided_by for h in histories for c in h} >= {"senco", "partnership_panel"}
    assert any(a.evidence for pid in figures for a in gr.current_answers(store, pid).values())


# --- evidence pack ---------------------------------------------------------------------------


def filled_pupil(store, template, pupil):
    move(store, pupil, "one", dt.date(2026, 9, 8), reason="Tearful at drop-off most days.")
    move(store, pupil, "two", DAY, "partnership_panel", "Panel advised SEN support.")
    gr.record_answer(
        store,
        pupil.id,
        "one-1",
        AnswerRequest(
            "done", dt.date(2026, 9, 20), "Ruth Adeyemi", "Key adult agreed at parents' evening"
        ),
    )
    gr.record_answer(store, pupil.id, "two-1", AnswerRequest("done", DAY, "Farah Okonjo", ""))
    gr.record_answer(store, pupil.id, "two-2", AnswerRequest("not_applicable"))
    apdr.add_cycle(
        store,
        pupil.id,
        cycle(
            dt.date(2026, 1, 5),
            dt.date(2026, 1, 12),
            dt.date(2026, 1, 19),
            dt.date(2026, 3, 2),
            "Continue with mentoring",
        ),
    )


def test_evidence_pack_holds_profile_phases_items_evidence_and_cycles(
    store, template, pupil, tmp_path
):
    filled_pupil(store, template, pupil)
    path = evidence_pack.write_evidence_pack(store, pupil.id, tmp_path / "pack.pdf")
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    for expected in (
        "Graduated response evidence pack",
        "B801200005001",
        "Zoë O'Neill",
        "Current phase",
        "Phase two",
        "Partnership panel",
        "Panel advised SEN support.",
        "Tearful at drop-off most days.",
        "Phase one item 1",
        "Key adult agreed at parents' evening",
        "Ruth Adeyemi",
        "20/09/2026",
        "Not applicable",
        "Evidence missing",
        "Phase two (current phase): 1 of 2 done "
        "(1 not applicable), 1 missing evidence, 1 not yet done",
        "Phase three: 0 of 3 done",
        "Phase four",
        "Continue with mentoring",
        "1 reviewed cycle",
    ):
        assert expected in flat, expected
    for number, page in enumerate(reader.pages, start=1):
        header = " ".join(page.extract_text().split())
        assert "CONFIDENTIAL · ZO" in header and f"Page {number}" in header
    exports = [e for e in audit.entries(store, pupil.id) if e.action == "export"]
    assert [(e.record_type, e.detail) for e in exports] == [
        ("pupil", "graduated response evidence pack (pdf)")
    ]
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(png)], check=True
    )
    assert (tmp_path / "page-1.png").stat().st_size > 10_000


def test_evidence_pack_refuses_a_non_pdf_name(store, template, pupil, tmp_path):
    with pytest.raises(ValidationError):
        evidence_pack.write_evidence_pack(store, pupil.id, tmp_path / "pack.txt")
    assert not [e for e in audit.entries(store) if e.action == "export"]


def test_evidence_pack_command(encrypted_store, monkeypatch, tmp_path, capsys):
    pupil = add_pupil(encrypted_store)
    template = gr_templates.save_edited_template(encrypted_store, small_template())
    filled_pupil(encrypted_store, template, pupil)
    db = encrypted_store.path
    encrypted_store.close()
    monkeypatch.setenv("PW", "correct horse")
    out = tmp_path / "pack.pdf"
    assert (
        cli.main(
            [
                "evidence-pack",
                "--db",
                str(db),
                "--passphrase-env",
                "PW",
                "--pupil",
                "b8012 0000 5001",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "Key adult agreed" in " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(str(out)).pages
    )
    assert (
        cli.main(
            [
                "evidence-pack",
                "--db",
                str(db),
                "--passphrase-env",
                "PW",
                "--pupil",
                "A873412723001",
                "--out",
                str(out),
            ]
        )
        == 1
    )
    assert "No pupil with UPN" in capsys.readouterr().err


def test_a_phase_missing_from_a_later_template_is_read_from_the_pinned_version(
    store, template, pupil, tmp_path
):
    move(store, pupil, "two")
    gr.record_answer(store, pupil.id, "two-2", AnswerRequest("done", DAY))
    other = Template("Borough", (Phase("b1", "Band 1", "", (ChecklistItem("b1-a", "Item"),)),))
    path = tmp_path / "borough.json"
    path.write_text(gr_templates.template_to_json(other), encoding="utf-8")
    gr_templates.import_template(store, path)
    progress = gr.readiness(store, pupil.id)
    assert progress.phase.name == "Phase two" and progress.outstanding == 2
    assert gr.caseload_readiness(store) == {pupil.id: ("Phase two", 2)}
    assert [a.item_id for a in gr.load(store, pupil.id).retired_answers()] == ["two-2"]
    moved = gr.change_phase(store, pupil.id, PhaseChangeRequest("b1", TODAY, "New bands", "senco"))
    assert (moved.from_phase_name, moved.to_phase_name) == ("Phase two", "Band 1")
