"""The command line refuses what a profile's role does not allow, in the same plain words as
the window: exit status 1, one line on stderr, nothing stored, the refusal audited.

Every profile here signs in with the same passphrase (its own key slot), given through the
environment variable the command line reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from semh_desktop.cli import main as cli
from semh_desktop.core.keystore import Passphrase
from semh_desktop.core.store import Store
from semh_desktop.graduated import templates as gr_templates
from semh_desktop.register import access, staff
from semh_desktop.register.database import create_database, open_database

from .import_helpers import SIMS

PASSPHRASE = "correct horse"
WRITING = {"create", "change", "archive", "import", "export", "print"}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PW", PASSPHRASE)
    path = tmp_path / "school.db"
    created = create_database(path, staff_name="Sen Co", passphrase=Passphrase(PASSPHRASE))
    try:
        for name, role in (("Reader", "read_only"), ("Pat Oral", "pastoral")):
            staff.add_staff(created.store, name, role, PASSPHRASE, must_change=False)
    finally:
        created.store.close()
    return path


@pytest.fixture
def template_file(tmp_path: Path) -> Path:
    default = gr_templates.default_template()
    path = tmp_path / "other-authority.json"
    path.write_text(
        gr_templates.template_to_json(default).replace(default.name, "Another authority", 1),
        encoding="utf-8",
    )
    return path


def _open(db: Path) -> Store:
    # As the SENCO: looking adds only its sign-in to the audit trail, no writing row.
    return open_database(db, passphrase=Passphrase(PASSPHRASE), staff_name="Sen Co")


def _snapshot(db: Path) -> tuple[dict[str, int], int]:
    """Row counts of every table but the audit trail, and the audit trail's length."""
    store = _open(db)
    try:
        names = [
            row[0]
            for row in store.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        count = 'SELECT COUNT(*) FROM "{}"'
        counts = {n: store.conn.execute(count.format(n)).fetchone()[0] for n in names}
    finally:
        store.close()
    return {n: c for n, c in counts.items() if n != "audit"}, counts["audit"]


def _audit_since(db: Path, seen: int) -> list[dict[str, object]]:
    store = _open(db)
    try:
        rows = store.db.query(
            "SELECT staff_id, action, record_type, detail FROM audit ORDER BY seq LIMIT -1 "
            "OFFSET ?",
            [seen],
        )
        return list(rows)
    finally:
        store.close()


def _staff_id(db: Path, name: str) -> str:
    store = _open(db)
    try:
        row = store.conn.execute("SELECT id FROM staff WHERE name = ?", [name]).fetchone()
        return str(row[0])
    finally:
        store.close()


def _run(db: Path, who: str, command: str, *args: str) -> int:
    return cli.main([command, "--db", str(db), "--staff", who, "--passphrase-env", "PW", *args])


def _assert_refused(
    db: Path,
    capsys: pytest.CaptureFixture[str],
    before: tuple[dict[str, int], int],
    *,
    who: str,
    role: str,
    permission: str,
    function: str,
    status: int,
) -> None:
    err = capsys.readouterr().err
    assert status == 1
    assert "Traceback" not in err
    assert err.strip().splitlines() == [f"semh-desktop: {access.refusal_message(role, permission)}"]
    tables, _ = _snapshot(db)
    assert tables == before[0]  # nothing stored
    added = _audit_since(db, before[1])
    refused = [row for row in added if row["action"] == "refused"]
    assert [(r["record_type"], r["detail"], r["staff_id"]) for r in refused] == [
        (permission, function, _staff_id(db, who))
    ]
    assert not [row for row in added if row["action"] in WRITING]


def test_read_only_import_is_refused(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(db)
    status = _run(db, "Reader", "import", str(SIMS), "--register")
    _assert_refused(
        db,
        capsys,
        before,
        who="Reader",
        role="read_only",
        permission="import",
        function="apply_import",
        status=status,
    )


def test_pastoral_import_is_allowed(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The other side of the line (and proof that the profile above did sign in).
    before, _ = _snapshot(db)
    assert _run(db, "Pat Oral", "import", str(SIMS), "--register") == 0
    assert "Imported:" in capsys.readouterr().out
    after, _ = _snapshot(db)
    assert after["pupils"] > before["pupils"]


@pytest.mark.parametrize(("who", "role"), [("Reader", "read_only"), ("Pat Oral", "pastoral")])
def test_template_import_is_refused_below_senco(
    db: Path, template_file: Path, capsys: pytest.CaptureFixture[str], who: str, role: str
) -> None:
    before = _snapshot(db)
    status = _run(db, who, "template-import", str(template_file))
    _assert_refused(
        db,
        capsys,
        before,
        who=who,
        role=role,
        permission="templates",
        function="import_template",
        status=status,
    )


def test_read_only_template_export_is_refused_and_writes_no_file(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ours.json"
    before = _snapshot(db)
    status = _run(db, "Reader", "template-export", "--out", str(out))
    _assert_refused(
        db,
        capsys,
        before,
        who="Reader",
        role="read_only",
        permission="export",
        function="export_template",
        status=status,
    )
    assert not out.exists()


def test_read_only_report_export_is_refused_and_writes_no_file(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.csv"
    before = _snapshot(db)
    status = _run(db, "Reader", "report", "--out", str(out))
    _assert_refused(
        db,
        capsys,
        before,
        who="Reader",
        role="read_only",
        permission="export",
        function="export_report",
        status=status,
    )
    assert not out.exists()
