"""The tamper-evident audit trail: each kind of tampering found on a real SQLCipher file.

The tampering is done as an attacker holding the database key would: on a raw sqlcipher3
connection to the open file (`store.conn`), dropping whichever triggers stand in the way.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from semh_desktop.cli.main import main as cli_main
from semh_desktop.core import keyslots
from semh_desktop.core.clock import FixedClock
from semh_desktop.core.errors import NotAllowed
from semh_desktop.core.keystore import Passphrase
from semh_desktop.core.store import Store, open_store
from semh_desktop.register import audit, audit_export, pupils, staff
from semh_desktop.register.database import create_database

from .conftest import sample_details

PASS = "correct horse"
FIXTURES = Path(__file__).parent / "fixtures"
UPNS = ("B801200005001", "A123456789012", "H801200001001")


@pytest.fixture
def school_file(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Store, list[str]]]:
    """A real encrypted database with three pupils, each opened, printed and exported once."""
    created = create_database(
        tmp_path / "school.db", staff_name="Test SENCO", passphrase=Passphrase(PASS), clock=clock
    )
    store = created.store
    ids = []
    for number, upn in enumerate(UPNS):
        pupil = pupils.add_pupil(store, sample_details(upn=upn, legal_surname=f"Pupil{number}"))
        ids.append(pupil.id)
    for pupil_id in ids:
        pupils.open_pupil(store, pupil_id)
        with store.atomic():
            audit.record(store, "print", "psp", "psp-1", "staff copy", pupil_id=pupil_id)
            audit.record(store, "export", "psp", "psp-1", "pdf", pupil_id=pupil_id)
    yield store, ids
    store.close()


def rows(store: Store) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in store.conn.execute(
            "SELECT seq, id, at, staff_id, action, record_type, record_id, pupil_id, detail, mac "
            "FROM audit ORDER BY seq"
        )
    ]


def trigger_sql(store: Store, name: str) -> str:
    found = store.conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", [name]
    ).fetchone()
    assert found, name
    return str(found[0])


def test_an_untouched_file_is_whole(school_file: tuple[Store, list[str]]) -> None:
    store, _ids = school_file
    report = audit.verify(store)
    total = len(rows(store))
    assert report.ok and report.checked == total > 10
    assert report.summary == f"The audit trail is whole: {total} entries checked."
    assert all(r[9] for r in rows(store))


def test_every_entry_names_its_pupil(school_file: tuple[Store, list[str]]) -> None:
    store, ids = school_file
    opened = [r for r in rows(store) if r[4] == "open"]
    assert [r[7] for r in opened] == ids  # open_pupil passes no pupil_id=: the record's own


def test_insert_or_replace_is_refused_by_the_trigger(school_file: tuple[Store, list[str]]) -> None:
    store, _ids = school_file
    target = next(r for r in rows(store) if r[4] == "open")
    with pytest.raises(Exception, match="cannot be changed"):
        store.conn.execute(
            "INSERT OR REPLACE INTO audit (seq, id, at, action, record_type, detail) "
            "VALUES (?, 'x', '2026-01-01T00:00:00', 'change', 'pupil', '')",
            [target[0]],
        )
    with pytest.raises(Exception, match="cannot be changed"):  # the same id under a new seq
        store.conn.execute(
            "INSERT OR REPLACE INTO audit (seq, id, at, action, record_type, detail) "
            "VALUES (99999, ?, '2026-01-01T00:00:00', 'change', 'pupil', '')",
            [target[1]],
        )
    assert audit.verify(store).ok


def test_a_replaced_entry_is_found(school_file: tuple[Store, list[str]]) -> None:
    store, _ids = school_file
    target = next(r for r in rows(store) if r[4] == "open")
    # As a SQLite tool's connection would be (sqlite-utils turns recursive triggers on, and
    # with them a REPLACE fires the delete trigger): REPLACE then deletes the old row silently.
    store.conn.execute("PRAGMA recursive_triggers = OFF")
    store.conn.execute("DROP TRIGGER audit_no_replace")
    # The replacement keeps the old seal, as a careful attacker would; only the action differs.
    store.conn.execute(
        "INSERT OR REPLACE INTO audit "
        "(seq, id, at, staff_id, action, record_type, record_id, pupil_id, detail, mac) "
        "VALUES (?, ?, ?, ?, 'change', ?, ?, ?, ?, ?)",
        [target[0], target[1], target[2], target[3], *target[5:10]],
    )
    assert len(rows(store)) == len({r[0] for r in rows(store)})  # replaced, not added
    report = audit.verify(store)
    assert not report.ok
    assert (report.first_bad_seq, report.first_bad_id) == (target[0], target[1])
    assert report.first_bad_action == "change"
    assert report.reason == f"entry {target[0]} (change, 23/11/2026 10:00) was changed or replaced"


def test_deleting_a_pupils_open_print_and_export_rows_is_found(
    school_file: tuple[Store, list[str]],
) -> None:
    store, ids = school_file
    victim = ids[1]
    conn = store.conn
    saved = [trigger_sql(store, "audit_no_update"), trigger_sql(store, "audit_no_delete")]
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("DROP TRIGGER audit_no_delete")
    before = rows(store)
    doomed = [r[0] for r in before if r[7] == victim and r[4] in ("open", "print", "export")]
    assert len(doomed) == 3
    conn.execute(
        "DELETE FROM audit WHERE pupil_id = ? AND action IN ('open', 'print', 'export')",
        [victim],
    )
    for sql in saved:
        conn.execute(sql)
    survivors = [r for r in before if r[0] > doomed[0] and r[0] not in doomed]
    report = audit.verify(store)
    assert not report.ok
    assert report.first_bad_seq == survivors[0][0]
    assert report.reason.startswith(f"entries are missing before entry {survivors[0][0]} (")


def test_an_edited_detail_is_found(school_file: tuple[Store, list[str]]) -> None:
    store, _ids = school_file
    target = [r for r in rows(store) if r[4] == "print"][1]
    saved = trigger_sql(store, "audit_no_update")
    store.conn.execute("DROP TRIGGER audit_no_update")
    store.conn.execute("UPDATE audit SET detail = 'nothing printed' WHERE seq = ?", [target[0]])
    store.conn.execute(saved)
    report = audit.verify(store)
    assert not report.ok and report.first_bad_seq == target[0]
    assert report.checked == len([r for r in rows(store) if r[0] < target[0]])
    assert "was changed or replaced" in report.reason


def test_a_blanked_seal_is_a_break(school_file: tuple[Store, list[str]]) -> None:
    store, _ids = school_file
    target = rows(store)[4]
    store.conn.execute("DROP TRIGGER audit_no_update")
    store.conn.execute("UPDATE audit SET mac = NULL WHERE seq = ?", [target[0]])
    assert audit.seal_legacy(store) == 0  # other entries are sealed: no re-sealing
    report = audit.verify(store)
    assert not report.ok and report.first_bad_seq == target[0]
    assert "has no seal" in report.reason


def delete_last(store: Store, *, fix_counter: bool) -> int:
    last = rows(store)[-1][0]
    store.conn.execute("DROP TRIGGER audit_no_delete")
    store.conn.execute("DELETE FROM audit WHERE seq = ?", [last])
    if fix_counter:
        store.conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit'", [last - 1])
    return int(last)


def test_deleting_the_last_entry_is_found_by_the_counter(
    school_file: tuple[Store, list[str]],
) -> None:
    store, _ids = school_file
    last = delete_last(store, fix_counter=False)
    report = audit.verify(store)
    assert not report.ok and report.first_bad_seq == last
    assert report.reason == f"the last entries were deleted (after entry {last - 1})"


def test_deleting_the_last_entry_and_fixing_the_counter_is_found_by_the_checkpoint(
    school_file: tuple[Store, list[str]],
) -> None:
    store, _ids = school_file
    assert store.path is not None
    assert audit.checkpoint(store).ok
    saved = keyslots.audit_checkpoint(store.path)
    assert saved == (rows(store)[-1][0], rows(store)[-1][9])
    last = delete_last(store, fix_counter=True)
    for check in (audit.verify, audit.verify_since_checkpoint):
        report = check(store)
        assert not report.ok and report.first_bad_seq == last
        assert "the last entries were deleted" in report.reason
    # The next entry takes the deleted one's number: the checkpoint still tells them apart.
    with store.atomic():
        audit.record(store, "open", "pupil", "someone")
    assert rows(store)[-1][0] == last
    report = audit.verify_since_checkpoint(store)
    assert not report.ok and report.first_bad_seq == last
    assert "was changed or replaced" in report.reason
    assert not audit.checkpoint(store).ok
    assert keyslots.audit_checkpoint(store.path) == saved  # not moved past the break


def test_the_incremental_check_moves_the_checkpoint_and_finds_a_later_edit(
    school_file: tuple[Store, list[str]],
) -> None:
    store, ids = school_file
    assert store.path is not None
    first = audit.verify_since_checkpoint(store)
    assert first.ok and first.checked == len(rows(store))
    pupils.open_pupil(store, ids[0])
    pupils.open_pupil(store, ids[2])
    again = audit.verify_since_checkpoint(store)
    assert again.ok and again.checked == 2
    assert keyslots.audit_checkpoint(store.path) == (rows(store)[-1][0], rows(store)[-1][9])
    # An edit before the checkpoint is for the full check (the banner's check is incremental).
    store.conn.execute("DROP TRIGGER audit_no_update")
    store.conn.execute("UPDATE audit SET detail = 'x' WHERE seq = 3")
    assert audit.verify_since_checkpoint(store).ok
    assert not audit.verify(store).ok


def test_the_checkpoint_entry_changed_is_found_by_the_incremental_check(
    school_file: tuple[Store, list[str]],
) -> None:
    store, _ids = school_file
    assert audit.verify_since_checkpoint(store).ok
    last = rows(store)[-1]
    store.conn.execute("DROP TRIGGER audit_no_update")
    store.conn.execute("UPDATE audit SET action = 'lock' WHERE seq = ?", [last[0]])
    report = audit.verify_since_checkpoint(store)
    assert not report.ok and report.first_bad_seq == last[0]


def test_two_connections_writing_at_once_keep_one_chain(
    school_file: tuple[Store, list[str]],
) -> None:
    store, ids = school_file
    errors: list[BaseException] = []

    def write(count: int) -> None:
        other = store.open_again()
        try:
            for _ in range(count):
                audit.record(other, "open", "pupil", ids[0])
        except BaseException as exc:
            errors.append(exc)
        finally:
            other.close()

    threads = [threading.Thread(target=write, args=(40,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for _ in range(40):
        audit.record(store, "view", "caseload", None, "x")
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit.verify(store)
    assert report.ok, report.reason


def test_two_hundred_random_actions_then_the_trail_is_whole(store: Store) -> None:
    chooser = random.Random(20261203)
    people = [store.staff_id, staff.add_staff(store, "Second", "pastoral").id, None]
    for number in range(200):
        store.staff_id = chooser.choice(people)
        action = chooser.choice(audit.ACTIONS)
        detail = chooser.choice(["", "fields: upn", "naïve ünïcode ✓", '"quoted", \n line'])
        pupil = chooser.choice([None, f"p{number % 7}"])
        with store.atomic():
            audit.record(
                store,
                action,
                chooser.choice(["pupil", "case", "staff"]),
                None,
                detail,
                pupil_id=pupil,
            )
    report = audit.verify(store)
    assert report.ok and report.checked == len(audit.entries(store))
    assert audit.verify_since_checkpoint(store).ok  # memory stores keep their own checkpoint


def upgraded_with_legacy_rows(tmp_path: Path, clock: FixedClock) -> Store:
    """The schema 1 fixture upgraded, with entries as the app before schema 8 wrote them."""
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "schema_1.db", path)
    store = open_store(path, Passphrase("fixture"), clock=clock)
    pupil_ids = [r[0] for r in store.conn.execute("SELECT id FROM pupils")]
    assert pupil_ids
    for number, (action, record_type) in enumerate(
        [("create", "pupil"), ("open", "pupil"), ("print", "psp"), ("unlock", "staff")]
    ):
        store.conn.execute(
            "INSERT INTO audit (id, at, action, record_type, record_id, detail) "
            "VALUES (?, ?, ?, ?, ?, '')",
            [
                f"legacy-{number}",
                f"2025-01-0{number + 1}T09:00:00",
                action,
                record_type,
                pupil_ids[0],
            ],
        )
    return store


def test_a_schema_1_database_is_sealed_once_on_upgrade(tmp_path: Path, clock: FixedClock) -> None:
    store = upgraded_with_legacy_rows(tmp_path, clock)
    try:
        legacy = rows(store)
        assert len(legacy) == 4 and all(r[9] is None for r in legacy)
        report = audit.verify(store)  # unsealed entries are a break until sealed
        assert not report.ok and report.first_bad_seq == legacy[0][0]
        # The first new entry seals the older ones first, in order.
        with store.atomic():
            audit.record(store, "open", "pupil", legacy[0][6])
        assert audit.seal_legacy(store) == 0
        report = audit.verify(store)
        assert report.ok and report.checked == len(legacy) + 1
        with pytest.raises(Exception, match="cannot be changed"):  # the trigger is back
            store.conn.execute("UPDATE audit SET detail = 'x'")
    finally:
        store.close()


def test_seal_legacy_refuses_once_a_checkpoint_exists(tmp_path: Path, clock: FixedClock) -> None:
    store = upgraded_with_legacy_rows(tmp_path, clock)
    assert store.path is not None
    keyslots.save(store.path, keyslots.SlotFile())  # converted: the checkpoint has a home
    try:
        report = audit.verify_since_checkpoint(store)  # seals, and keeps a checkpoint
        assert report.ok and report.checked == 4
        store.conn.execute("DROP TRIGGER audit_no_update")
        store.conn.execute("UPDATE audit SET mac = NULL")
        assert audit.seal_legacy(store) == 0
        report = audit.verify(store)
        assert not report.ok and "has no seal" in report.reason
    finally:
        store.close()


def test_migration_8_backfills_pupil_ids_and_keeps_the_triggers(
    monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    from semh_desktop.core import store as store_module

    conn = sqlcipher3.connect(":memory:", isolation_level=None)
    real = store_module.migrations
    monkeypatch.setattr(store_module, "migrations", lambda: real()[:7])
    assert store_module.migrate(conn, clock) == 7
    conn.executemany(
        "INSERT INTO audit (id, at, action, record_type, record_id) VALUES (?, 'x', ?, ?, ?)",
        [("a", "open", "pupil", "p1"), ("b", "print", "psp", "d1"), ("c", "open", "pupil", "p2")],
    )
    monkeypatch.setattr(store_module, "migrations", real)
    assert store_module.migrate(conn, clock) >= 8
    assert conn.execute("SELECT id, pupil_id FROM audit ORDER BY seq").fetchall() == [
        ("a", "p1"),
        ("b", None),
        ("c", "p2"),
    ]
    for sql in ("UPDATE audit SET detail = 'x'", "DELETE FROM audit"):
        with pytest.raises(sqlcipher3.IntegrityError, match="cannot be changed"):
            conn.execute(sql)
    with pytest.raises(sqlcipher3.IntegrityError, match="cannot be changed"):
        conn.execute(
            "INSERT INTO audit (seq, id, at, action, record_type) "
            "VALUES (1, 'z', 'x', 'open', 'pupil')"
        )
    plan = conn.execute("EXPLAIN QUERY PLAN SELECT * FROM audit WHERE pupil_id = 'p1'").fetchall()
    assert "audit_pupil" in str(plan)


# -- reading ----------------------------------------------------------------------------------


def test_search_filters_and_who_has_seen(school_file: tuple[Store, list[str]]) -> None:
    store, ids = school_file
    second = staff.add_staff(store, "Pat Pastoral", "pastoral")
    store.staff_id = second.id
    pupils.open_pupil(store, ids[0])
    pupils.open_pupil(store, ids[0])
    found = audit.search(store, pupil_id=ids[0], action="open")
    assert [e.staff_id for e in found] == [second.id, second.id, found[-1].staff_id]
    assert found[0].seq > found[1].seq > found[2].seq  # newest first
    assert audit.search(store, pupil_id=ids[0], staff_id=second.id, limit=1)[0].seq == found[0].seq
    assert audit.search(store, date_from=dt.date(2026, 11, 24)) == []
    assert len(audit.search(store, date_to=dt.date(2026, 11, 23))) == len(rows(store))
    seen = audit.who_has_seen(store, ids[0])
    assert seen[0] == ("Pat Pastoral", "open", 2, "2026-11-23T10:00:00")
    assert {(s.staff_name, s.action, s.times) for s in seen} == {
        ("Pat Pastoral", "open", 2),
        ("Test SENCO", "open", 1),
        ("Test SENCO", "create", 1),
        ("Test SENCO", "print", 1),
        ("Test SENCO", "export", 1),
    }


def test_viewed_writes_one_row_without_names(store: Store) -> None:
    audit.viewed(store, "caseload", 43, "register, 43 pupils")
    last = audit.entries(store)[-1]
    assert (last.action, last.record_type, last.detail) == (
        "view",
        "caseload",
        "register, 43 pupils",
    )
    audit.viewed(store, "due list", 1)
    assert audit.entries(store)[-1].detail == "1 entry shown"


def test_export_csv_writes_names_and_is_audited(
    school_file: tuple[Store, list[str]], tmp_path: Path
) -> None:
    store, ids = school_file
    out = tmp_path / "audit.csv"
    count = audit_export.export_csv(store, out, pupil_id=ids[1], action="print")
    with out.open(encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert count == 1 and len(lines) == 1
    assert (lines[0]["staff"], lines[0]["action"], lines[0]["pupil_upn"]) == (
        "Test SENCO",
        "print",
        UPNS[1],
    )
    last = audit.entries(store)[-1]
    assert (last.action, last.record_type, last.pupil_id) == ("export", "audit", ids[1])
    assert last.detail == "1 entries to CSV, filtered by pupil, action"
    assert audit.verify(store).ok


def test_export_csv_needs_the_export_permission(store: Store, tmp_path: Path) -> None:
    reader = staff.add_staff(store, "Reader", "read_only")
    store.staff_id = reader.id
    with pytest.raises(NotAllowed):
        audit_export.export_csv(store, tmp_path / "a.csv")
    assert not (tmp_path / "a.csv").exists()
    assert audit.entries(store)[-1].action == "refused"


# -- the command line -------------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    return cli_main(argv)


def test_cli_verify_says_whole_then_names_the_broken_entry(
    school_file: tuple[Store, list[str]], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    store, _ids = school_file
    assert store.path is not None
    path = store.path
    monkeypatch.setenv("SEMH_PASS", PASS)
    argv = ["audit", "verify", "--db", str(path), "--passphrase-env", "SEMH_PASS"]
    assert run_cli(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("The audit trail is whole: ") and "entries checked." in out
    target = next(r for r in rows(store) if r[4] == "open")
    store.conn.execute("DROP TRIGGER audit_no_update")
    store.conn.execute("UPDATE audit SET detail = 'edited' WHERE seq = ?", [target[0]])
    store.close()
    assert run_cli(argv) == 1
    out = capsys.readouterr().out
    assert f"entry {target[0]} (open, 23/11/2026 10:00) was changed or replaced" in out


def test_cli_export_writes_the_filtered_entries(
    school_file: tuple[Store, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: Any,
) -> None:
    store, _ids = school_file
    assert store.path is not None
    path = store.path
    store.close()
    monkeypatch.setenv("SEMH_PASS", PASS)
    out = tmp_path / "trail.csv"
    argv = ["audit", "export", "--db", str(path), "--passphrase-env", "SEMH_PASS", "--out"]
    argv += [str(out), "--pupil", UPNS[2], "--action", "export", "--from", "23/11/2026"]
    assert run_cli([*argv, "--to", "2026-11-23"]) == 0
    assert "Wrote 1 audit entries" in capsys.readouterr().out
    with out.open(encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert [(line["action"], line["pupil_upn"]) for line in lines] == [("export", UPNS[2])]
