"""Encrypted handover bundles: round trip, merge without duplicates, conflicts, damage, audit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import struct
from pathlib import Path

import pytest

from semh_desktop.core.clock import FixedClock
from semh_desktop.core.errors import ValidationError
from semh_desktop.core.keystore import Passphrase, parse_recovery_key
from semh_desktop.core.store import Store, open_memory_store, open_store
from semh_desktop.demo import school as demo
from semh_desktop.exchange import handover
from semh_desktop.exchange.handover import (
    DamagedBundle,
    HandoverError,
    KdfParams,
    WrongBundlePassphrase,
)
from semh_desktop.exchange.handover import export as handover_export
from semh_desktop.exchange.handover import merge as handover_merge
from semh_desktop.plans import targets
from semh_desktop.register import audit, pupils, staff
from semh_desktop.register.database import create_database

from .conftest import TODAY, file_hash, sample_details
from .psp_fixtures import add_targets, make_case

# Tests only: a cheap KDF keeps the suite fast. The product never takes this parameter.
FAST = KdfParams("scrypt", 10, 8, 1)
PASSPHRASE = "kettle lighthouse marmalade"


def memory_store(name: str = "Test SENCO") -> Store:
    store = open_memory_store(FixedClock(TODAY))
    store.staff_id = staff.add_staff(store, name, "senco").id
    return store


def rich_pupils(store: Store, count: int = 10) -> list[str]:
    """The register pupils with the most records (cases, phases, cycles, suspensions...)."""
    rows = store.conn.execute(
        "SELECT p.id FROM pupils p WHERE p.on_semh_register = 1 ORDER BY "
        "(SELECT count(*) FROM cases c WHERE c.pupil_id = p.id) * 10 "
        "+ (SELECT count(*) FROM gr_phase_changes g WHERE g.pupil_id = p.id) "
        "+ (SELECT count(*) FROM apdr_cycles a WHERE a.pupil_id = p.id) "
        "+ (SELECT count(*) FROM suspensions s WHERE s.pupil_id = p.id) DESC, p.upn"
    ).fetchall()
    return [str(r[0]) for r in rows[:count]]


def pupil_records(store: Store, pupil_ids: list[str]) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every pupil-linked table for these pupils (entry-order keys left out)."""
    schema = handover.discover_schema(store)
    collected = handover_export._collect(store, schema, pupil_ids, known=False)
    result = {}
    for name, data in collected.tables.items():
        seq = schema[name].seq_column
        keep = [i for i, column in enumerate(data.columns) if column != seq]
        result[name] = sorted((tuple(row[i] for i in keep) for row in data.rows), key=repr)
    return result


def table_counts(store: Store) -> dict[str, int]:
    schema = handover.discover_schema(store)
    return {
        name: store.conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        for name in (*schema.linked, *schema.reference)
    }


@pytest.fixture(scope="module")
def school() -> Store:
    store = memory_store()
    demo.build_demo(store)
    return store


@pytest.fixture(scope="module")
def sent(school: Store, tmp_path_factory) -> tuple[Path, list[str]]:
    chosen = rich_pupils(school)
    path = tmp_path_factory.mktemp("bundle") / "ten pupils.semhbundle"
    handover.export_bundle(school, chosen, path, PASSPHRASE, kdf=FAST)
    return path, chosen


@pytest.fixture
def receiver(tmp_path: Path, clock: FixedClock) -> Store:
    created = create_database(
        tmp_path / "outreach.db",
        staff_name="Outreach worker",
        passphrase=Passphrase("outreach team passphrase"),
        clock=clock,
    )
    yield created.store
    created.store.close()


# --- the schema --------------------------------------------------------------------------


def test_schema_discovery_finds_pupil_linked_tables_and_leaves_local_ones(school):
    schema = handover.discover_schema(school)
    assert schema.linked[0] == "pupils"
    for name in (
        "cases",
        "targets",
        "target_versions",
        "scores",
        "case_reviews",
        "gr_phase_changes",
        "apdr_cycle_revisions",
        "suspensions",
    ):
        assert name in schema.linked
    assert {"audit", "settings", "handover_sync"}.isdisjoint(schema.linked + schema.reference)
    assert "staff" in schema.reference
    # parents before children: scores -> case_reviews -> cases -> pupils
    order = schema.linked
    assert order.index("cases") < order.index("case_reviews") < order.index("scores")
    assert schema["scores"].seq_column == "seq" and schema["scores"].immutable
    assert not schema["cases"].immutable
    assert schema.unsupported == ()


