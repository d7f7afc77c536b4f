"""The printed PSP documents: the staff PSP document and the child-friendly handout."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from semh_desktop.cli import main as cli
from semh_desktop.core.errors import NotFound, ValidationError
from semh_desktop.core.store import Store
from semh_desktop.documents import psp as handouts
from semh_desktop.plans import cases, scaling
from semh_desktop.plans.scaling import BASELINE, MID, ItemScoring, Person, ReviewEntry
from semh_desktop.register import audit, pupils

from .psp_fixtures import add_aims, add_targets, make_case

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def render_page_one(pdf: Path, name: str) -> Path:
    """Page 1 as a PNG under tests/artifacts/ (gitignored), for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = ARTIFACTS / name
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        check=True,
        timeout=60,
    )
    return stem.with_suffix(".png")


@pytest.fixture
def sensitive_case(store: Store) -> cases.Case:
    return make_sensitive_case(store)


def make_sensitive_case(store: Store) -> cases.Case:
    """A looked-after pupil with Pupil Premium, an ethnicity and SEN support, mid-way through."""
    case = make_case(
        store,
        social_care="CLA",
        ethnicity="WIRI",
        pupil_premium=True,
        young_carer=True,
        at_risk_pex=True,
    )
    first, second = add_targets(store, case)
    aim_one, aim_two = add_aims(store, case)
    cases.add_network_member(
        store, case.id, "Parent/carer", "Foster carer (Ms Ellwood)", "Reads with Zoë each night"
    )
    cases.add_network_member(store, case.id, "Class teacher", "Mrs Okafor", "Daily check-in")
    people = [
        Person("pupil", "Zoë"),
        Person("parent_carer", "Ms Ellwood"),
        Person("class_teacher", "Mrs Okafor"),
    ]
    scaling.record_review(
        store,
        case.id,
        ReviewEntry(
            BASELINE,
            dt.date(2026, 10, 5),
            people,
            [
                ItemScoring(first.id, agreed=3, independent={0: 6, 1: 3, 2: 2}),
                ItemScoring(second.id, agreed=4, independent={0: 4, 1: 5, 2: 4}),
                ItemScoring(aim_id=aim_one.id, agreed=2),
                ItemScoring(aim_id=aim_two.id, agreed=3),
            ],
        ),
    )
    scaling.record_review(
        store,
        case.id,
        ReviewEntry(
            MID,
            dt.date(2026, 11, 2),
            people,
            [
                ItemScoring(
                    first.id,
                    agreed=6,
                    independent={0: 7, 1: 6, 2: 5},
                    note="Much calmer after lunch.",
                ),
                ItemScoring(second.id, agreed=5),
            ],
        ),
    )
    return case


def test_staff_document_has_targets_actions_scores_dates_and_signatures(
    store: Store, sensitive_case: cases.Case, tmp_path: Path
) -> None:
    out = handouts.write_handout(store, sensitive_case.pupil_id, "staff", tmp_path / "psp.pdf")
    text = pdf_text(out)
    for expected in (
        "Pastoral Support Plan",
        "I can stay in class for the whole lesson",
        "I can finish my reading book each week",
        "What school will do",
        "Check in with me at the start of each day.",
        "Network around the child",
        "Mrs Okafor",
        "Support the pupil's emotional regulation",
        "Mid-point review 02/11/2026",
        "Final review 30/11/2026",
        "Start date 05/10/2026",
        "Pupil (Zoë): 6",
        "DISAGREEMENT",
        "Much calmer after lunch.",
        "Agreed by",
        "Signature",
        "CONFIDENTIAL",
    ):
        assert expected in text, expected
    # Staff document: pupil identity yes, but no social care, ethnicity or PP flags either.
    for absent in ("WIRI", "Child looked after", "Pupil Premium"):
        assert absent not in text
    rows = [e for e in audit.entries(store, sensitive_case.pupil_id) if e.action == "export"]
    assert len(rows) == 1
    assert rows[0].detail == f"PSP document for staff, case {sensitive_case.id} (pdf)"
    if shutil.which("pdftoppm"):
        assert render_page_one(out, "psp_staff_page1").stat().st_size > 5_000


def test_child_handout_has_targets_ladders_and_helpers(
    store: Store, sensitive_case: cases.Case, tmp_path: Path
) -> None:
    out = handouts.write_handout(store, sensitive_case.pupil_id, "child", tmp_path / "child.pdf")
    text = pdf_text(out)
    for expected in (
        "My plan: Zoë",
        "My targets",
        "I can stay in class for the whole lesson",
        "I can finish my reading book each week",
        "I will:",
        "Use my calm card when I feel cross.",
        "My reward:",
        "Where I am on my ladder today: 6 out of 10.",
        "Today",
        "Start",
        "Who helps me",
        "Mrs Okafor, my class teacher",
        "1 = not there yet",
        "10 = I have done it!",
    ):
        assert expected in text, expected
    # The ladder's rungs are drawn as numbers 1 to 10, in order, with Start and Today beside
    # two of them, just above the key.
    rungs = re.sub(r" (Start|Today)\b", "", text)
    assert "1 2 3 4 5 6 7 8 9 10 1 = not there yet" in rungs
    if shutil.which("pdftoppm"):
        assert render_page_one(out, "psp_child_page1").stat().st_size > 5_000


