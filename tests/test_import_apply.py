"""Applying an import: all or nothing, never erasing, re-imports change nothing, audited counts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from semh_desktop.core.clock import FixedClock
from semh_desktop.core.store import Store, open_store
from semh_desktop.exchange.mis_import import pupils as pupil_import
from semh_desktop.exchange.mis_import.fields import ImportCancelled, SourceRecord
from semh_desktop.exchange.mis_import.pupils import ImportOutOfDate
from semh_desktop.register import audit, pupils

from .conftest import file_hash, sample_details
from .import_helpers import (
    ARBOR,
    BAD_ROWS,
    SIMS,
    audit_rows,
    import_file,
    preview_file,
    pupil_rows,
)


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_reimporting_the_same_file_changes_nothing(store: Store, clock: FixedClock) -> None:
    import_file(store, SIMS)
    before = pupil_rows(store)
    audit_before = audit_rows(store)
    clock.advance(days=3)
    preview = preview_file(store, SIMS)
    assert (len(preview.new), len(preview.updated), len(preview.unchanged)) == (0, 0, 6)
    result = pupil_import.apply_import(store, preview)
    assert result.pupil_ids == ()
    assert pupil_rows(store) == before  # same values, same updated_at
    new_audit = audit_rows(store)[len(audit_before) :]
    assert new_audit == [
        {
            "action": "import",
            "record_type": "pupil",
            "record_id": None,
            "detail": "created 0, updated 0, unchanged 6, errors 0",
        }
    ]


def test_one_changed_year_group_updates_exactly_that_field(store: Store, tmp_path: Path) -> None:
    import_file(store, SIMS)
    before = pupil_rows(store)
    changed = (
        SIMS.read_bytes()
        .decode("cp1252")
        .replace(
            "P873412713001,Halloran,Renée,Halloran,Renée,02/10/2013,F,Year 8",
            "P873412713001,Halloran,Renée,Halloran,Renée,02/10/2013,F,Year 9",
        )
    )
    assert "Year 9" in changed
    path = _write(tmp_path, "sims_next_year.csv", changed, "cp1252")
    preview = preview_file(store, path)
    assert [(p.upn, p.changed) for p in preview.updated] == [("P873412713001", ("year_group",))]
    assert len(preview.unchanged) == 5
    assert pupil_import.preview_lines(preview)[2:4] == [
        "Pupils to update: 1",
        "  line 2, UPN P873412713001: Year group",
    ]
    store.clock = FixedClock(dt.datetime(2026, 11, 24, 9, 0))
    pupil_import.apply_import(store, preview)
    after = pupil_rows(store)
    for upn, row in before.items():
        if upn == "P873412713001":
            assert {k for k in row if row[k] != after[upn][k]} == {"year_group", "updated_at"}
            assert after[upn]["year_group"] == 9
        else:
            assert after[upn] == row
    pupil_id = after["P873412713001"]["id"]
    assert [(e.action, e.detail) for e in audit.entries(store, pupil_id)][-1] == (
        "change",
        "fields: year_group",
    )
    assert audit_rows(store)[-1]["detail"] == "created 0, updated 1, unchanged 5, errors 0"


def test_missing_columns_and_empty_cells_never_erase(store: Store, tmp_path: Path) -> None:
    import_file(store, SIMS)
    before = pupil_rows(store)
    path = _write(
        tmp_path,
        "thin.csv",
        "UPN,Legal Surname,Reg Group,Primary Need,Ethnicity,Pupil Premium\n"
        "P873412713001,Halloran,,,,\n"
        "K873412713006,,7AB,,,\n",
    )
    preview = preview_file(store, path)
    assert (len(preview.updated), len(preview.unchanged), preview.error_rows) == (0, 2, 0)
    pupil_import.apply_import(store, preview)
    assert pupil_rows(store) == before
    assert before["P873412713001"]["primary_need"] == "SEMH"


def test_bad_rows_are_reported_with_line_and_field(store: Store) -> None:
    preview = preview_file(store, BAD_ROWS)
    assert [(p.line, p.field) for p in preview.errors] == [
        (5, "upn"),
        (6, "date_of_birth"),
        (7, "legal_surname"),
        (8, "upn"),
        (10, "upn"),
        (11, "year_group"),
    ]
    reasons = {p.line: p.reason for p in preview.errors}
    assert "check letter" in reasons[5]
    assert "not a real date" in reasons[6]
    assert "surname is missing" in reasons[7]
    assert "more than once in the file (line 8, line 10)" in reasons[8]
    assert "year group is not one we know" in reasons[11]
    assert preview.error_rows == 6
    result = pupil_import.apply_import(store, preview)
    # Only the valid rows (physical lines 2, 3-4 and 12) were imported.
    assert set(pupil_rows(store)) == {"P873412713001", "D873412713002", "N873412713008"}
    assert pupil_rows(store)["D873412713002"]["reg_group"] == "7RT (annexe)"
    assert result.detail == "created 3, updated 0, unchanged 0, errors 6"
    assert audit_rows(store)[-1]["detail"] == "created 3, updated 0, unchanged 0, errors 6"


def test_import_nothing_leaves_the_file_byte_for_byte_unchanged(
    encrypted_store: Store, clock: FixedClock
) -> None:
    import_file(encrypted_store, SIMS)
    path = encrypted_store.path
    assert path is not None
    # The raw key rather than a sign-in: signing in is itself audited (a write).
    key = encrypted_store.database_key()
    encrypted_store.close()  # WAL: closing checkpoints, so the main file holds everything
    assert not Path(f"{path}-wal").exists()
    before = file_hash(path)
    reopened = open_store(path, key, clock=clock)
    reopened.staff_id = encrypted_store.staff_id
    preview = preview_file(reopened, BAD_ROWS)  # the person reads the preview...
    # Line 7's empty surname is no error now: the pupil is known by UPN, and empty means "keep".
    assert preview.error_rows == 5 and len(preview.unchanged) == 2
    reopened.close()  # ...and chooses "Import nothing"
    assert file_hash(path) == before


def test_new_pupils_stay_off_the_register_unless_asked(store: Store) -> None:
    existing = pupils.add_pupil(
        store,
        sample_details(
            upn="P873412713001",
            legal_surname="Halloran",
            legal_forename="Renée",
            date_of_birth=dt.date(2013, 10, 2),
        ),
    )
    assert existing.details.on_semh_register
    import_file(store, SIMS, on_register=True)
    rows = pupil_rows(store)
    assert all(rows[upn]["on_semh_register"] == 1 for upn in rows)
    import_file(store, ARBOR)  # updates: the register flag is not the MIS's to change
    assert pupil_rows(store)["P873412713001"]["on_semh_register"] == 1


def test_matched_by_name_and_date_of_birth_with_a_warning(store: Store, tmp_path: Path) -> None:
    stored = pupils.add_pupil(
        store,
        sample_details(
            upn="B801200005001",
            legal_surname="Halloran",
            legal_forename="Renée",
            date_of_birth=dt.date(2013, 10, 2),
            year_group=8,
        ),
    )
    preview = preview_file(store, SIMS)
    plan = next(p for p in preview.updated if p.pupil_id == stored.id)
    assert plan.matched_by == "name_and_dob"
    assert "upn" in plan.changed and plan.upn == "P873412713001"
    assert any(w.line == 2 and "legal name and date of birth" in w.reason for w in preview.warnings)
    pupil_import.apply_import(store, preview)
    assert pupils.get_pupil(store, stored.id).upn == "P873412713001"
    assert len(pupil_rows(store)) == 6


def test_two_rows_for_one_pupil_import_neither(store: Store, tmp_path: Path) -> None:
    pupils.add_pupil(
        store,
        sample_details(
            upn="B801200005001",
            legal_surname="Halloran",
            legal_forename="Renée",
            date_of_birth=dt.date(2013, 10, 2),
        ),
    )
    path = _write(
        tmp_path,
        "twice.csv",
        "UPN,Surname,Forename,DOB,Year\n"
        "B801200005001,Halloran,Renée,02/10/2013,9\n"
        ",Halloran,Renée,02/10/2013,10\n",
    )
    preview = preview_file(store, path)
    assert [(p.line, p.field) for p in preview.errors] == [(2, "row"), (3, "row")]
    assert "Several rows match the same pupil (line 2, line 3)" in preview.errors[0].reason


def test_former_upn_matches_a_ctf_pupil(store: Store) -> None:
    old = pupils.add_pupil(store, sample_details(upn="E87320461900A", year_group=6))
    record = SourceRecord(
        "pupil 1",
        {"upn": "H873204619002", "former_upn": "E87320461900A", "year_group": "7"},
        index=1,
    )
    preview = pupil_import.preview_records(store, [record])
    assert [(p.pupil_id, p.changed) for p in preview.updated] == [(old.id, ("upn", "year_group"))]
    assert "former UPN" in preview.warnings[0].reason


def test_looked_after_no_clears_only_cla(store: Store, tmp_path: Path) -> None:
    cla = pupils.add_pupil(store, sample_details(upn="P873412713001", social_care="CLA"))
    cp = pupils.add_pupil(
        store, sample_details(upn="D873412713002", social_care="CP", legal_forename="Chloë")
    )
    path = _write(tmp_path, "cla.csv", "UPN,Looked After\nP873412713001,No\nD873412713002,No\n")
    pupil_import.apply_import(store, preview_file(store, path))
    assert pupils.get_pupil(store, cla.id).details.social_care == ""
    assert pupils.get_pupil(store, cp.id).details.social_care == "CP"


def test_cancel_during_apply_changes_nothing(store: Store) -> None:
    preview = preview_file(store, SIMS)
    before_audit = audit_rows(store)
    seen: list[tuple[int, int]] = []
    with pytest.raises(ImportCancelled):
        pupil_import.apply_import(
            store,
            preview,
            progress=lambda d, t: seen.append((d, t)),
            cancelled=lambda: len(seen) >= 3,
        )
    assert seen == [(1, 6), (2, 6), (3, 6)]
    assert pupil_rows(store) == {}
    assert audit_rows(store) == before_audit


def test_cancel_and_progress_during_preview(store: Store) -> None:
    seen: list[tuple[int, int]] = []
    source = pupil_import.read_import_file(SIMS)
    pupil_import.preview_import(store, source, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (6, 6)
    with pytest.raises(ImportCancelled):
        pupil_import.preview_import(store, source, cancelled=lambda: True)


def test_changes_after_the_preview_stop_the_import(store: Store, clock: FixedClock) -> None:
    import_file(store, SIMS)
    changed = pupil_import.read_import_file(SIMS)
    assert isinstance(changed, pupil_import.CsvTable)
    rows = [
        dataclasses.replace(r, cells=tuple("Year 9" if c == "Year 8" else c for c in r.cells))
        for r in changed.rows
    ]
    preview = pupil_import.preview_import(store, dataclasses.replace(changed, rows=tuple(rows)))
    assert len(preview.updated) == 1
    pupil_id = preview.updated[0].pupil_id
    assert pupil_id is not None
    store.clock = FixedClock(dt.datetime(2026, 11, 23, 11, 0))
    pupils.update_pupil(
        store,
        pupil_id,
        dataclasses.replace(pupils.get_pupil(store, pupil_id).details, reg_group="8QA"),
    )
    before = pupil_rows(store)
    with pytest.raises(ImportOutOfDate):
        pupil_import.apply_import(store, preview)
    assert pupil_rows(store) == before


def test_each_created_and_changed_pupil_has_its_own_audit_row(store: Store) -> None:
    result = import_file(store, SIMS)
    for pupil_id in result.pupil_ids:
        assert [e.action for e in audit.entries(store, pupil_id)] == ["create"]
    assert [e.detail for e in audit.entries(store) if e.action == "import"] == [
        "created 6, updated 0, unchanged 0, errors 0"
    ]


def test_an_unknown_la_code_warns_but_imports(store: Store, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "elsewhere.csv",
        "UPN,Surname,Forename,DOB,Year\nY999123420001,Quennell,Maisie,05/05/2014,8\n",
    )
    preview = preview_file(store, path)
    assert [(w.line, w.field) for w in preview.warnings] == [(2, "upn")]
    assert "local authority code 999" in preview.warnings[0].reason
    assert "Warnings (imported anyway): 1" in pupil_import.preview_lines(preview)
    pupil_import.apply_import(store, preview)
    assert set(pupil_rows(store)) == {"Y999123420001"}