def test_a_table_added_by_a_later_feature_travels_without_code_changes(tmp_path):
    ddl = (
        "CREATE TABLE pupil_passports (id TEXT PRIMARY KEY, case_id TEXT NOT NULL "
        "REFERENCES cases (id), likes TEXT NOT NULL DEFAULT '')"
    )
    sender, receiver = memory_store(), memory_store("Outreach worker")
    for store in (sender, receiver):
        store.conn.execute(ddl)
    case = make_case(sender)
    sender.conn.execute(
        "INSERT INTO pupil_passports VALUES ('pp-1', ?, 'Lego and drawing')", [case.id]
    )
    assert "pupil_passports" in handover.discover_schema(sender).linked
    path = tmp_path / "one.semhbundle"
    handover.export_bundle(sender, [case.pupil_id], path, PASSPHRASE, kdf=FAST)
    handover.import_bundle(receiver, path, PASSPHRASE)
    assert receiver.conn.execute("SELECT case_id, likes FROM pupil_passports").fetchall() == [
        (case.id, "Lego and drawing")
    ]


# --- export preview and merging by UPN ---------------------------------------------------


def test_export_preview_lists_what_leaves(school):
    chosen = rich_pupils(school, 3)
    preview = handover.export_preview(school, chosen)
    assert [p.id for p in preview.pupils] == chosen
    counts = {t.table: t.rows for t in preview.tables}
    assert counts["pupils"] == 3 and counts.get("cases", 0) >= 1
    assert "Test SENCO" in preview.staff  # recorded the demo (the acting profile)
    with pytest.raises(ValidationError, match="at least one pupil"):
        handover.export_preview(school, [])


def test_same_upn_under_another_uuid_is_merged_not_duplicated(tmp_path):
    sender, receiver = memory_store(), memory_store("Outreach worker")
    case = make_case(sender)
    add_targets(sender, case)
    local = pupils.add_pupil(receiver, sample_details())  # typed in here from the CTF
    path = tmp_path / "b.semhbundle"
    handover.export_bundle(sender, [case.pupil_id], path, PASSPHRASE, kdf=FAST)
    report = handover.import_bundle(receiver, path, PASSPHRASE)
    assert [p.status for p in report.pupils] == ["merged_by_upn"]
    assert receiver.conn.execute("SELECT count(*) FROM pupils").fetchone()[0] == 1
    assert receiver.conn.execute("SELECT pupil_id FROM cases").fetchall() == [(local.id,)]
    assert len(targets.targets_for_case(receiver, case.id)) == 2
    again = handover.import_bundle(receiver, path, PASSPHRASE)
    assert again.totals["added"] == 0
    assert receiver.conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 1


# --- acceptance 2: conflicts ---------------------------------------------------------------


@pytest.fixture
def shared(tmp_path: Path) -> tuple[Store, Store, targets.Target, Path]:
    """A and B after one bundle from A: both hold the same pupil, case and targets."""
    a, b = memory_store(), memory_store("Outreach worker")
    case = make_case(a)
    target = add_targets(a, case)[0]
    first = tmp_path / "first.semhbundle"
    handover.export_bundle(a, [case.pupil_id], first, PASSPHRASE, kdf=FAST)
    handover.import_bundle(b, first, PASSPHRASE)
    return a, b, target, tmp_path


def _reword(store: Store, target_id: str, **changes: str) -> None:
    current = targets.get_target(store, target_id)
    targets.edit_target(store, target_id, dataclasses.replace(current.wording, **changes))


