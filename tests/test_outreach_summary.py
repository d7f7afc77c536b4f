"""The outreach summary: PDF and JSON, its schema, the pseudonymised form, the command."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pypdf
import pytest

from semh_desktop.cli import main as cli
from semh_desktop.core.clock import FixedClock
from semh_desktop.core.dates import format_date
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.keystore import Passphrase
from semh_desktop.core.store import Store, open_memory_store
from semh_desktop.demo import school as demo
from semh_desktop.exchange.outreach_summary import (
    NOTE_FIELDS,
    SummaryOptions,
    build_summary,
    default_options,
    fields_leaving,
    load_schema,
    pseudonym,
    summary_file_name,
    write_summaries,
    write_summary,
)
from semh_desktop.register import audit, pupils, staff
from semh_desktop.register.database import create_database

from .conftest import TODAY
from .psp_fixtures import add_targets, make_case

PSEUDONYMISED = SummaryOptions(pseudonymise=True)


@pytest.fixture(scope="module")
def school() -> Store:
    store = open_memory_store(FixedClock(TODAY))
    store.staff_id = staff.add_staff(store, "Farah Okonjo", "senco").id
    demo.build_demo(store)
    return store


def rich_pupils(store: Store, count: int) -> list[str]:
    rows = store.conn.execute(
        "SELECT p.id FROM pupils p WHERE p.on_semh_register = 1 ORDER BY "
        "EXISTS (SELECT 1 FROM cases c WHERE c.pupil_id = p.id AND c.status = 'closed') * 1000 "
        "+ EXISTS (SELECT 1 FROM gr_phase_changes g WHERE g.pupil_id = p.id) * 1000 "
        "+ EXISTS (SELECT 1 FROM suspensions s WHERE s.pupil_id = p.id) * 100 "
        "+ (SELECT count(*) FROM cases c WHERE c.pupil_id = p.id) * 5 "
        "+ (SELECT count(*) FROM gr_phase_changes g WHERE g.pupil_id = p.id) DESC, p.upn"
    ).fetchall()
    return [str(r[0]) for r in rows[:count]]


def validator() -> jsonschema.Draft202012Validator:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def flat(text: str) -> str:
    """PDF text wraps lines anywhere: compare with all whitespace removed."""
    return re.sub(r"\s+", "", text)


def identifying(store: Store, pupil_id: str) -> list[str]:
    """Everything that names the pupil: names, date of birth (both ways), UPN."""
    pupil = pupils.get_pupil(store, pupil_id)
    d = pupil.details
    assert d.date_of_birth is not None
    return [
        v
        for v in (
            d.legal_forename,
            d.legal_surname,
            d.preferred_forename,
            d.preferred_surname,
            d.upn,
            d.date_of_birth.isoformat(),
            format_date(d.date_of_birth),
        )
        if v
    ]


FREE_TEXT_SQL = {
    "referral": "SELECT reason FROM cases WHERE pupil_id = :p UNION ALL "
    "SELECT consent_by FROM cases WHERE pupil_id = :p",
    "phase_reasons": "SELECT reason FROM gr_phase_changes WHERE pupil_id = :p",
    "checklist_evidence": "SELECT evidence FROM gr_item_answers WHERE pupil_id = :p",
    "apdr_notes": "SELECT r.assess_notes FROM apdr_cycle_revisions r JOIN apdr_cycles c "
    "ON c.id = r.cycle_id WHERE c.pupil_id = :p UNION ALL SELECT r.outcome "
    "FROM apdr_cycle_revisions r JOIN apdr_cycles c ON c.id = r.cycle_id "
    "WHERE c.pupil_id = :p",
    "targets": "SELECT v.target_text FROM target_versions v JOIN targets t ON t.id = v.target_id "
    "JOIN cases c ON c.id = t.case_id WHERE c.pupil_id = :p UNION ALL "
    "SELECT v.school_actions FROM target_versions v JOIN targets t "
    "ON t.id = v.target_id JOIN cases c ON c.id = t.case_id WHERE c.pupil_id = :p",
    "network": "SELECT n.name FROM case_network n JOIN cases c ON c.id = n.case_id "
    "WHERE c.pupil_id = :p",
    "closure": "SELECT closing_attendees FROM cases WHERE pupil_id = :p",
    "sustainability": "SELECT a.action FROM sustainability_actions a JOIN cases c "
    "ON c.id = a.case_id WHERE c.pupil_id = :p",
    "suspension_notes": "SELECT note FROM suspensions WHERE pupil_id = :p",
}


def free_texts(store: Store, pupil_id: str) -> dict[str, set[str]]:
    """The pupil's free-text notes long enough to be unmistakable, by field."""
    found: dict[str, set[str]] = {}
    for name, sql in FREE_TEXT_SQL.items():
        values = {
            str(r[0])
            for r in store.conn.execute(sql, {"p": pupil_id}).fetchall()
            if r[0] and len(str(r[0]).strip()) >= 12
        }
        found[name] = values
    return found


