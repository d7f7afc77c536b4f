"""`semh-desktop staff …` and `semh-desktop passphrase`: profiles managed from the command line."""

from __future__ import annotations

import pytest

from semh_desktop.cli import main as cli
from semh_desktop.core.keystore import Passphrase
from semh_desktop.register import audit, sign_in
from semh_desktop.register.database import open_database


@pytest.fixture
def school(tmp_path, monkeypatch):
    path = tmp_path / "school.db"
    env = {
        "SENCO_PW": "the senco's words",
        "ONE_TIME": "given on paper",
        "OWN": "chosen by ben himself",
        "OTHER": "another one time",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert (
        cli.main(
            ["init", "--db", str(path), "--staff", "Ann Senco", "--passphrase-env", "SENCO_PW"]
        )
        == 0
    )
    return path


def run(path, *args: str) -> int:
    return cli.main(
        [*args[:2], "--db", str(path), *args[2:]]
        if args[0] == "staff"
        else [args[0], "--db", str(path), *args[1:]]
    )


def test_a_senco_adds_a_profile_who_must_choose_their_own_passphrase(school, capsys):
    senco = ["--passphrase-env", "SENCO_PW"]
    add = ["--name", "Ben Pastoral", "--role", "pastoral", "--new-passphrase-env", "ONE_TIME"]
    assert run(school, "staff", "add", *senco, *add) == 0
    assert "Added Ben Pastoral (Pastoral staff)" in capsys.readouterr().out
    assert run(school, "staff", "list", *senco) == 0
    listing = capsys.readouterr().out
    assert "Ben Pastoral\tPastoral staff\tone-time passphrase" in listing
    assert "Ann Senco\tSENCO\tcan sign in" in listing

    ben = ["--staff", "Ben Pastoral", "--passphrase-env", "ONE_TIME"]
    # With the one-time passphrase only changing it is allowed.
    assert run(school, "staff", "list", *ben) == 1
    assert "one-time passphrase" in capsys.readouterr().err
    assert run(school, "passphrase", *ben, "--new-passphrase-env", "OWN") == 0
    assert run(school, "staff", "list", "--staff", "Ben Pastoral", "--passphrase-env", "OWN") == 0
    assert run(school, "staff", "list", *ben) == 1
    assert "does not open Ben Pastoral’s profile" in capsys.readouterr().err

    # Pastoral staff cannot manage profiles; the refusal is one plain line.
    own = ["--staff", "Ben Pastoral", "--passphrase-env", "OWN"]
    assert (
        run(school, "staff", "reset", *own, "--name", "Ann Senco", "--new-passphrase-env", "OTHER")
        == 1
    )
    err = capsys.readouterr().err
    assert "only a SENCO can" in err and err.count("\n") == 1 and "Traceback" not in err


def test_reset_and_disable(school, capsys):
    senco = ["--passphrase-env", "SENCO_PW"]
    add = ["--name", "Ben Pastoral", "--role", "pastoral", "--new-passphrase-env", "ONE_TIME"]
    assert run(school, "staff", "add", *senco, *add) == 0
    assert (
        run(
            school,
            "staff",
            "reset",
            *senco,
            "--name",
            "Ben Pastoral",
            "--new-passphrase-env",
            "OTHER",
        )
        == 0
    )
    assert (
        run(school, "staff", "list", "--staff", "Ben Pastoral", "--passphrase-env", "ONE_TIME") == 1
    )
    assert run(school, "staff", "disable", *senco, "--name", "Ben Pastoral") == 0
    capsys.readouterr()
    assert run(school, "staff", "list", "--staff", "Ben Pastoral", "--passphrase-env", "OTHER") == 1
    assert "no staff profile called 'Ben Pastoral' that can sign in" in capsys.readouterr().err
    assert [p.name for p in sign_in.profiles(school)] == ["Ann Senco"]
    # Disabling the only SENCO, or oneself, is refused.
    assert run(school, "staff", "disable", *senco, "--name", "Ann Senco") == 1
    assert "own profile" in capsys.readouterr().err
    store = open_database(school, passphrase=Passphrase("the senco's words"))
    actions = [(e.action, e.record_type) for e in audit.entries(store)]
    store.close()
    assert ("archive", "staff") in actions and ("change", "passphrase") in actions


def test_bad_input_is_one_plain_line(school, capsys, monkeypatch):
    monkeypatch.setenv("SHORT", "short")
    senco = ["--passphrase-env", "SENCO_PW"]
    bad = ["--name", "X", "--role", "pastoral", "--new-passphrase-env", "SHORT"]
    assert run(school, "staff", "add", *senco, *bad) == 1
    assert "at least 8 characters" in capsys.readouterr().err
    assert (
        run(
            school,
            "staff",
            "add",
            *senco,
            "--name",
            "Y",
            "--role",
            "pastoral",
            "--new-passphrase-env",
            "UNSET_VAR",
        )
        == 1
    )
    assert "UNSET_VAR is not set" in capsys.readouterr().err
    assert run(school, "staff", "disable", *senco, "--name", "Nobody Here") == 1
    assert "no staff profile called 'Nobody Here'" in capsys.readouterr().err