def test_same_target_changed_on_both_sides_is_listed_and_nothing_applied_until_chosen(shared):
    a, b, target, folder = shared
    _reword(a, target.id, school_actions="A: meet him at the gate every morning.")
    _reword(b, target.id, school_actions="B: the outreach worker phones home on Fridays.")
    second = folder / "second.semhbundle"
    handover.export_bundle(a, [target_pupil(a, target)], second, PASSPHRASE, kdf=FAST)
    bundle = handover.read_bundle(second, PASSPHRASE)

    preview = handover.preview_import(b, bundle)
    assert len(preview.conflicts) == 1
    conflict = preview.conflicts[0]
    assert conflict.table == "target_versions" and conflict.can_take_theirs
    assert "school_actions" in conflict.fields
    assert conflict.mine["school_actions"].startswith("B:")
    assert conflict.theirs["school_actions"].startswith("A:")
    assert conflict.pupil_name == "Zoë O'Neill"

    report = handover.apply_import(b, bundle)  # no choice made
    assert [c.key for c in report.undecided] == [conflict.key]
    assert targets.get_target(b, target.id).wording.school_actions.startswith("B:")
    assert len(targets.target_history(b, target.id)) == 2  # theirs not added

    again = handover.apply_import(b, bundle)  # still listed, still untouched
    assert [c.key for c in again.undecided] == [conflict.key]

    chosen = handover.apply_import(b, bundle, {conflict.key: handover.THEIRS})
    assert chosen.undecided == [] and chosen.conflicts[0].choice == "theirs"
    history = targets.target_history(b, target.id)
    assert [v.wording.school_actions[:2] for v in history] == ["Ch", "B:", "A:"]
    assert targets.get_target(b, target.id).wording.school_actions.startswith("A:")

    final = handover.apply_import(b, bundle)  # decided: not asked again, nothing duplicated
    assert final.conflicts == [] and final.totals["added"] == 0
    assert len(targets.target_history(b, target.id)) == 3


def target_pupil(store: Store, target: targets.Target) -> str:
    return str(
        store.conn.execute("SELECT pupil_id FROM cases WHERE id = ?", [target.case_id]).fetchone()[
            0
        ]
    )


def test_keep_mine_declines_theirs_and_is_not_asked_again(shared):
    a, b, target, folder = shared
    _reword(a, target.id, rewards="A: extra golden time.")
    _reword(b, target.id, rewards="B: a postcard home.")
    second = folder / "second.semhbundle"
    handover.export_bundle(a, [target_pupil(a, target)], second, PASSPHRASE, kdf=FAST)
    bundle = handover.read_bundle(second, PASSPHRASE)
    key = handover.preview_import(b, bundle).conflicts[0].key
    report = handover.apply_import(b, bundle, {key: handover.MINE})
    assert report.undecided == [] and report.totals["declined"] == 1
    assert targets.get_target(b, target.id).wording.rewards.startswith("B:")
    assert handover.apply_import(b, bundle).conflicts == []


def test_a_record_changed_on_one_side_only_is_taken_or_kept_without_asking(shared):
    a, b, target, folder = shared
    pupil_id = target_pupil(a, target)
    pupil_a = pupils.get_pupil(a, pupil_id)
    pupils.update_pupil(a, pupil_id, pupils.replace_details(pupil_a.details, reg_group="8H"))
    pupil_b = pupils.get_pupil(b, pupil_id)
    pupils.update_pupil(b, pupil_id, pupils.replace_details(pupil_b.details, young_carer=True))
    _reword(a, target.id, strengths="A only: great at chess.")
    # ... but B changed the pupil record too: that one is a conflict; the target is not.
    second = folder / "second.semhbundle"
    handover.export_bundle(a, [pupil_id], second, PASSPHRASE, kdf=FAST)
    report = handover.import_bundle(b, second, PASSPHRASE)
    assert [(c.table, c.kind) for c in report.conflicts] == [("pupils", "changed_both")]
    assert set(report.conflicts[0].fields) >= {"reg_group", "young_carer"}
    assert targets.get_target(b, target.id).wording.strengths.startswith("A only")
    unchanged = pupils.get_pupil(b, pupil_id)
    assert unchanged.details.young_carer and unchanged.details.reg_group == ""

    # A changes the case alone: B takes it; B changes the network alone: B keeps it.
    a.conn.execute(
        "UPDATE cases SET referred_by = 'Head of Year 8 (Mr Quayle)' WHERE id = ?", [target.case_id]
    )
    third = folder / "third.semhbundle"
    handover.export_bundle(a, [pupil_id], third, PASSPHRASE, kdf=FAST)
    report = handover.import_bundle(
        b, third, PASSPHRASE, {report.conflicts[0].key: handover.THEIRS}
    )
    assert b.conn.execute("SELECT referred_by FROM cases").fetchone()[0].endswith("Quayle)")
    assert pupils.get_pupil(b, pupil_id).details.reg_group == "8H"
    assert report.undecided == []


