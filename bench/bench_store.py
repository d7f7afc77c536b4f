"""Storage figures: creating the demo school, opening a database, and the cost of memory security.

Run: .venv/bin/python bench/bench_store.py   (prints figures; not a test)
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from semh_desktop.core.keystore import Passphrase, new_raw_key
from semh_desktop.core.store import create_store, open_store
from semh_desktop.demo import school as demo
from semh_desktop.register import pupils
from semh_desktop.register.database import create_database, open_database


def timed(action, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.db"
        start = time.perf_counter()
        created = create_database(path, staff_name="Bench", passphrase=Passphrase("bench"))
        demo.build_demo(created.store)
        created.store.close()
        print(
            "demo school (600 pupils, passphrase mode): "
            f"{(time.perf_counter() - start) * 1000:.0f} ms"
        )

        def open_passphrase() -> None:
            open_database(path, passphrase=Passphrase("bench")).close()

        print(f"open with passphrase (PBKDF2 256k + quick_check): {timed(open_passphrase):.0f} ms")

        raw = new_raw_key()
        raw_path = Path(folder) / "raw.db"
        store = create_store(raw_path, raw)
        store.close()
        print(
            f"open with raw key (no KDF): {timed(lambda: open_store(raw_path, raw).close()):.1f} ms"
        )

        store = open_database(path, passphrase=Passphrase("bench"))
        print(
            f"caseload query (40 on register): {timed(lambda: pupils.caseload(store), 20):.2f} ms"
        )
        print(
            "whole-school caseload (600): "
            f"{timed(lambda: pupils.caseload(store, whole_register=True), 20):.2f} ms"
        )
        for setting in ("ON", "OFF"):
            store.conn.execute(f"PRAGMA cipher_memory_security = {setting}")
            ms = timed(lambda: pupils.caseload(store, whole_register=True), 20)
            print(f"  with cipher_memory_security {setting}: {ms:.2f} ms")
        store.close()


if __name__ == "__main__":
    main()
