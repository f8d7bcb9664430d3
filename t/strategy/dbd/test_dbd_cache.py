"""cache= of the dbd strategy on SQLite: each child remembers what the
select said of a token for as long as the database file's header says
nothing was committed since (src/sqlite_watch.c).  It must save the queries
and change no answer: a token deleted by anyone (the module's logout,
another process, a file renamed over the database) is refused by the very
next request; an entry never outlives created_at + lifetime; a writer that
holds the file's write lock, a database in WAL mode or a created_at in
another form make it ask the database, as without cache=.

A hit is told from a query by holding SQLite's pending byte from this
process: SQLite cannot start a read then, so every query waits for its
busy timeout and ends in 503, while an answer from the cache is 200."""

import concurrent.futures
import contextlib
import fcntl
import os
import re
import shutil
import sqlite3
import time

import pytest

from dbd_helpers import (ALIASES, ago, assert_401, assert_503, backend, get,
                         give_to_www, login, logout, make_db_dir, new_token,
                         sqlite_time, users_file, utcnow, whoami)

ALICE = "alice"
PENDING_BYTE = 0x40000000
ISSUED = []                     # every token the tests used
SCHEMA = """
CREATE TABLE accesstoken (token VARCHAR(43) NOT NULL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL, user_id VARCHAR(1024) NOT NULL);
CREATE TABLE shorttokens (token VARCHAR(43) NOT NULL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL, user_id VARCHAR(1024) NOT NULL);
CREATE TABLE plaintokens (token VARCHAR(43) NOT NULL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL, user_id VARCHAR(1024) NOT NULL);
"""


def start(httpd_factory, extra="", journal=None):
    conf = ('DBDriver sqlite3\nDBDParams "@ROOT@/db/app.sqlite"\n'
            # the pool opened at startup: a connection opened while another
            # process writes fails to prepare (SQLite: database is locked)
            "DBDMin 16\nDBDKeep 16\nDBDMax 16\n"
            + backend("db", "cache=1024 lifetime=60")
            + backend("short", "table=shorttokens cache=1024 lifetime=4")
            + backend("plain", "table=plaintokens")
            + ALIASES + extra)
    h = httpd_factory(conf, start=False, modules=["dbd"])
    h.write("users", users_file(ALICE))
    make_db_dir(h)
    h.file = h.path("db/app.sqlite")
    db = sqlite3.connect(h.file)
    db.executescript(SCHEMA)
    if journal:
        db.execute("PRAGMA journal_mode=%s" % journal)
    db.commit()
    db.close()
    give_to_www(h.file)
    return h.start()


@pytest.fixture(scope="module")
def server(httpd_factory):
    return start(httpd_factory)


def execute(h, sql, args=()):
    db = sqlite3.connect(h.file, timeout=10)
    try:
        db.execute(sql, args)
        db.commit()
    finally:
        db.close()


def app_token(h, table="accesstoken", user="app-user", created=None):
    """A row as fastapi-users writes it on SQLite."""
    token = new_token()
    ISSUED.append(token)
    execute(h, "INSERT INTO %s VALUES (?, ?, ?)" % table,
            (token, created or sqlite_time(utcnow()), user))
    return token


def sign_in(h, name="db"):
    token = login(h, name, ALICE)
    ISSUED.append(token)
    return token


@contextlib.contextmanager
def reads_blocked(h):
    """Holds SQLite's pending byte, as a writer waiting for its EXCLUSIVE
    lock does: no new read transaction can start, nothing is written."""
    fd = os.open(h.file, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, PENDING_BYTE)
        yield
    finally:
        os.close(fd)            # drops the lock


def status(h, name, token):
    return get(h, "/%s/api/data.json" % name, token).status_code


def timed_status(h, name, token):
    started = time.monotonic()
    code = status(h, name, token)
    return code, time.monotonic() - started


# ---- hits -------------------------------------------------------------------------


def test_a_known_token_is_answered_without_a_query(server):
    cached = sign_in(server)
    other = app_token(server)               # valid, never asked for
    plain = sign_in(server, "plain")
    assert status(server, "db", cached) == 200
    assert whoami(server, "db", cached) == ALICE
    with reads_blocked(server):
        for _ in range(5):
            code, took = timed_status(server, "db", cached)
            assert code == 200 and took < 1.0, (code, took)
        assert whoami(server, "db", cached) == ALICE
        # every other read must wait for the database
        assert_503(get(server, "/db/api/data.json", other))
        assert_503(get(server, "/plain/api/data.json", plain))
    assert status(server, "db", other) == 200
    assert status(server, "plain", plain) == 200


