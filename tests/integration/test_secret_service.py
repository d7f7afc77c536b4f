"""The database key through a real Secret Service: gnome-keyring in a private D-Bus session."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from semh_desktop.core.errors import KeyMissing, StoreError
from semh_desktop.core.keystore import SERVICE, KeyStore, keyring_account, new_raw_key
from semh_desktop.core.store import create_store
from semh_desktop.register import pupils, sign_in, staff
from semh_desktop.register.database import open_database

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


def test_an_older_keyring_database_converts_and_the_real_keyring_no_longer_opens_it(
    secret_service, tmp_path, clock
):
    keystore = KeyStore(secret_service)
    assert keystore.available()
    path = tmp_path / "school.db"
    old_key = new_raw_key()
    store = create_store(path, old_key, clock=clock)
    senco = staff.add_staff(store, "Test SENCO", "senco")
    store.staff_id = senco.id
    pupils.add_pupil(store, sample_details())
    store.close()
    keystore.save(path, old_key)  # as version 0.1 kept it
    stored = secret_service.get_password(SERVICE, keyring_account(path))
    assert stored is not None and bytes.fromhex(stored) == old_key.key

    assert sign_in.needs_conversion(path)
    legacy = keystore.load(path)
    converted = sign_in.convert(path, legacy, senco.id, "my own passphrase", keystore=keystore)
    keystore.remember_profile(path, senco.id)
    converted.signed_in.store.close()

    assert secret_service.get_password(SERVICE, keyring_account(path)) is None
    with pytest.raises(KeyMissing):
        keystore.load(path)
    assert keystore.last_profile(path) == senco.id  # a convenience, not a key
    with pytest.raises(StoreError):
        open_database(path, keystore=keystore, clock=clock)
    signed = sign_in.sign_in(path, senco.id, "my own passphrase", clock=clock)
    assert pupils.find_by_upn(signed.store, "B801200005001").details.legal_surname == "O'Neill"
    signed.store.close()
