"""The dbd strategy over a real SQLite file (DBDriver sqlite3): login, use
and logout; the lifetime; custom tables and statements; create-table; the
purge; rows shared with fastapi-users; injection-shaped input; faults."""

import os
import re
import sqlite3
import time
import uuid

import pytest

from dbd_helpers import (ALIASES, SQLITE_TIME_RE, WWW, ago, assert_401,
                         assert_503, backend, get, give_to_www, login, logout,
                         make_db_dir, new_token, sqlite_time, users_file,
                         utcnow, whoami)
from harness import session
from wait import wait_until

ALICE = "alice"
APP_USER = str(uuid.UUID("5b2d8f4e-7c1a-4e0b-9f3d-2a6c8e1b4d70"))
EVIL = "x'); DROP TABLE accesstoken; --"

# fastapi-users' tables as SQLAlchemy creates them on SQLite
# (SQLAlchemyBaseUserTableUUID, SQLAlchemyBaseAccessTokenTableUUID)
FASTAPI_USERS_SCHEMA = """
CREATE TABLE user (id CHAR(36) NOT NULL, email VARCHAR(320) NOT NULL,
    hashed_password VARCHAR(1024) NOT NULL, is_active BOOLEAN NOT NULL,
    is_superuser BOOLEAN NOT NULL, is_verified BOOLEAN NOT NULL,
    PRIMARY KEY (id));
CREATE UNIQUE INDEX ix_user_email ON user (email);
CREATE TABLE accesstoken (token VARCHAR(43) NOT NULL,
    created_at TIMESTAMP NOT NULL, user_id CHAR(36) NOT NULL,
    PRIMARY KEY (token),
    FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE cascade);
CREATE INDEX ix_accesstoken_created_at ON accesstoken (created_at);
"""

# another application's schema, reached with custom statements
SESSIONS_SCHEMA = """
CREATE TABLE sessions (sid TEXT PRIMARY KEY, login TEXT NOT NULL,
    issued TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
"""
CUSTOM = ('"select=SELECT login FROM sessions WHERE sid = %s AND issued >= '
          '%s AND revoked = 0" "insert=INSERT INTO sessions (sid, login, '
          'issued) VALUES (%s, %s, %s)" "delete=UPDATE sessions SET revoked '
          '= 1 WHERE sid = %s"')

@pytest.fixture(scope="module")
def server(httpd_factory):
    conf = ('DBDriver sqlite3\nDBDParams "@ROOT@/db/app.sqlite"\n'
            + backend("db", "create-table=on lifetime=60")
            + backend("fresh", "table=freshtokens create-table=on")
            + backend("custom", CUSTOM)
            + backend("short", "table=shorttokens create-table=on "
                      "lifetime=2")
            + backend("fault", "table=faulttokens create-table=on")
            + ALIASES)
    h = httpd_factory(conf, start=False, modules=["dbd"])
    h.write("users", users_file(ALICE, APP_USER, EVIL, "bob"))
    make_db_dir(h)
    db = sqlite3.connect(h.path("db/app.sqlite"))
    db.executescript(FASTAPI_USERS_SCHEMA + SESSIONS_SCHEMA)
    db.execute("INSERT INTO user VALUES (?, ?, ?, 1, 0, 1)",
               (APP_USER, "app@example.com", "x"))
    db.commit()
    db.close()
    give_to_www(h.path("db/app.sqlite"))
    h.db = lambda: sqlite3.connect(h.path("db/app.sqlite"), timeout=10)
    return h.start()


def rows(h, table, where="1", args=()):
    db = h.db()
    try:
        return db.execute("SELECT * FROM %s WHERE %s" % (table, where),
                          args).fetchall()
    finally:
        db.close()


def execute(h, sql, args=()):
    db = h.db()
    try:
        db.execute(sql, args)
        db.commit()
    finally:
        db.close()


# ---- login, use, logout -------------------------------------------------------


def test_login_use_logout(server):
    token = login(server, "db", ALICE)
    (row,) = rows(server, "accesstoken", "token = ?", (token,))
    assert row[2] == ALICE
    assert whoami(server, "db", token) == ALICE
    r = get(server, "/db/api/data.json", token)
    assert r.status_code == 200 and r.json() == {"ok": True}

    r = logout(server, "db", token)
    assert r.status_code == 204 and r.text == ""
    assert rows(server, "accesstoken", "token = ?", (token,)) == []
    assert_401(get(server, "/db/api/data.json", token))
    assert_401(logout(server, "db", token))


def test_no_token_and_unknown_token(server):
    assert_401(session().get(server.url("/db/api/data.json")), refused=False)
    assert_401(get(server, "/db/api/data.json", new_token()))


