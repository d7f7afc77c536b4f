"""The PSP tab's progress chart in a real X window (Xvfb, xcb platform), with a screenshot.

The window runs in a subprocess (tests/e2e/psp_window.py) on its own Xvfb display; the
screenshot of the whole X screen is kept in tests/artifacts/ (git-ignored) to look at, and
checked here: a real image whose chart area holds the chart's bars.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QColor, QImage

from .conftest import XVFB_MARKS

pytestmark = XVFB_MARKS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
ACCENT = QColor("#2f6f8f")  # the Final bars (ui/theme.py ACCENT)
BASELINE_GREY = QColor("#b7bec6")  # the Baseline bars (ui/progress_chart.py)


def _count(image: QImage, colour: QColor, x0: int, y0: int, width: int, height: int) -> int:
    wanted = colour.rgb() & 0xFFFFFF
    found = 0
    for x in range(max(0, x0), min(image.width(), x0 + width), 2):
        for y in range(max(0, y0), min(image.height(), y0 + height), 2):
            if image.pixel(x, y) & 0xFFFFFF == wanted:
                found += 1
    return found


def test_psp_progress_chart_shows_in_a_real_window(tmp_path: Path, xvfb_display: str) -> None:
    out = tmp_path / "shots"
    env = {
        **os.environ,
        "DISPLAY": xvfb_display,
        "QT_QPA_PLATFORM": "xcb",
        "SEMH_DESKTOP_HOME": str(tmp_path / "home"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "tests.e2e.psp_window", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr

    shot = out / "psp_tab_xvfb.png"
    ARTIFACTS.mkdir(exist_ok=True)
    for image in out.glob("*.png"):
        shutil.copy(image, ARTIFACTS / image.name)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    screen = QImage(str(shot))
    assert not screen.isNull() and (screen.width(), screen.height()) == (1400, 900)
    colours = {
        screen.pixel(x, y)
        for x in range(0, screen.width(), 17)
        for y in range(0, screen.height(), 13)
    }
    assert len(colours) > 12, "the screenshot looks blank"

    chart = json.loads((out / "chart.json").read_text(encoding="utf-8"))
    assert chart["visible"] and chart["width"] > 300 and chart["height"] > 150
    assert chart["description"].startswith("Target 1: baseline 2, mid-point 5, final 8")
    area = (chart["x"], chart["y"], chart["width"], chart["height"])
    assert 0 <= chart["x"] < 1400 and 0 <= chart["y"] < 900 - 100
    # Inside the chart's rectangle on the real screen: the final bars (accent) and the
    # baseline bars (grey) are drawn.
    assert _count(screen, ACCENT, *area) > 200
    assert _count(screen, BASELINE_GREY, *area) > 100
