"""End to end in a real X window: build the demo school, start the app, sign in, screenshot.

The app runs in a subprocess on its own Xvfb display with the xcb platform (not offscreen),
started as `semh-desktop gui` starts it and driven by tests/e2e/app_window.py (the production
code has no test switches). Screenshots are kept in tests/artifacts/ (git-ignored) to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from semh_desktop.core.keystore import Passphrase
from semh_desktop.register import audit
from semh_desktop.register.database import open_database

from .conftest import XVFB_MARKS

pytestmark = XVFB_MARKS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
PASSPHRASE = "e2e"  # a fictional demo school: the passphrase is not a secret


def _check_image(path: Path, *, min_width: int, min_height: int) -> QImage:
    assert path.exists(), f"{path.name} was not written"
    image = QImage(str(path))
    assert not image.isNull(), f"{path.name} is not an image"
    assert image.width() >= min_width and image.height() >= min_height, image.size()
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 17) for y in range(0, image.height(), 13)
    }
    assert len(colours) > 12, f"{path.name} looks blank ({len(colours)} colours)"
    return image


def test_real_window_unlocks_selects_a_pupil_and_locks(tmp_path: Path, xvfb_display: str) -> None:
    database = tmp_path / "demo-school.db"
    env = {**os.environ, "SEMH_DESKTOP_HOME": str(tmp_path / "home"), "SEMH_E2E_PASS": PASSPHRASE}
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "ui.app.launcher",
            "demo",
            "--db",
            str(database),
            "--passphrase-env",
            "SEMH_E2E_PASS",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr

    shot = tmp_path / "shots" / "window.png"
    gui_env = {
        **env,
        "DISPLAY": xvfb_display,
        "QT_QPA_PLATFORM": "xcb",
    }
    started = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.e2e.app_window",
            "--staff",
            "Farah Okonjo",
            "--sign-in-env",
            "SEMH_E2E_PASS",
            "--screenshot",
            str(shot),
            "--db",
            str(database),
        ],
        env=gui_env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,  # so that `-m tests.e2e.app_window` is found
    )
    assert started.returncode == 0, started.stderr

    main = _check_image(shot, min_width=1000, min_height=600)
    add_pupil = _check_image(shot.with_name("window-add-pupil.png"), min_width=500, min_height=300)
    lock = _check_image(shot.with_name("window-lock.png"), min_width=1000, min_height=600)
    sign_in_page = _check_image(
        shot.with_name("window-sign-in.png"), min_width=1000, min_height=600
    )
    assert sign_in_page.size() == main.size()
    assert lock.size() == main.size()
    assert add_pupil.width() < main.width()

    ARTIFACTS.mkdir(exist_ok=True)
    for image in shot.parent.glob("*.png"):
        shutil.copy(image, ARTIFACTS / image.name)

    # What the window did is in the audit trail: signed in, the caseload viewed, one pupil
    # opened, then locked (and this check's own sign-in last).
    store = open_database(database, passphrase=Passphrase(PASSPHRASE), staff_name="Farah Okonjo")
    try:
        entries = audit.entries(store)
    finally:
        store.close()
    assert [e.action for e in entries][-5:] == ["unlock", "view", "open", "lock", "unlock"]