def test_each_login_is_a_new_row(server):
    t1, t2 = login(server, "db", ALICE), login(server, "db", ALICE)
    assert t1 != t2
    logout(server, "db", t1)
    assert whoami(server, "db", t2) == ALICE
    assert_401(get(server, "/db/api/data.json", t1))


# ---- the lifetime -----------------------------------------------------------------


def test_lifetime_boundary(server):
    # lifetime=60: valid while created_at >= now - 60 s
    inside, outside = new_token(), new_token()
    execute(server, "INSERT INTO accesstoken VALUES (?, ?, ?)",
            (inside, sqlite_time(ago(55)), APP_USER))
    execute(server, "INSERT INTO accesstoken VALUES (?, ?, ?)",
            (outside, sqlite_time(ago(65)), APP_USER))
    assert whoami(server, "db", inside) == APP_USER
    assert_401(get(server, "/db/api/data.json", outside))


def test_token_expires_after_its_lifetime(server):
    token = login(server, "short", ALICE)           # lifetime=2
    assert whoami(server, "short", token) == ALICE
    time.sleep(2.5)             # deliberate time passing: past lifetime=2
    assert_401(get(server, "/short/api/data.json", token))
    # the row is still there: only the purge deletes it
    assert rows(server, "shorttokens", "token = ?", (token,))


# ---- fastapi-users interoperability ----------------------------------------------


def test_rows_written_by_fastapi_users_are_accepted(server):
    # what SQLAlchemyAccessTokenDatabase.create() stores on SQLite
    token = new_token()
    execute(server, "INSERT INTO accesstoken (token, created_at, user_id) "
            "VALUES (?, ?, ?)", (token, sqlite_time(utcnow()), APP_USER))
    assert whoami(server, "db", token) == APP_USER
    assert logout(server, "db", token).status_code == 204
    assert rows(server, "accesstoken", "token = ?", (token,)) == []


def test_rows_written_here_read_as_fastapi_users_reads_them(server):
    before = utcnow()
    token = login(server, "db", APP_USER)
    after = utcnow()
    ((tok, created_at, user_id),) = rows(server, "accesstoken", "token = ?",
                                         (token,))
    assert (tok, user_id) == (token, APP_USER)
    # SQLAlchemy's format exactly: UTC, space, six fractional digits
    assert SQLITE_TIME_RE.match(created_at), created_at
    assert sqlite_time(before)[:19] <= created_at[:19] <= sqlite_time(after)
    # SQLAlchemyAccessTokenDatabase.get_by_token(token, max_age): the
    # comparison is done on the text
    db = server.db()
    found = db.execute("SELECT user_id FROM accesstoken WHERE token = ? AND "
                       "created_at >= ?",
                       (token, sqlite_time(ago(3600)))).fetchall()
    db.close()
    assert found == [(APP_USER,)]
    uuid.UUID(user_id)      # what fastapi-users' GUID type parses back


# ---- custom table, custom statements, create-table ---------------------------------


def test_create_table_makes_the_fastapi_users_shape(server):
    db = server.db()
    cols = db.execute("PRAGMA table_info(freshtokens)").fetchall()
    idx = db.execute("PRAGMA index_list(freshtokens)").fetchall()
    db.close()
    assert [(c[1], c[2], c[3], c[5]) for c in cols] == [
        ("token", "VARCHAR(43)", 1, 1), ("created_at", "TIMESTAMP", 1, 0),
        ("user_id", "VARCHAR(1024)", 1, 0)]
    assert "ix_freshtokens_created_at" in [i[1] for i in idx]
    if WWW:     # created by a child: the file belongs to the User
        assert os.stat(server.path("db/app.sqlite")).st_uid == WWW.pw_uid


def test_custom_table(server):
    token = login(server, "fresh", "bob")
    assert rows(server, "freshtokens", "token = ?", (token,))[0][2] == "bob"
    assert rows(server, "accesstoken", "token = ?", (token,)) == []
    assert whoami(server, "fresh", token) == "bob"
    # a token of another table is unknown here
    other = login(server, "db", "bob")
    assert_401(get(server, "/fresh/api/data.json", other))
    assert logout(server, "fresh", token).status_code == 204
    assert rows(server, "freshtokens", "token = ?", (token,)) == []


def test_custom_statements(server):
    token = login(server, "custom", ALICE)
    ((sid, who, issued, revoked),) = rows(server, "sessions", "sid = ?",
                                          (token,))
    assert (sid, who, revoked) == (token, ALICE, 0)
    assert SQLITE_TIME_RE.match(issued)
    assert whoami(server, "custom", token) == ALICE
    assert logout(server, "custom", token).status_code == 204
    # the custom delete= marks the row instead of deleting it
    assert rows(server, "sessions", "sid = ?", (token,))[0][3] == 1
    assert_401(get(server, "/custom/api/data.json", token))


