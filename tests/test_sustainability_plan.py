"""The printed sustainability plan: staff and family versions, the command, the audit."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from semh_desktop.cli import main as cli
from semh_desktop.closure import closure, questionnaires, sustainability
from semh_desktop.closure.closure import ClosureDetails
from semh_desktop.closure.sustainability import ActionDetails, FollowUpResult, SignpostDetails
from semh_desktop.core.errors import NotFound
from semh_desktop.core.store import Store
from semh_desktop.documents import sustainability_plan as plan_documents
from semh_desktop.plans.progress import case_progress
from semh_desktop.register import audit, pupils

from .closure_fixtures import ready_to_close
from .conftest import sample_details

D = dt.date
UPN = "B801200005001"


def build_plan(store: Store, *, reason: str = "stepped_up_csc") -> str:
    """A pupil (CIN, ethnicity recorded) whose case closed on 26/10/2026 with a full plan."""
    case = ready_to_close(store, final_on=D(2026, 10, 26), social_care="CIN", ethnicity="WIRI")
    closure.close_case(
        store,
        case.id,
        ClosureDetails(D(2026, 10, 26), "Mum, Mr Whitlock (class teacher), worker", reason),
    )
    target = next(iter(case_progress(store, case.id)))
    first = sustainability.add_action(
        store,
        case.id,
        ActionDetails(
            "Morning check-in with a key adult",
            "Mr Whitlock",
            "Every morning",
            D(2027, 2, 12),
            target.item_id,
        ),
    )
    second = sustainability.add_action(
        store,
        case.id,
        ActionDetails("Lunch club place with a named adult", "Learning mentor", "Twice a week"),
    )
    sustainability.add_signpost(
        store,
        case.id,
        SignpostDetails("Seaview Family Hub parenting group", "01632 960 418", "Tuesday evenings"),
    )
    follow_up = sustainability.follow_ups_for_case(store, case.id)[0]
    sustainability.complete_follow_up(
        store,
        follow_up.id,
        FollowUpResult(
            held_on=D(2026, 11, 16),
            observed_on=D(2026, 11, 10),
            observation_note="Shouted at a peer once but calmed quickly.",
            checks={first.id: "yes", second.id: "partly"},
            outcome="Keep going until February.",
        ),
    )
    entry = questionnaires.blank_entry(store, "school")
    entry.completed_on = D(2026, 10, 26)
    entry.answers = [(text, 4) for text, _ in entry.answers]
    entry.partnership = "improved"
    questionnaires.record_questionnaire(store, case.id, entry)
    return case.pupil_id


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def render_first_page(pdf: Path, png_stem: Path) -> Path:
    """Page 1 as a PNG, kept for a person to look at."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(png_stem)],
        check=True,
        timeout=60,
    )
    found = sorted(png_stem.parent.glob(png_stem.name + "*.png"))
    assert found and found[0].stat().st_size > 2000
    return found[0]


def test_staff_plan_lists_actions_follow_ups_and_questionnaires(
    store: Store, tmp_path: Path
) -> None:
    pupil_id = build_plan(store)
    out = plan_documents.write_sustainability_plan(store, pupil_id, tmp_path / "staff.pdf")
    text = flat(text_of(out))
    for expected in (
        "Sustainability plan",
        UPN,
        "Morning check-in with a key adult",
        "Lunch club place with a named adult",
        "Every morning",
        "12/02/2027",
        "No end date",
        "Seaview Family Hub parenting group",
        "01632 960 418",
        "Follow-up 1",
        "16/11/2026",
        "Follow-up 2",
        "07/12/2026",
        "30/11/2026",
        "Keep going until February.",
        "Partly",
        "Stepped up to Children's Social Care",
        "Closing meeting",
        "26/10/2026",
        "Mean agreement",
        "4.0",
        "Improved",
        "CONFIDENTIAL",
    ):
        assert expected in text, expected
    # Follow-up 2 is booked 6 weeks after closure (26/10 + 42 days), observation a week before.
    assert "07/12/2026" in text and "30/11/2026" in text
    entries = [e for e in audit.entries(store, pupil_id) if e.action == "export"]
    assert len(entries) == 1 and entries[0].detail.startswith("sustainability plan for staff")
    render_first_page(out, tmp_path / "staff")  # looked at while writing this feature


