"""``flask db backup`` / ``flask db restore`` on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import sqlite3
import stat

import pytest

from tests.factories import make_centre, make_user
from volunteer_app import ops
from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.db import db, make_database


@contextlib.contextmanager
def _connected():
    """A connection that is really closed afterwards (a pool would keep it open, idle)."""
    with db.connection_context():
        yield
    if hasattr(db.obj, "close_idle"):
        db.obj.close_idle()


def _snapshot() -> dict:
    with _connected():
        return {
            "centres": sorted((c.slug, c.name) for c in Centre.select()),
            "users": sorted(u.email for u in User.select()),
        }


def _seed():
    with _connected():
        centre = make_centre(name="ThEKiZ Regenbogenhaus", slug="regenbogenhaus")
        user = make_user(email="anna@example.org")
        make_centre(name="ThEKiZ Saaletal", slug="saaletal", town="Rudolstadt")
    return centre, user


def _backup(runner, path, *args):
    return runner.invoke(args=["db", "backup", str(path), *args])


def _restore(runner, path, *args, **kwargs):
    return runner.invoke(args=["db", "restore", str(path), *args], **kwargs)


def test_backup_then_restore_brings_back_changed_and_deleted_rows(app, runner, client, tmp_path):
    centre, user = _seed()
    before = _snapshot()
    path = tmp_path / "thekiz.backup"

    result = _backup(runner, path)
    assert result.exit_code == 0, result.output
    assert f"Backed up {ops.describe(app.config['DATABASE_URL'])} to {path}" in result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # personal data: owner only
    assert not list(tmp_path.glob(".*partial"))

    with _connected():
        Centre.update(name="Umbenannt").where(Centre.id == centre.id).execute()
        User.delete().where(User.id == user.id).execute()
        make_centre(name="ThEKiZ Neu", slug="neu")
    assert _snapshot() != before

    result = _restore(runner, path, "--yes")
    assert result.exit_code == 0, result.output
    assert f"Restored {ops.describe(app.config['DATABASE_URL'])} from {path}" in result.output
    assert "flask db upgrade" in result.output

    assert _snapshot() == before
    page = client.get("/").get_data(as_text=True)
    assert "ThEKiZ Regenbogenhaus" in page
    assert "Umbenannt" not in page and "ThEKiZ Neu" not in page
    # Sequences came back too: new rows do not collide with restored ones.
    with _connected():
        assert make_centre(slug="nach-restore").id > centre.id


def test_backup_taken_during_an_open_write_sees_only_committed_rows(app, runner, tmp_path):
    _seed()
    committed = _snapshot()
    path = tmp_path / "online.backup"
    with _connected(), db.atomic():
        make_centre(name="ThEKiZ Halbfertig", slug="halbfertig")
        # The app keeps writing in another connection: the backup neither waits nor sees it.
        result = _backup(runner, path)
        assert result.exit_code == 0, result.output
    assert "halbfertig" in {slug for slug, _ in _snapshot()["centres"]}

    assert _restore(runner, path, "--yes").exit_code == 0
    assert _snapshot() == committed


def test_restore_refuses_while_another_connection_is_open(app, runner, tmp_path, monkeypatch):
    monkeypatch.setattr(ops, "IN_USE_WAIT_SECONDS", 0.2)
    _seed()
    path = tmp_path / "busy.backup"
    assert _backup(runner, path).exit_code == 0
    with _connected():
        make_centre(slug="nach-dem-backup")
        after_backup = _snapshot()
        db.execute_sql("SELECT 1")  # this connection stays open, like a running app's

        result = _restore(runner, path, "--yes")
        assert result.exit_code == 1
        assert "Stop the web server and the job consumer first" in result.output
        assert _snapshot() == after_backup

        # --force restores anyway (an idle connection holds no lock that blocks it).
        result = _restore(runner, path, "--yes", "--force")
        assert result.exit_code == 0, result.output
        assert "Restored" in result.output
    assert "nach-dem-backup" not in {slug for slug, _ in _snapshot()["centres"]}


def test_restore_asks_first_and_a_no_changes_nothing(app, runner, tmp_path):
    _seed()
    path = tmp_path / "ask.backup"
    assert _backup(runner, path).exit_code == 0
    with _connected():
        make_centre(slug="bleibt")
    before = _snapshot()

    result = _restore(runner, path, input="n\n")
    assert "Replace all data in the" in result.output
    assert result.exit_code == 1  # click's "Aborted!"
    assert _snapshot() == before

    result = _restore(runner, path, input="y\n")
    assert result.exit_code == 0, result.output
    assert "bleibt" not in {slug for slug, _ in _snapshot()["centres"]}


def test_backup_refuses_bad_paths(app, runner, tmp_path):
    _seed()
    missing_dir = tmp_path / "nowhere" / "x.backup"
    result = _backup(runner, missing_dir)
    assert result.exit_code == 1
    assert f"Directory {missing_dir.parent} does not exist." in result.output
    assert not missing_dir.parent.exists()

    result = _backup(runner, tmp_path)
    assert result.exit_code == 1
    assert "is a directory" in result.output

    existing = tmp_path / "existing.backup"
    existing.write_bytes(b"keep me")
    result = _backup(runner, existing)
    assert result.exit_code == 1
    assert "exists already" in result.output and "--overwrite" in result.output
    assert existing.read_bytes() == b"keep me"

    result = _backup(runner, existing, "--overwrite")
    assert result.exit_code == 0, result.output
    assert existing.read_bytes() != b"keep me"
    ops.check_backup(app.config["DATABASE_URL"], existing)


def _sqlite_file(path, with_history: bool = True):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE something (x)")
        if with_history:
            conn.execute(f"CREATE TABLE {ops.HISTORY_TABLE} (name)")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No backup at"),
        ("directory", "is not a file"),
        (b"", "neither a SQLite backup nor a PostgreSQL dump"),
        (b"hello\r\n\x00\xff", "neither a SQLite backup nor a PostgreSQL dump"),
    ],
    ids=["missing", "directory", "empty", "binary-junk"],
)
def test_restore_refuses_what_is_no_backup(app, runner, tmp_path, content, message):
    _seed()
    before = _snapshot()
    path = tmp_path / "candidate"
    if content == "directory":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    result = _restore(runner, path, "--yes")
    assert result.exit_code == 1
    assert f"Error: {path}" in result.output or f"Error: No backup at {path}" in result.output
    assert message in result.output
    assert "Replace all data" not in result.output  # refused before asking
    assert _snapshot() == before


def test_restore_refuses_the_other_backends_backup(app, runner, tmp_path, backend):
    _seed()
    before = _snapshot()
    if backend == "sqlite":
        path = tmp_path / "dump.pgdump"
        path.write_bytes(ops.PGDUMP_MAGIC + b"\x01\x0e\x00" + b"\x00" * 100)
        expected = "is a PostgreSQL dump, but DATABASE_URL is SQLite"
    else:
        path = _sqlite_file(tmp_path / "copy.sqlite3")
        expected = "is a SQLite backup, but DATABASE_URL is PostgreSQL"
    result = _restore(runner, path, "--yes")
    assert result.exit_code == 1
    assert expected in result.output
    assert _snapshot() == before


def test_sqlite_restore_refuses_a_foreign_or_broken_sqlite_file(tmp_path):
    target = tmp_path / "app.db"
    url = f"sqlite:///{target}"
    foreign = _sqlite_file(tmp_path / "other-app.sqlite3", with_history=False)
    with pytest.raises(ops.OpsError, match="is a SQLite database, but not a backup of this app"):
        ops.restore(url, foreign)
    header_only = tmp_path / "header-only.sqlite3"
    header_only.write_bytes(ops.SQLITE_MAGIC + b"\x00" * 50)
    with pytest.raises(ops.OpsError, match="is not a readable SQLite database"):
        ops.restore(url, header_only)
    assert not target.exists()


def test_restore_of_a_damaged_backup_changes_nothing(app, runner, tmp_path, backend):
    _seed()
    path = tmp_path / "good.backup"
    assert _backup(runner, path).exit_code == 0
    with _connected():
        make_centre(slug="nach-dem-backup")
    before = _snapshot()

    damaged = tmp_path / "damaged.backup"
    data = path.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    result = _restore(runner, damaged, "--yes")
    assert result.exit_code == 1
    if backend == "postgres":
        assert "pg_restore failed" in result.output  # --single-transaction: all or nothing
    else:
        assert "is not a readable SQLite database" in result.output
    assert _snapshot() == before


def test_in_memory_sqlite_cannot_be_backed_up(tmp_path):
    with pytest.raises(ops.OpsError, match="in-memory"):
        ops.backup("sqlite:///:memory:", tmp_path / "x.backup")
    with pytest.raises(ops.OpsError, match="does not exist"):
        ops.backup(f"sqlite:///{tmp_path}/missing.db", tmp_path / "x.backup")
    assert list(tmp_path.iterdir()) == []  # no backup, no partial file


def test_postgres_password_travels_in_the_environment_only(tmp_path, monkeypatch):
    calls = []

    class Done:
        returncode = 0
        stderr = ""

    def fake_run(args, env, **kwargs):
        calls.append((args, env))
        return Done()

    monkeypatch.setattr(ops.subprocess, "run", fake_run)
    monkeypatch.setattr(ops.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    url = "postgresql://thekiz:s%C3%A9cret%27pw@db.example:6543/thekiz?sslmode=require"
    result = ops.backup(url, tmp_path / "x.pgdump")

    args, env = calls[0]
    assert env["PGPASSWORD"] == "sécret'pw"
    assert not any("cret" in a for a in args)
    assert args[:2] == ["/usr/bin/pg_dump", "--no-password"]
    assert args[2:8] == ["--host", "db.example", "--port", "6543", "--username", "thekiz"]
    assert args[args.index("--dbname") + 1] == "dbname='thekiz' sslmode='require'"
    assert "--format=custom" in args
    assert "cret" not in result.summary()
    assert result.summary().startswith("Backed up PostgreSQL database thekiz on db.example:6543")


def test_missing_postgres_client_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(ops.shutil, "which", lambda tool: None)
    with pytest.raises(ops.OpsError, match="pg_dump is not installed"):
        ops.backup("postgresql://postgres@127.0.0.1/x", tmp_path / "x.pgdump")
    assert list(tmp_path.iterdir()) == []


def test_describe_never_shows_the_password():
    text = ops.describe("postgresql://app:hunter2@10.0.0.5/thekiz")
    assert text == "PostgreSQL database thekiz on 10.0.0.5:5432"
    assert make_database("sqlite:////srv/x.db").database in ops.describe("sqlite:////srv/x.db")