def test_both_sides_adding_history_to_the_same_chain_is_a_conflict(shared):
    a, b, target, folder = shared
    from semh_desktop.plans import scaling
    from semh_desktop.plans.scaling import BASELINE

    case_id = target.case_id
    scaling.record_score(a, case_id, BASELINE, 4, held_on=dt.date(2026, 10, 5), target_id=target.id)
    middle = folder / "middle.semhbundle"
    handover.export_bundle(a, [target_pupil(a, target)], middle, PASSPHRASE, kdf=FAST)
    handover.import_bundle(b, middle, PASSPHRASE)
    scaling.record_score(a, case_id, BASELINE, 5, held_on=dt.date(2026, 10, 5), target_id=target.id)
    scaling.record_score(b, case_id, BASELINE, 6, held_on=dt.date(2026, 10, 5), target_id=target.id)
    last = folder / "last.semhbundle"
    handover.export_bundle(a, [target_pupil(a, target)], last, PASSPHRASE, kdf=FAST)
    report = handover.import_bundle(b, last, PASSPHRASE)
    assert [(c.table, c.kind) for c in report.conflicts] == [("scores", "history_both")]
    assert scaling.agreed_score(b, report_review(b, case_id), target_id=target.id) == 6


def report_review(store: Store, case_id: str) -> str:
    return str(
        store.conn.execute("SELECT id FROM case_reviews WHERE case_id = ?", [case_id]).fetchone()[0]
    )


# --- all or nothing ----------------------------------------------------------------------


def test_an_import_that_fails_midway_leaves_nothing(shared, monkeypatch):
    a, b, target, folder = shared
    _reword(a, target.id, pupil_actions="A: new words")
    path = folder / "again.semhbundle"
    handover.export_bundle(a, [target_pupil(a, target)], path, PASSPHRASE, kdf=FAST)
    bundle = handover.read_bundle(path, PASSPHRASE)
    counts = table_counts(b)
    audits = len(audit.entries(b))

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(handover_merge._Merge, "_fresh_history", boom)
    with pytest.raises(RuntimeError):
        handover.apply_import(b, bundle)
    assert table_counts(b) == counts and len(audit.entries(b)) == audits


# --- the file format -----------------------------------------------------------------------


def test_bundle_header_names_a_memory_hard_kdf_and_authenticated_cipher(tmp_path):
    kdf = handover.default_kdf()
    if kdf.algorithm == "argon2id":
        assert kdf.cost >= 64 * 1024 and kdf.rounds >= 3
    else:
        assert kdf.algorithm == "scrypt" and 15 <= kdf.cost <= 17 and kdf.rounds == 8
    small_argon = KdfParams("argon2id", 64, 1, 1)
    sealed = handover.seal(b'{"x": 1}', PASSPHRASE, small_argon)
    magic, version, kdf_id, cost, _rounds, _lanes, cipher = struct.unpack(">8sHBIIIB", sealed[:24])
    assert (magic, version, kdf_id, cost, cipher) == (b"SEMHBNDL", 1, 2, 64, 1)
    assert handover.unseal(sealed, PASSPHRASE) == b'{"x": 1}'
    assert b'"x"' not in sealed  # compressed and encrypted
    with pytest.raises(WrongBundlePassphrase):
        handover.unseal(sealed, "another passphrase")


def test_a_hostile_header_cannot_ask_for_unbounded_memory():
    kdf = KdfParams("scrypt", 30, 8, 1)
    with pytest.raises(DamagedBundle):
        kdf.check_limits()