def test_the_cache_says_it_is_on(server):
    assert status(server, "db", sign_in(server)) == 200
    assert status(server, "plain", sign_in(server, "plain")) == 200
    log = server.error_log()
    assert re.search(r"backend 'db': token cache on: it follows the change "
                     r"counter of the SQLite file \(DBDParams\)", log)
    assert "plain': token cache" not in log
    assert server.file not in log


def test_an_unknown_token_is_never_cached(server):
    token = new_token()
    ISSUED.append(token)
    for _ in range(3):
        assert_401(get(server, "/db/api/data.json", token))
    execute(server, "INSERT INTO accesstoken VALUES (?, ?, ?)",
            (token, sqlite_time(utcnow()), "late-user"))
    assert whoami(server, "db", token) == "late-user"


# ---- revocation -------------------------------------------------------------------


def test_a_logout_through_the_module_is_refused_at_once(server):
    for _ in range(10):
        token = sign_in(server)
        assert status(server, "db", token) == 200
        assert status(server, "db", token) == 200
        assert logout(server, "db", token).status_code == 204
        assert_401(get(server, "/db/api/data.json", token))


def test_a_delete_by_another_process_is_refused_at_once(server):
    keep = app_token(server, user="keeper")
    for i in range(20):
        token = app_token(server, user="u%d" % i)
        assert status(server, "db", token) == 200
        assert status(server, "db", keep) == 200
        execute(server, "DELETE FROM accesstoken WHERE token = ?", (token,))
        assert_401(get(server, "/db/api/data.json", token))
        assert whoami(server, "db", keep) == "keeper"


@pytest.mark.parametrize("journal", ["DELETE", "TRUNCATE", "PERSIST",
                                     "MEMORY", "OFF"])
def test_every_rollback_journal_mode_of_the_writer_is_followed(server,
                                                                journal):
    # the journal mode is the writing connection's own choice
    token = app_token(server, user="j")
    assert status(server, "db", token) == 200
    assert status(server, "db", token) == 200
    db = sqlite3.connect(server.file, timeout=10)
    try:
        mode = db.execute("PRAGMA journal_mode=%s" % journal).fetchone()[0]
        assert mode.upper() == journal
        db.execute("DELETE FROM accesstoken WHERE token = ?", (token,))
        db.commit()
    finally:
        db.close()
    assert_401(get(server, "/db/api/data.json", token))


def test_an_exclusive_mode_writer_is_followed(server):
    # locking_mode=EXCLUSIVE: the first transaction changes the header,
    # the later ones do not while the lock is kept
    token = app_token(server, user="x")
    assert status(server, "db", token) == 200
    assert status(server, "db", token) == 200
    db = sqlite3.connect(server.file, timeout=10, isolation_level=None)
    try:
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        db.execute("INSERT INTO plaintokens VALUES (?, ?, ?)",
                   (new_token(), sqlite_time(utcnow()), "first"))
        assert_503(get(server, "/db/api/data.json", token))  # locked out
        assert status(server, "db", token) == 503
        db.execute("DELETE FROM accesstoken WHERE token = ?", (token,))
        assert status(server, "db", token) == 503
    finally:
        db.close()
    assert_401(get(server, "/db/api/data.json", token))


def test_any_committed_change_is_seen_at_once(server):
    token = app_token(server, user="first")
    assert whoami(server, "db", token) == "first"
    execute(server, "UPDATE accesstoken SET user_id = 'second' WHERE "
            "token = ?", (token,))
    assert whoami(server, "db", token) == "second"
    # pushed back past the lifetime by the application
    execute(server, "UPDATE accesstoken SET created_at = ? WHERE token = ?",
            (sqlite_time(ago(120)), token))
    assert_401(get(server, "/db/api/data.json", token))


def test_many_threads_and_deletes_never_see_a_deleted_token(server):
    def one(i):
        token = app_token(server, user="t%d" % i)
        for _ in range(4):
            assert status(server, "db", token) == 200
        execute(server, "DELETE FROM accesstoken WHERE token = ?", (token,))
        return status(server, "db", token)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(one, range(60)))
    assert codes == [401] * 60


