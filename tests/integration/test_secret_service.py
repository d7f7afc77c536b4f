"""The database key through a real Secret Service: gnome-keyring in a private D-Bus session."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from semh_desktop.core.errors import KeyMissing
from semh_desktop.core.keystore import SERVICE, KeyStore, keyring_account
from semh_desktop.register import pupils
from semh_desktop.register.database import create_database, open_database

from ..conftest import sample_details

pytestmark = pytest.mark.secret_service


@pytest.fixture
def secret_service(tmp_path, monkeypatch):
    tools = ("dbus-launch", "gnome-keyring-daemon")
    if not all(shutil.which(tool) for tool in tools):
        if os.environ.get("SEMH_REQUIRE_SECRET_SERVICE"):
            pytest.fail("dbus-launch and gnome-keyring-daemon are needed for this test")
        pytest.skip("needs dbus-launch and gnome-keyring-daemon")
    home = tmp_path / "home"
    runtime = tmp_path / "runtime"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }
    launched = subprocess.run(
        ["dbus-launch", "--sh-syntax"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    bus = dict(
        line.split("=", 1)
        for line in launched.stdout.replace("'", "").replace(";", "").splitlines()
        if "=" in line and not line.startswith("export")
    )
    env["DBUS_SESSION_BUS_ADDRESS"] = bus["DBUS_SESSION_BUS_ADDRESS"]
    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert daemon.stdin is not None
    daemon.stdin.write(b"login keyring password for the test")
    daemon.stdin.close()
    for name in ("DBUS_SESSION_BUS_ADDRESS", "HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, env[name])

    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    deadline = time.monotonic() + 20
    while True:  # wait for the daemon to own org.freedesktop.secrets on the bus
        try:
            backend.get_password("semh-desktop-probe", "probe")
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    yield backend
    daemon.terminate()
    daemon.wait(timeout=10)
    subprocess.run(["kill", bus["DBUS_SESSION_BUS_PID"]], check=False)


def test_database_key_lives_in_the_real_secret_service(secret_service, tmp_path, clock):
    keystore = KeyStore(secret_service)
    assert keystore.available()
    path = tmp_path / "school.db"
    created = create_database(path, staff_name="Test SENCO", keystore=keystore, clock=clock)
    pupils.add_pupil(created.store, sample_details())
    created.store.close()

    stored = secret_service.get_password(SERVICE, keyring_account(path))
    assert stored is not None and len(bytes.fromhex(stored)) == 32

    store = open_database(path, keystore=keystore, clock=clock)
    assert pupils.find_by_upn(store, "B801200005001").details.legal_surname == "O'Neill"
    store.close()

    keystore.forget(path)
    with pytest.raises(KeyMissing):
        open_database(path, keystore=keystore, clock=clock)
    assert Path(path).exists()