def test_passphrase_rules_and_file_name(school, tmp_path):
    with pytest.raises(ValidationError, match="at least 10 characters"):
        handover.check_passphrase("short")
    with pytest.raises(ValidationError, match="not the same"):
        handover.check_passphrase(PASSPHRASE, PASSPHRASE + "x")
    with pytest.raises(ValidationError, match=r"must end in \.semhbundle"):
        handover.export_bundle(
            school, rich_pupils(school, 1), tmp_path / "x.zip", PASSPHRASE, kdf=FAST
        )
    assert not (tmp_path / "x.zip").exists()


def test_a_bundle_from_a_newer_schema_is_refused(shared):
    _a, b, _target, folder = shared
    bundle = handover.read_bundle(folder / "first.semhbundle", PASSPHRASE)
    newer = dataclasses.replace(bundle, schema_version=b.schema_version() + 1)
    with pytest.raises(HandoverError, match="newer version of SEMH Desktop"):
        handover.apply_import(b, newer)


def test_a_payload_of_the_wrong_shape_is_refused():
    with pytest.raises(DamagedBundle, match="not in the shape"):
        handover.parse_payload(json.dumps({"format": "semh-desktop-handover"}).encode())


# --- acceptance 1 and 3 on SQLCipher files (last: SQLCipher turns on memory security
# for the whole process, which slows every later test) -----------------------------------


def test_round_trip_ten_pupils_every_record_equal_and_no_duplicates_on_second_import(
    school, sent, receiver
):
    path, chosen = sent
    assert len(chosen) == 10
    bundle = handover.read_bundle(path, PASSPHRASE)
    assert sorted(bundle.pupil_ids) == sorted(chosen)

    report = handover.apply_import(receiver, bundle)
    assert report.applied and report.new_pupils == 10 and report.merged_pupils == 0
    assert report.conflicts == [] and report.problems == []
    expected = pupil_records(school, chosen)
    assert sum(len(rows) for rows in expected.values()) > 500  # rich: cases, scores, history...
    for name in (
        "cases",
        "targets",
        "target_versions",
        "scores",
        "gr_item_answers",
        "apdr_cycle_revisions",
        "suspensions",
        "attendance_snapshots",
    ):
        assert expected[name], f"the demo gives the chosen pupils no {name}"
    assert pupil_records(receiver, chosen) == expected
    assert report.totals["added"] == sum(len(rows) for rows in expected.values())

    # The staff named in the records came too, as archived profiles nobody here unlocks with.
    profiles = {p.name for p in staff.list_staff(receiver)}
    assert profiles == {"Outreach worker"}
    carried = receiver.conn.execute(
        "SELECT name FROM staff WHERE archived_at IS NOT NULL"
    ).fetchall()
    assert {"Farah Okonjo"} <= {r[0] for r in carried}

    before = table_counts(receiver)
    again = handover.apply_import(receiver, bundle)
    assert table_counts(receiver) == before
    assert again.totals["added"] == 0 and again.totals["updated"] == 0
    assert again.conflicts == [] and again.merged_pupils == 10
    assert pupil_records(receiver, chosen) == expected


def test_the_receivers_own_template_stays_its_current_one(school, sent, receiver):
    from semh_desktop.graduated import templates as gr_templates

    own = gr_templates.current_template(receiver)
    handover.import_bundle(receiver, sent[0], PASSPHRASE)
    assert gr_templates.current_template(receiver).id == own.id
    assert len(gr_templates.versions(receiver)) == 2  # the sender's, kept for its answers


def test_export_and_import_are_audited_on_both_sides_with_counts_never_names(
    school, sent, receiver
):
    path, chosen = sent
    names = [pupils.get_pupil(school, p) for p in chosen]
    exported = [e for e in audit.entries(school) if e.action == "export"]
    assert any(e.record_type == "handover_bundle" and "10 pupils" in e.detail for e in exported)
    assert {e.record_id for e in exported if e.record_type == "pupil"} >= set(chosen)

    handover.import_bundle(receiver, path, PASSPHRASE)
    imported = [e for e in audit.entries(receiver) if e.action == "import"]
    bundle_rows = [e for e in imported if e.record_type == "handover_bundle"]
    assert len(bundle_rows) == 1 and "10 pupils (10 new, 0 merged)" in bundle_rows[0].detail
    assert {e.record_id for e in imported if e.record_type == "pupil"} == set(chosen)
    details = " ".join(e.detail for e in audit.entries(receiver) + audit.entries(school))
    for pupil in names:
        assert pupil.details.legal_surname not in details
        assert pupil.upn not in details


