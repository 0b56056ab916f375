"""``annotate user``: accounts added, listed, re-passworded and disabled through the real CLI."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from annotate.accounts import passwords


def annotate(data_dir, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    return subprocess.run([sys.executable, "-m", "annotate", "--data-dir", str(data_dir), *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120)


def stored(data_dir, sql: str) -> list[tuple]:
    with sqlite3.connect(data_dir / "annotate.sqlite") as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def test_add_list_passwd_disable(data_dir):
    added = annotate(data_dir, "user", "add", "Ana", "--role", "reviewer", "--role", "analyst",
                     "--display-name", "Ana Lima", "--password-stdin", stdin="correct horse\n")
    assert added.returncode == 0, added.stderr
    assert "added user ana (Ana Lima) with roles analyst, reviewer" in added.stdout
    [(login, hashed, epoch)] = stored(data_dir, "select login, password_hash, epoch from users")
    assert login == "ana" and passwords.verify(hashed, "correct horse") and epoch == 0

    changed = annotate(data_dir, "user", "passwd", "ANA", "--password-stdin", stdin="battery staple\n")
    assert changed.returncode == 0, changed.stderr
    [(hashed, epoch)] = stored(data_dir, "select password_hash, epoch from users")
    assert passwords.verify(hashed, "battery staple") and not passwords.verify(hashed, "correct horse")
    assert epoch == 1

    assert annotate(data_dir, "user", "disable", "ana").returncode == 0
    listed = json.loads(annotate(data_dir, "user", "list", "--json").stdout)
    assert listed == [{"login": "ana", "display_name": "Ana Lima", "roles": ["analyst", "reviewer"],
                       "disabled": True}]
    assert stored(data_dir, "select reviewer from change_log where entity = 'user'")[0][0].startswith("cli")


@pytest.mark.parametrize("args,stdin,message", [
    (["add", "bo", "--role", "boss", "--password-stdin"], "long enough pw\n", "unknown role 'boss'"),
    (["add", "bo", "--role", "trainer", "--password-stdin"], "short\n", "shorter than 8"),
    (["add", "bo", "--role", "trainer"], "", "pipe it in with --password-stdin"),
    (["add", "b o", "--role", "trainer", "--password-stdin"], "long enough pw\n", "not usable"),
    (["passwd", "nobody", "--password-stdin"], "long enough pw\n", "no user 'nobody'"),
    (["disable", "nobody"], "", "no such user"),
])
def test_bad_input_gets_one_line_and_stores_nothing(data_dir, args, stdin, message):
    result = annotate(data_dir, "user", *args, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    db = data_dir / "annotate.sqlite"
    assert not db.exists() or stored(data_dir, "select count(*) from users") == [(0,)]


def test_a_login_is_taken_once_whatever_its_case(data_dir):
    assert annotate(data_dir, "user", "add", "ana", "--role", "admin", "--password-stdin",
                    stdin="correct horse\n").returncode == 0
    again = annotate(data_dir, "user", "add", "ANA", "--role", "trainer")
    assert again.returncode == 2 and "already a user 'ana'" in again.stderr
    assert stored(data_dir, "select roles from users") == [('["admin"]',)]