def test_child_handout_has_no_sensitive_flags(
    store: Store, sensitive_case: cases.Case, tmp_path: Path
) -> None:
    pupil = pupils.get_pupil(store, sensitive_case.pupil_id)
    assert pupil.details.social_care == "CLA" and pupil.details.pupil_premium
    out = handouts.write_handout(store, pupil.id, "child", tmp_path / "child.pdf")
    # Not even the footer or the file's metadata names an SEMH tool: the handout goes home.
    text = pdf_text(out)
    assert "SEMH" not in (PdfReader(str(out)).metadata.author or "")
    forbidden_words = ["CLA", "CIN", "CP", "PP", "SEN", "SEMH", "EHCP", "EAL", "UPN", "WIRI"]
    for word in forbidden_words:
        assert not re.search(rf"\b{word}\b", text), word
    for phrase in (
        "looked after",
        "Looked after",
        "social care",
        "Social care",
        "Pupil Premium",
        "Ethnicity",
        "ethnicity",
        "Young carer",
        "exclusion",
        "SEN support",
        pupil.upn,
        "14/05/2013",
        "O'Neill",
        "Siân",
        "Struggling to settle",
        "CONFIDENTIAL",
    ):
        assert phrase not in text, phrase
    # The PDF's own metadata carries no flags either.
    info = PdfReader(out).metadata or {}
    assert not any("CLA" in str(value) or "WIRI" in str(value) for value in info.values())


def test_family_plan_handout_uses_the_0_to_10_scale(store: Store, tmp_path: Path) -> None:
    case = make_case(store, plan_type="family")
    goal = add_targets(store, case)[0]
    scaling.record_score(store, case.id, BASELINE, 0, target_id=goal.id)
    text = pdf_text(handouts.write_handout(store, case.pupil_id, "child", tmp_path / "f.pdf"))
    assert "Our family plan with Zoë" in text and "Our goals" in text
    assert "0 = we are very worried" in text and "Where we are today: 0 out of 10." in text
    staff_text = pdf_text(handouts.write_handout(store, case.pupil_id, "staff", tmp_path / "s.pdf"))
    assert "Family plan" in staff_text and "Signs of Safety" not in staff_text
    assert "scored 0-10" in staff_text


def test_the_block_documents_say_the_same(store: Store, sensitive_case: cases.Case) -> None:
    snap = handouts.plan_snapshot(store, sensitive_case.pupil_id)
    child = handouts.document(snap, "child")
    staff_doc = handouts.document(snap, "staff")
    child_text = child.plain_text()
    assert "My targets" in child_text and "I can stay in class for the whole lesson" in child_text
    assert "WIRI" not in child_text and "CLA" not in child_text
    assert snap.pupil.upn not in child_text
    assert "Agreed by" in staff_doc.plain_text() and "DISAGREEMENT" in staff_doc.plain_text()
    assert child.audience == "family" and not child.confidential and child.author() == ""
    assert staff_doc.header()[0].startswith("CONFIDENTIAL")
    assert handouts.psp_document(store, sensitive_case.pupil_id, "child") == child
    with pytest.raises(ValidationError, match="child or staff"):
        handouts.document(snap, "parent")


def test_names_are_printed_as_typed_not_read_as_markup(store: Store, tmp_path: Path) -> None:
    case = make_case(store)
    add_targets(store, case)
    cases.add_network_member(store, case.id, "Class teacher", "<b>Mrs & Mr</b> Okafor", "")
    text = pdf_text(handouts.write_handout(store, case.pupil_id, "child", tmp_path / "c.pdf"))
    assert "<b>Mrs & Mr</b> Okafor, my class teacher" in text


def test_no_plan_means_nothing_to_print(store: Store, tmp_path: Path) -> None:
    from .conftest import sample_details

    pupil = pupils.add_pupil(store, sample_details())
    with pytest.raises(NotFound, match="has no plan yet"):
        handouts.write_handout(store, pupil.id, "child", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
    assert [e for e in audit.entries(store, pupil.id) if e.action == "export"] == []


def test_handout_command(
    encrypted_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = make_case(encrypted_store)
    add_targets(encrypted_store, case)
    upn = pupils.get_pupil(encrypted_store, case.pupil_id).upn
    assert encrypted_store.path is not None
    monkeypatch.setenv("PSP_PW", "correct horse")
    out = tmp_path / "handout.pdf"
    code = cli.main(
        [
            "handout",
            "--db",
            str(encrypted_store.path),
            "--passphrase-env",
            "PSP_PW",
            "--pupil",
            upn,
            "--kind",
            "child",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "I can stay in class for the whole lesson" in pdf_text(out)
    assert "Wrote the child-friendly handout" in capsys.readouterr().out
    exports = [e for e in audit.entries(encrypted_store, case.pupil_id) if e.action == "export"]
    assert len(exports) == 1 and exports[0].detail.startswith("child-friendly handout")
    code = cli.main(
        [
            "handout",
            "--db",
            str(encrypted_store.path),
            "--passphrase-env",
            "PSP_PW",
            "--pupil",
            upn,
            "--kind",
            "staff",
            "--out",
            str(tmp_path / "x.txt"),
        ]
    )
    assert code == 1
    assert capsys.readouterr().err.strip() == "semh-desktop: The output file must end in .pdf."