# ---- hostile input ---------------------------------------------------------------------

INJECTION_TOKENS = [
    "' OR '1'='1",                                  # refused by bearer
    "x' UNION SELECT 'admin' --",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA--",   # b64token, not opaque
    "A" * 42 + "B",                                  # 43 chars, spare bits
    "A" * 44,                                        # 44 chars
    "abc/def+ghi~jkl.mno",
]


@pytest.mark.parametrize("token", INJECTION_TOKENS)
def test_injection_shaped_tokens_are_refused(server, token):
    r = session().get(server.url("/db/api/data.json"),
                      headers={"Authorization": "Bearer " + token})
    assert_401(r)
    assert rows(server, "accesstoken", "1 LIMIT 1") is not None


def test_injection_shaped_user_name_is_stored_verbatim(server):
    token = login(server, "db", EVIL)
    assert rows(server, "accesstoken", "token = ?", (token,))[0][2] == EVIL
    assert whoami(server, "db", token) == EVIL
    assert logout(server, "db", token).status_code == 204
    assert rows(server, "accesstoken", "1") is not None   # still there


def test_bad_user_id_rows_are_refused(server):
    for bad in ("", "bob\nadmin", "x\x01"):
        token = new_token()
        execute(server, "INSERT INTO accesstoken VALUES (?, ?, ?)",
                (token, sqlite_time(utcnow()), bad))
        assert_401(get(server, "/db/api/data.json", token))


# ---- faults ---------------------------------------------------------------------------


def test_failing_database_is_503_then_recovers(server):
    token = login(server, "fault", ALICE)
    mark = server.log_mark()
    execute(server, "ALTER TABLE faulttokens RENAME TO faulttokens_away")
    try:
        assert_503(get(server, "/fault/api/data.json", token))
        assert_503(logout(server, "fault", token))
        r = session().post(server.url("/fault/login"),
                           data={"username": ALICE, "password": "x" * 3})
        assert r.status_code == 400          # the password check comes first
        log = server.log_since(mark, "no such table")
        assert re.search(r"backend 'fault': the sqlite3 database failed the "
                         r"select statement: .*no such table: faulttokens", log)
        assert token not in log
    finally:
        execute(server, "ALTER TABLE faulttokens_away RENAME TO faulttokens")
    # the same pooled connections recover by themselves
    assert whoami(server, "fault", token) == ALICE


def test_schema_change_does_not_break_pooled_connections(server):
    token = login(server, "db", ALICE)
    mark = server.log_mark()
    execute(server, "CREATE TABLE IF NOT EXISTS migration_%d (x INTEGER)"
            % int(time.time() * 1000))
    assert whoami(server, "db", token) == ALICE
    assert "prepared the select statement again" in server.log_since(
        mark, "again")


# ---- the purge ----------------------------------------------------------------------


def test_purge_runs_in_one_process(httpd_factory):
    # two child processes; the purge is a singleton watchdog callback
    conf = ('DBDriver sqlite3\nDBDParams "@ROOT@/db/purge.sqlite"\n'
            + backend("purged", "table=purgetokens create-table=on "
                      "lifetime=60 purge-interval=1")
            + ALIASES + "ServerLimit 2\nStartServers 2\nMinSpareThreads 32\n"
            "MaxRequestWorkers 32\n")
    h = httpd_factory(conf, start=False, modules=["dbd"],
                      loglevel="info auth_backend:debug")
    h.write("users", users_file(ALICE))
    make_db_dir(h)
    h.start()
    h.db = lambda: sqlite3.connect(h.path("db/purge.sqlite"), timeout=10)
    valid = login(h, "purged", ALICE)
    expired = [new_token() for _ in range(3)]
    for t in expired:
        execute(h, "INSERT INTO purgetokens VALUES (?, ?, ?)",
                (t, sqlite_time(ago(120)), ALICE))
    wait_until(lambda: len(rows(h, "purgetokens")) <= 1, 10, 0.2,
               "the purge of the expired rows")
    assert [r[0] for r in rows(h, "purgetokens")] == [valid]
    assert whoami(h, "purged", valid) == ALICE
    # deliberate time passing: more purge intervals (purge-interval=1)
    time.sleep(2.5)
    purges = re.findall(r"\[pid (\d+):tid \d+\] .*backend 'purged': purged "
                        r"(\d+) expired tokens", h.error_log())
    assert len(purges) >= 3
    assert len({pid for pid, _ in purges}) == 1, purges
    # while both children were up (each ran create-table)
    children = set(re.findall(r"\[pid (\d+):tid \d+\] .*table "
                              r"\"purgetokens\" is there", h.error_log()))
    assert len(children) == 2, children
    assert sum(int(n) for _, n in purges) == 3
    h.stop()