def _attempts(db: Path, tries: list[tuple[Path, str]]) -> list[HandoverError]:
    """Open B with its key, try each bundle, close B; every try must fail.

    Opened with the raw key rather than signed in, since a sign-in is itself audited and
    these tests check that a refused bundle leaves the file byte for byte as it was.
    """
    store = open_store(db, parse_recovery_key((db.parent / "recovery.txt").read_text()))
    store.staff_id = staff.list_staff(store)[0].id
    audits = len(audit.entries(store))
    errors = []
    try:
        for bundle, passphrase in tries:
            with pytest.raises(HandoverError) as caught:
                handover.import_bundle(store, bundle, passphrase)
            errors.append(caught.value)
            assert len(audit.entries(store)) == audits
    finally:
        store.close()
    return errors


@pytest.fixture(scope="module")
def closed_receiver(tmp_path_factory) -> Path:
    """Database B on disk (SQLCipher), closed, with its own staff profile."""
    path = tmp_path_factory.mktemp("receiver") / "outreach.db"
    created = create_database(
        path,
        staff_name="Outreach worker",
        passphrase=Passphrase("outreach team passphrase"),
        clock=FixedClock(TODAY),
    )
    created.store.close()
    (path.parent / "recovery.txt").write_text(created.recovery_key)
    return path


def test_wrong_passphrase_is_refused_plainly_and_the_database_is_unchanged(sent, closed_receiver):
    before = file_hash(closed_receiver)
    [error] = _attempts(closed_receiver, [(sent[0], "kettle lighthouse marmalade!")])
    assert isinstance(error, WrongBundlePassphrase)
    assert error.message.startswith("The passphrase does not open this bundle.")
    assert "Nothing was imported" in error.message
    assert file_hash(closed_receiver) == before


def test_a_flipped_byte_is_refused_plainly_and_the_database_is_unchanged(
    sent, closed_receiver, tmp_path
):
    data = sent[0].read_bytes()
    positions = {
        "magic": 0,
        "version": 9,
        "kdf": 12,
        "salt": 30,
        "nonce": 50,
        "check": 70,
        "checksum": 80,
        "first": 84,
        "middle": len(data) // 2,
        "last": len(data) - 1,
    }
    tries = []
    for where, position in positions.items():
        flipped = bytearray(data)
        flipped[position] ^= 0x01
        damaged = tmp_path / f"flipped-{where}.semhbundle"
        damaged.write_bytes(bytes(flipped))
        tries.append((damaged, PASSPHRASE))
    before = file_hash(closed_receiver)
    errors = _attempts(closed_receiver, tries)
    for where, error in zip(positions, errors, strict=True):
        assert isinstance(error, DamagedBundle), where
        if where == "magic":
            assert error.message.startswith("This file is not a SEMH Desktop handover bundle.")
        else:
            assert error.message.startswith("The bundle is damaged (changed or cut short"), where
        assert "Nothing was imported" in error.message
    assert file_hash(closed_receiver) == before


def test_a_truncated_bundle_is_refused_plainly_and_the_database_is_unchanged(
    sent, closed_receiver, tmp_path
):
    data = sent[0].read_bytes()
    cuts = [0, 5, 40, 84, 100, len(data) // 2, len(data) - 1]
    tries = []
    for keep in cuts:
        cut = tmp_path / f"cut-{keep}.semhbundle"
        cut.write_bytes(data[:keep])
        tries.append((cut, PASSPHRASE))
    before = file_hash(closed_receiver)
    errors = _attempts(closed_receiver, tries)
    for keep, error in zip(cuts, errors, strict=True):
        assert isinstance(error, DamagedBundle), keep
        assert "Nothing was imported" in error.message
        if keep:
            assert error.message.startswith("The bundle is damaged (changed or cut short"), keep
    assert file_hash(closed_receiver) == before