def test_a_writer_holding_the_write_lock_stops_the_cache(server):
    # locking_mode=EXCLUSIVE writers count only the first transaction of
    # the lock they keep; while another process holds it, nothing is
    # answered from the cache, as nothing could be read without it
    token = sign_in(server)
    assert status(server, "db", token) == 200
    db = sqlite3.connect(server.file, isolation_level=None)
    try:
        db.execute("BEGIN EXCLUSIVE")
        assert_503(get(server, "/db/api/data.json", token))
        db.execute("ROLLBACK")
    finally:
        db.close()
    assert status(server, "db", token) == 200


# ---- the lifetime -----------------------------------------------------------------


def test_an_entry_never_outlives_created_at_plus_lifetime(server):
    # lifetime=4; the row has 2 s left
    token = app_token(server, table="shorttokens",
                      created=sqlite_time(ago(2)))
    assert status(server, "short", token) == 200
    with reads_blocked(server):
        code, took = timed_status(server, "short", token)
        assert code == 200 and took < 1.0, (code, took)     # from the cache
        time.sleep(2.2)         # deliberate time passing: past lifetime
        # expired: not from the cache, and the database is busy
        assert status(server, "short", token) == 503
    assert_401(get(server, "/short/api/data.json", token))


def test_a_login_token_expires_on_time(server):
    token = sign_in(server, "short")
    # deliberate time passing: served through its lifetime, refused after
    deadline = time.time() + 3.6
    while time.time() < deadline:
        assert status(server, "short", token) == 200
        time.sleep(0.2)
    time.sleep(0.6)
    assert_401(get(server, "/short/api/data.json", token))


def test_a_created_at_in_another_form_is_looked_up_each_time(server):
    # valid for SQLite's text comparison, but not the exact text whose
    # order matches the instants: never cached
    for created in (sqlite_time(utcnow()).replace(" ", "T"),
                    sqlite_time(utcnow())[:-3],
                    sqlite_time(utcnow()) + "+00:00"):
        token = app_token(server, created=created)
        assert status(server, "db", token) == 200
        with reads_blocked(server):
            assert status(server, "db", token) == 503, created


# ---- files the header cannot follow -------------------------------------------------


def test_wal_mode_turns_the_cache_off(httpd_factory):
    h = start(httpd_factory, journal="WAL")
    token = sign_in(h)
    mark = h.log_mark()
    for _ in range(3):
        assert status(h, "db", token) == 200
    execute(h, "DELETE FROM accesstoken WHERE token = ?", (token,))
    assert_401(get(h, "/db/api/data.json", token))
    log = h.log_since(mark, "WAL mode")
    assert "backend 'db': token cache unused: the SQLite file (DBDParams) " \
           "cannot be followed, it is in WAL mode" in log


def test_a_file_renamed_over_the_database_is_followed(httpd_factory):
    # DBDPersist Off: mod_dbd opens the path for every request, so after
    # the rename the queries read the new file, and so must the cache
    h = start(httpd_factory, extra="DBDPersist Off\n")
    gone, kept = sign_in(h), sign_in(h)
    for t in (gone, kept):
        assert status(h, "db", t) == 200
        assert status(h, "db", t) == 200
    new = h.path("db/new.sqlite")
    src, dst = sqlite3.connect(h.file), sqlite3.connect(new)
    src.backup(dst)
    src.close()
    dst.execute("DELETE FROM accesstoken WHERE token = ?", (gone,))
    dst.commit()
    dst.close()
    give_to_www(new)
    os.rename(new, h.file)
    assert_401(get(h, "/db/api/data.json", gone))
    assert status(h, "db", kept) == 200
    with reads_blocked(h):
        assert status(h, "db", kept) == 200      # cached from the new file


def test_a_deleted_database_file_is_503_not_a_cached_200(httpd_factory):
    h = start(httpd_factory, extra="DBDPersist Off\n")
    token = sign_in(h)
    assert status(h, "db", token) == 200
    mark = h.log_mark()
    shutil.move(h.file, h.file + ".away")
    try:
        # mod_dbd opens the missing path: SQLite makes an empty file,
        # where the statements cannot be prepared
        assert_503(get(h, "/db/api/data.json", token))
        log = h.log_since(mark, "cannot be followed")
        assert "token cache unused: the SQLite file (DBDParams) cannot be " \
               "followed, the database file does not exist" in log
    finally:
        shutil.move(h.file + ".away", h.file)
    assert status(h, "db", token) == 200
    # followed again, and said so
    assert "backend 'db': token cache on" in h.log_since(mark, "cache on")
    with reads_blocked(h):
        assert status(h, "db", token) == 200


def test_tokens_never_reach_the_log(server):
    log = server.error_log()
    assert len(ISSUED) > 100
    assert not [t for t in ISSUED if t in log]