def test_json_validates_against_the_schema_file_named_and_pseudonymised(school, tmp_path):
    check = validator()
    for pupil_id in [*rich_pupils(school, 6), rich_pupils(school, 40)[-1]]:
        for options in (
            SummaryOptions(),
            PSEUDONYMISED,
            SummaryOptions(pseudonymise=True, include_notes=frozenset({"targets"})),
        ):
            path = write_summary(school, pupil_id, tmp_path / "summary.json", options)
            document = json.loads(path.read_text("utf-8"))
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(document)]
            assert errors == []
    assert document["format"] == "semh-desktop-outreach-summary"
    assert document["schema_version"] == 1


def test_the_schema_can_fail(school):
    check = validator()
    document = build_summary(school, rich_pupils(school, 1)[0], PSEUDONYMISED)
    document["pupil"]["upn"] = "not a upn"
    document["plans"].append({"plan_type": "psp"})
    assert len(list(check.iter_errors(document))) >= 2


def test_the_summary_holds_every_section_the_outreach_team_needs(school):
    chosen = rich_pupils(school, 1)[0]
    document = build_summary(school, chosen, SummaryOptions())
    assert document["pupil"]["vulnerability"].keys() >= {"pupil_premium", "social_care", "ehcp"}
    assert document["graduated_response"]["current_phase"]["name"]
    assert document["graduated_response"]["tried"]
    assert document["apdr"]["cycles"]
    plan = next(p for p in document["plans"] if p["status"] == "closed")
    assert plan["targets"] and all(t["scores"] for t in plan["targets"])
    assert plan["case_aims"] and plan["windows"]
    assert {w["key"] for w in plan["windows"]} >= {"before", "during"}
    assert document["attendance"]["snapshots"]
    assert document["suspensions"]["academic_year"] == "2026/27"
    assert document["sustainability_plan"] is not None
    assert document["school_contact"] == {"name": "Farah Okonjo", "role": "SENCO", "details": None}
    assert "ethnicity" not in json.dumps(document)


def test_pseudonymised_pdf_and_json_name_no_one_and_hold_no_free_text(school, tmp_path):
    checked_notes = 0
    for pupil_id in rich_pupils(school, 5):
        pdf = write_summary(school, pupil_id, tmp_path / "p.pdf", PSEUDONYMISED)
        text = pdf_text(pdf)
        packed = flat(text)
        as_json = write_summary(school, pupil_id, tmp_path / "p.json", PSEUDONYMISED).read_text(
            "utf-8"
        )
        for value in identifying(school, pupil_id):
            assert not re.search(rf"\b{re.escape(value)}\b", text), value
            assert not re.search(rf"\b{re.escape(value)}\b", as_json), value
        for name, values in free_texts(school, pupil_id).items():
            for value in values:
                checked_notes += 1
                assert flat(value) not in packed, name
                assert json.dumps(value)[1:-1] not in as_json, name
        pupil = pupils.get_pupil(school, pupil_id)
        code = pseudonym(school, pupil_id)
        assert code in text and code in as_json
        assert pupil.initials in text
        assert pupils.year_group_label(pupil.details.year_group) in text
    assert checked_notes > 40  # the demo gives these pupils plenty of notes to leave out


def test_the_named_summary_holds_name_upn_date_of_birth_and_notes(school, tmp_path):
    pupil_id = rich_pupils(school, 1)[0]
    text = flat(pdf_text(write_summary(school, pupil_id, tmp_path / "n.pdf", SummaryOptions())))
    for value in [*identifying(school, pupil_id)[:2], pupils.get_pupil(school, pupil_id).upn]:
        assert flat(value) in text
    notes = free_texts(school, pupil_id)
    assert any(flat(v) in text for v in notes["phase_reasons"])
    assert any(flat(v) in text for v in notes["targets"])


def test_a_note_field_ticked_on_its_own_is_the_only_one_that_leaves(school, tmp_path):
    pupil_id = rich_pupils(school, 1)[0]
    options = SummaryOptions(pseudonymise=True, include_notes=frozenset({"targets"}))
    document = build_summary(school, pupil_id, options)
    assert document["free_text_included"] == ["targets"]
    as_json = json.dumps(document, ensure_ascii=False)
    notes = free_texts(school, pupil_id)
    assert any(v in as_json for v in notes["targets"])
    for name in ("phase_reasons", "checklist_evidence", "referral", "suspension_notes"):
        assert not any(v in as_json for v in notes[name]), name
    for value in identifying(school, pupil_id):
        assert value not in as_json