def test_parent_version_has_plain_words_and_no_sensitive_flags(
    store: Store, tmp_path: Path
) -> None:
    pupil_id = build_plan(store)
    out = plan_documents.write_sustainability_plan(
        store, pupil_id, tmp_path / "parent.pdf", kind="parent"
    )
    text = flat(text_of(out))
    for expected in (
        "Keeping things going for Zoë",
        "Morning check-in with a key adult",
        "Lunch club place with a named adult",
        "until 12/02/2027",
        "Seaview Family Hub parenting group",
        "01632 960 418",
        "Meeting 1: we met on 16/11/2026",
        "Meeting 2: Monday 07/12/2026",
    ):
        assert expected in text, expected
    for sensitive in (
        UPN,
        "CIN",
        "Child in need",
        "Social Care",
        "WIRI",
        "Shouted",
        "Pupil Premium",
        "Social, emotional",
        "SEMH",
        "CONFIDENTIAL",
        "14/05/2013",
        "Reason",
    ):
        assert sensitive not in text, sensitive
    entries = [e for e in audit.entries(store, pupil_id) if e.action == "export"]
    assert entries[-1].detail.startswith("sustainability plan for family")
    render_first_page(out, tmp_path / "parent")


def test_both_versions_are_built_once_as_blocks(store: Store) -> None:
    pupil_id = build_plan(store)
    plan = plan_documents.read_plan(store, pupil_id)
    staff_doc = plan_documents.document(plan, "staff")
    parent_doc = plan_documents.document(plan, "parent")
    staff_text, parent_text = staff_doc.plain_text(), parent_doc.plain_text()
    assert "Morning check-in with a key adult" in staff_text
    assert "07/12/2026" in staff_text and "07/12/2026" in parent_text
    assert UPN in staff_text and UPN not in parent_text
    assert staff_doc.confidential and not parent_doc.confidential
    assert parent_doc.type_scale > staff_doc.type_scale
    assert plan_documents.sustainability_plan_document(store, pupil_id, "parent") == parent_doc


def test_a_pupil_without_a_plan_is_refused(store: Store, tmp_path: Path) -> None:
    pupil = pupils.add_pupil(store, sample_details())
    with pytest.raises(NotFound, match="no sustainability plan yet"):
        plan_documents.write_sustainability_plan(store, pupil.id, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_the_command_writes_and_audits(
    encrypted_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pupil_id = build_plan(encrypted_store)
    assert encrypted_store.path is not None
    monkeypatch.setenv("SCHOOL_PW", "correct horse")
    out = tmp_path / "family.pdf"
    code = cli.main(
        [
            "sustainability-plan",
            "--db",
            str(encrypted_store.path),
            "--passphrase-env",
            "SCHOOL_PW",
            "--pupil",
            UPN.lower(),
            "--out",
            str(out),
            "--kind",
            "parent",
        ]
    )
    assert code == 0
    assert "Wrote the sustainability plan for family" in capsys.readouterr().out
    assert "Morning check-in with a key adult" in flat(text_of(out))
    exports = [e for e in audit.entries(encrypted_store, pupil_id) if e.action == "export"]
    assert [e.detail.split(",")[0] for e in exports] == ["sustainability plan for family"]

    code = cli.main(
        [
            "sustainability-plan",
            "--db",
            str(encrypted_store.path),
            "--passphrase-env",
            "SCHOOL_PW",
            "--pupil",
            "Q801200005002",
            "--out",
            str(tmp_path / "none.pdf"),
        ]
    )
    assert code == 1
    assert capsys.readouterr().err.strip().count("\n") == 0
