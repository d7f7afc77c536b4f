"""How long handover bundles and outreach summaries take for the demo school's register.

Builds the demo school (600 pupils, 40 on the SEMH register) in an encrypted database file,
then prints, for all 40 register pupils:
  - export: collect, compress, encrypt with the product KDF (Argon2id 64 MiB, or scrypt)
    and write the bundle; its size;
  - the KDF alone (a wrong passphrase costs this much before it is refused);
  - preview and apply into a second, empty encrypted database; re-import (no changes);
  - one outreach summary PDF and JSON (the richest pupil), and a pseudonymised cohort of 40.

Run: .venv/bin/python bench/bench_handover.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from semh_desktop.core.keystore import Passphrase
from semh_desktop.demo import school as demo
from semh_desktop.exchange import handover, outreach_summary
from semh_desktop.register import pupils
from semh_desktop.register.database import create_database

PASSPHRASE = "kettle lighthouse marmalade"


def timed(label: str, work):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = work()
    print(f"{label:<58} {time.perf_counter() - start:7.2f} s")
    return result


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    school = create_database(
        folder / "school.db", staff_name="Farah Okonjo", passphrase=Passphrase("school passphrase")
    ).store
    timed("build the demo school", lambda: demo.build_demo(school))
    register = [row.pupil_id for row in pupils.caseload(school)]
    path = folder / "register.semhbundle"
    result = timed(
        f"export {len(register)} pupils (product KDF: {handover.default_kdf()})",
        lambda: handover.export_bundle(school, register, path, PASSPHRASE),
    )
    print(f"  {result.preview.record_count} records, bundle {os.path.getsize(path) / 1024:.0f} KiB")
    data = path.read_bytes()
    timed("wrong passphrase refused (KDF + key check)", lambda: _refused(data))
    outreach = create_database(
        folder / "outreach.db",
        staff_name="Outreach worker",
        passphrase=Passphrase("outreach passphrase"),
    ).store
    bundle = timed("read the bundle", lambda: handover.read_bundle(path, PASSPHRASE))
    timed("preview the import", lambda: handover.preview_import(outreach, bundle))
    report = timed("apply the import", lambda: handover.apply_import(outreach, bundle))
    print(f"  {report.summary()}")
    again = timed("import again (nothing new)", lambda: handover.apply_import(outreach, bundle))
    print(f"  {again.summary()}")
    richest = register[0]
    timed(
        "one outreach summary PDF",
        lambda: outreach_summary.write_summary(
            school, richest, folder / "one.pdf", outreach_summary.SummaryOptions()
        ),
    )
    timed(
        "one outreach summary JSON",
        lambda: outreach_summary.write_summary(
            school, richest, folder / "one.json", outreach_summary.SummaryOptions()
        ),
    )
    cohort = folder / "cohort"
    cohort.mkdir()
    timed(
        f"pseudonymised cohort of {len(register)} PDFs",
        lambda: outreach_summary.write_summaries(
            school, register, cohort, ".pdf", outreach_summary.default_options(len(register))
        ),
    )
    school.close()
    outreach.close()


def _refused(data: bytes) -> None:
    try:
        handover.unseal(data, "not the passphrase")
    except handover.WrongBundlePassphrase:
        return
    raise AssertionError("a wrong passphrase opened the bundle")


if __name__ == "__main__":
    main()