def test_summary_pdf_page_one_renders(school, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed")
    pupil_id = rich_pupils(school, 1)[0]
    pdf = write_summary(school, pupil_id, tmp_path / "summary.pdf", SummaryOptions())
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    png = tmp_path / "page-1.png"
    assert png.exists() and png.stat().st_size > 10_000
    first = pypdf.PdfReader(pdf).pages[0].extract_text()
    assert "Outreach summary" in first and "Graduated response" in first
    assert "CONFIDENTIAL" in first


def test_pseudonym_is_stable_distinct_and_shaped(school):
    first, second = rich_pupils(school, 2)
    code = pseudonym(school, first)
    assert re.fullmatch(r"SEMH-[A-Z2-7]{4}-[A-Z2-7]{4}", code)
    assert pseudonym(school, first) == code
    assert pseudonym(school, second) != code
    name = summary_file_name(school, first, ".pdf")
    assert code in name and pupils.get_pupil(school, first).details.legal_surname not in name


def test_the_dialog_list_of_fields_and_the_cohort_default(school):
    assert default_options(1).pseudonymise is False
    assert default_options(4).pseudonymise is True
    leaving = dict(fields_leaving(PSEUDONYMISED))
    assert leaving["UPN"] is False and leaving["Initials"] is True
    assert not any(leaving[label] for label in NOTE_FIELDS.values())
    named = dict(fields_leaving(SummaryOptions()))
    assert named["UPN"] and named["Name"] and all(named[label] for label in NOTE_FIELDS.values())
    with pytest.raises(ValidationError, match="no free-text field called diary"):
        SummaryOptions(pseudonymise=True, include_notes=frozenset({"diary"})).notes()


def test_every_summary_written_is_audited_without_names(school, tmp_path):
    pupil_id = rich_pupils(school, 1)[0]
    before = len(audit.entries(school, pupil_id))
    write_summary(school, pupil_id, tmp_path / "s.pdf", PSEUDONYMISED)
    write_summary(school, pupil_id, tmp_path / "s.json", SummaryOptions())
    entries = audit.entries(school, pupil_id)[before:]
    assert [(e.action, e.detail) for e in entries] == [
        ("export", "outreach summary, pseudonymised, 0 free-text fields (pdf)"),
        ("export", f"outreach summary, named, {len(NOTE_FIELDS)} free-text fields (json)"),
    ]
    with pytest.raises(ValidationError, match=r"must end in \.pdf or \.json"):
        write_summary(school, pupil_id, tmp_path / "s.docx", SummaryOptions())


def test_a_cohort_is_written_one_file_per_pupil(school, tmp_path):
    chosen = rich_pupils(school, 3)
    seen = []
    result = write_summaries(
        school,
        chosen,
        tmp_path,
        ".json",
        default_options(3),
        progress_callback=lambda done, total: seen.append((done, total)),
    )
    assert len(result.written) == 3 and result.failed == []
    assert seen == [(1, 3), (2, 3), (3, 3)]
    for path in result.written:
        assert json.loads(path.read_text("utf-8"))["pseudonymised"] is True


def test_a_pupil_with_a_plan_only_is_summarised(tmp_path):
    store = open_memory_store(FixedClock(TODAY))
    store.staff_id = staff.add_staff(store, "Test SENCO", "senco").id
    case = make_case(store)
    add_targets(store, case)
    document = build_summary(store, case.pupil_id, PSEUDONYMISED)
    assert not list(validator().iter_errors(document))
    assert document["graduated_response"]["current_phase"] is None
    assert [t["text"] for t in document["plans"][0]["targets"]] == [None, None]
    write_summary(store, case.pupil_id, tmp_path / "plain.pdf", PSEUDONYMISED)


# Last: opening a SQLCipher file turns on its memory security for the whole process.
def test_the_summary_command(tmp_path, monkeypatch, capsys):
    path = tmp_path / "school.db"
    created = create_database(
        path,
        staff_name="Farah Okonjo",
        passphrase=Passphrase("tea and biscuits"),
        clock=FixedClock(dt.datetime(2026, 11, 23, 10)),
    )
    case = make_case(created.store)
    add_targets(created.store, case)
    upn = pupils.get_pupil(created.store, case.pupil_id).upn
    created.store.close()
    monkeypatch.setenv("SCHOOL_PW", "tea and biscuits")
    out = tmp_path / "summary.pdf"
    code = cli.main(
        [
            "summary",
            "--db",
            str(path),
            "--passphrase-env",
            "SCHOOL_PW",
            "--pupil",
            upn,
            "--out",
            str(out),
            "--pseudonymise",
            "--include-notes",
            "targets,referral",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "Wrote the pseudonymised outreach summary" in capsys.readouterr().out
    text = pdf_text(out)
    assert flat("I can stay in class for the whole lesson") in flat(text)  # chosen
    assert "Siân" not in text and upn not in text
    code = cli.main(
        [
            "summary",
            "--db",
            str(path),
            "--passphrase-env",
            "SCHOOL_PW",
            "--pupil",
            upn,
            "--out",
            str(tmp_path / "x.pdf"),
            "--pseudonymise",
            "--include-notes",
            "diary",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("semh-desktop: There is no free-text field called diary.")
    assert len(err.strip().splitlines()) == 1
