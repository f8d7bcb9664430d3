"""timeout= of the dbd strategy on PostgreSQL: a table lock held by
someone else, or a server that is stopped (SIGSTOP: its kernel still
acknowledges what is sent, nothing answers), makes protected requests,
logins and logouts fail with 503 within the bound, never hang; workers
come free, so locations that need no database keep answering; and it all
recovers by itself."""

import concurrent.futures
import re
import threading
import time

import psycopg2
import pytest

from dbd_helpers import (ALIASES, PASSWORD, assert_503, backend, login,
                         users_file)
from harness import session
from pg_server import PgServer
from wait import wait_until

TIMEOUT_MS = 500
GRACE = 0.25                    # sql_pgsql.c: the client side's margin
CONNECT = 2.0                   # PGCONNECT_TIMEOUT: at least 2 s
SLACK = 0.5                     # scheduling on a loaded test machine


@pytest.fixture(scope="module")
def pg():
    server = PgServer().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def node(httpd_factory, pg):
    conf = ('DBDriver pgsql\nDBDParams "%s"\n' % pg.dbd_params()
            + backend("lk", "table=locktokens create-table=on timeout=%d"
                      % TIMEOUT_MS)
            + ALIASES)
    h = httpd_factory(conf, start=False, modules=["dbd"])
    h.write("users", users_file("alice"))
    return h.start()


def call(node, method, path, token=None, **kw):
    """Without the bound a request would wait for ever: 20 s is a
    failure."""
    headers = {"Authorization": "Bearer " + token} if token else {}
    return session().request(method, node.url(path), headers=headers,
                             timeout=20, **kw)


def get(node, path, token):
    return call(node, "GET", path, token)


def logout(node, name, token):
    return call(node, "POST", "/%s/logout" % name, token)


def whoami(node, name, token):
    r = get(node, "/%s/env" % name, token)
    if r.status_code != 200:
        return r.status_code
    return dict(line.split("=", 1) for line in r.text.splitlines()
                if line)["REMOTE_USER"]


def timed(fn, *args):
    started = time.monotonic()
    r = fn(*args)
    return r, time.monotonic() - started


def test_a_locked_table_is_503_within_the_timeout(node, pg):
    token = login(node, "lk", "alice")
    assert whoami(node, "lk", token) == "alice"
    mark = node.log_mark()
    locker = psycopg2.connect(**pg.connect_args())
    try:
        with locker.cursor() as cur:
            cur.execute("LOCK TABLE locktokens IN ACCESS EXCLUSIVE MODE")
        for what, attempt in (
                ("request", lambda: get(node, "/lk/api/index.html", token)),
                ("logout", lambda: logout(node, "lk", token)),
                ("login", lambda: call(
                    node, "POST", "/lk/login",
                    data={"username": "alice", "password": PASSWORD}))):
            r, took = timed(attempt)
            assert_503(r)
            assert took < TIMEOUT_MS / 1000 + GRACE + SLACK, (what, took)
        log = node.log_since(mark, wait_for="canceling statement")
        # lock_timeout and statement_timeout are both timeout=
        assert re.search(r"backend 'lk': the pgsql database failed the "
                         r"select statement: ERROR:  canceling statement due "
                         r"to (lock|statement) timeout", log), log
    finally:
        locker.rollback()
        locker.close()
    # PostgreSQL cancelled the statements itself: the connections are good
    assert whoami(node, "lk", token) == "alice"
    assert logout(node, "lk", token).status_code == 204
    assert get(node, "/lk/api/index.html", token).status_code == 401


def test_a_stopped_server_is_503_within_the_bound(node, pg):
    token = login(node, "lk", "alice")
    assert whoami(node, "lk", token) == "alice"
    mark = node.log_mark()
    pg.freeze()
    try:
        seen = []
        for i in range(4):
            r, took = timed(get, node, "/lk/api/index.html", token)
            seen.append((r.status_code, round(took, 2)))
            assert_503(r)
            # a pooled connection: the statement's bound; a new one (the
            # dropped connection is made again): connect_timeout's
            assert took < max(TIMEOUT_MS / 1000 + GRACE, CONNECT) + SLACK, \
                seen
        r, took = timed(logout, node, "lk", token)
        assert_503(r)
        assert took < max(TIMEOUT_MS / 1000 + GRACE, CONNECT) + SLACK, took
        assert "the pgsql database failed the select statement: no answer " \
               "within 750 ms; the connection is dropped" \
            in node.log_since(mark)
    finally:
        pg.thaw()
    wait_until(lambda: whoami(node, "lk", token) == "alice", 10, 0.2,
               "the database to answer again")
    assert logout(node, "lk", token).status_code == 204


def test_open_pages_keep_answering_while_the_database_is_frozen(node, pg):
    """More clients than workers (16) hammer protected URLs of a frozen
    database: each gets its 503, and a page that needs no database keeps
    answering all along."""
    token = login(node, "lk", "alice")
    stop = threading.Event()
    codes = []

    def hammer():
        s = session()
        while not stop.is_set():
            r = s.get(node.url("/lk/api/index.html"),
                      headers={"Authorization": "Bearer " + token},
                      timeout=20)
            codes.append(r.status_code)

    pg.freeze()
    try:
        with concurrent.futures.ThreadPoolExecutor(24) as pool:
            futures = [pool.submit(hammer) for _ in range(24)]
            try:
                time.sleep(1)
                waits = []
                for _ in range(8):
                    r, took = timed(lambda: session().get(
                        node.url("/index.html"), timeout=20))
                    assert r.status_code == 200
                    waits.append(round(took, 2))
                    time.sleep(0.2)
                # a worker comes free within one bound at most
                assert max(waits) < CONNECT + TIMEOUT_MS / 1000 + SLACK, \
                    waits
            finally:
                stop.set()
                for f in futures:
                    f.result()
        assert codes and set(codes) == {503}, set(codes)
    finally:
        pg.thaw()
    wait_until(lambda: whoami(node, "lk", token) == "alice", 10, 0.2,
               "the database to answer again")
