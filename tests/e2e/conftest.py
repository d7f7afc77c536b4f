"""A private Xvfb display for the end-to-end tests (each test gets its own server).

In CI (SEMH_REQUIRE_XVFB set) a missing or failing Xvfb fails the tests instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

XVFB_MARKS = [
    pytest.mark.xvfb,
    pytest.mark.skipif(
        shutil.which("Xvfb") is None and not os.environ.get("SEMH_REQUIRE_XVFB"),
        reason="Xvfb is not installed",
    ),
]


def _free_display() -> int:
    for number in range(91, 230):
        if not (
            Path(f"/tmp/.X{number}-lock").exists() or Path(f"/tmp/.X11-unix/X{number}").exists()
        ):
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    number = _free_display()
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 15  # waiting for the server to start, not timing the app
    while not socket.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            if os.environ.get("SEMH_REQUIRE_XVFB"):
                pytest.fail("Xvfb did not start")
            pytest.skip("Xvfb did not start")
        time.sleep(0.05)
    try:
        yield f":{number}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
