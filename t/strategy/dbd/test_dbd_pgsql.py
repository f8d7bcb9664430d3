"""The dbd strategy over a real PostgreSQL 15 (DBDriver pgsql) whose
TimeZone is not UTC: fastapi-users' schema (uuid user_id, timestamptz
created_at, FK to "user"), create-table, custom statements, the purge,
an outage (503, then recovery without restarting httpd) and two httpd
instances sharing one database."""

import uuid

import pytest

from dbd_helpers import (ALIASES, ago, assert_401, assert_503, backend, get,
                         login, logout, new_token, users_file, utcnow,
                         whoami)
from harness import session
from pg_server import TIMEZONE, PgServer
from wait import wait_until

APP_USER = str(uuid.UUID("0c7e6b1a-9d2f-4f3e-8a41-5e2b7d9c1f06"))
OTHER_USER = str(uuid.UUID("9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"))

# fastapi-users' tables as SQLAlchemy creates them on PostgreSQL
FASTAPI_USERS_SCHEMA = """
CREATE TABLE "user" (id uuid NOT NULL PRIMARY KEY,
    email varchar(320) NOT NULL, hashed_password varchar(1024) NOT NULL,
    is_active boolean NOT NULL, is_superuser boolean NOT NULL,
    is_verified boolean NOT NULL);
CREATE TABLE accesstoken (token varchar(43) NOT NULL PRIMARY KEY,
    created_at timestamp with time zone NOT NULL,
    user_id uuid NOT NULL REFERENCES "user"(id) ON DELETE CASCADE);
CREATE INDEX ix_accesstoken_created_at ON accesstoken (created_at);
CREATE TABLE sessions (sid text PRIMARY KEY, login text NOT NULL,
    issued timestamptz NOT NULL);
"""
CUSTOM = ('"select=SELECT login FROM sessions WHERE sid = %s AND issued >= '
          '%pDz" "insert=INSERT INTO sessions (sid, login, issued) VALUES '
          '(%s, %s, %pDz)" "delete=DELETE FROM sessions WHERE sid = %s"')


@pytest.fixture(scope="module")
def pg():
    server = PgServer().start()
    server.sql(FASTAPI_USERS_SCHEMA)
    for u in (APP_USER, OTHER_USER):
        server.sql('INSERT INTO "user" VALUES (%s, %s, %s, true, false, '
                   'true)', (u, u + "@example.com", "x"))
    yield server
    server.cleanup()


def conf(pg, *backends):
    return ('DBDriver pgsql\nDBDParams "%s"\n' % pg.dbd_params()
            + "".join(backends) + ALIASES)


def start(httpd_factory, pg, *backends):
    h = httpd_factory(conf(pg, *backends), start=False, modules=["dbd"])
    h.write("users", users_file(APP_USER, OTHER_USER, "bob"))
    return h.start()


@pytest.fixture(scope="module")
def server(httpd_factory, pg):
    return start(httpd_factory, pg,
                 backend("db", "lifetime=3600"),
                 backend("fresh", "table=freshtokens create-table=on"),
                 backend("custom", CUSTOM))


def insert_like_fastapi_users(pg, token, user, created_at):
    # psycopg2 sends the aware datetime with its offset, as SQLAlchemy does
    pg.sql("INSERT INTO accesstoken (token, created_at, user_id) VALUES "
           "(%s, %s, %s)", (token, created_at, user))


def test_server_time_zone_is_not_utc(pg):
    assert pg.sql("SHOW TimeZone") == [(TIMEZONE,)]
    assert pg.sql("SELECT extract(timezone FROM now())")[0][0] != 0


def test_login_use_logout(server, pg):
    before = utcnow()
    token = login(server, "db", APP_USER)
    after = utcnow()
    ((created_at, user_id),) = pg.sql("SELECT created_at, user_id::text FROM "
                                      "accesstoken WHERE token = %s",
                                      (token,))
    assert user_id == APP_USER
    # the instant is right although the server's TimeZone is not UTC
    assert before.replace(microsecond=0) <= created_at <= after, \
        (before, created_at, after)
    assert whoami(server, "db", token) == APP_USER
    r = logout(server, "db", token)
    assert r.status_code == 204
    assert pg.sql("SELECT 1 FROM accesstoken WHERE token = %s",
                  (token,)) == []
    assert_401(get(server, "/db/api/data.json", token))


def test_lifetime_boundary(server, pg):
    inside, outside = new_token(), new_token()
    insert_like_fastapi_users(pg, inside, APP_USER, ago(3600 - 10))
    insert_like_fastapi_users(pg, outside, APP_USER, ago(3600 + 10))
    assert whoami(server, "db", inside) == APP_USER
    assert_401(get(server, "/db/api/data.json", outside))


def test_rows_written_by_fastapi_users_are_accepted(server, pg):
    token = new_token()
    insert_like_fastapi_users(pg, token, OTHER_USER, utcnow())
    assert whoami(server, "db", token) == OTHER_USER
    assert logout(server, "db", token).status_code == 204


def test_rows_written_here_read_as_fastapi_users_reads_them(server, pg):
    token = login(server, "db", OTHER_USER)
    # SQLAlchemyAccessTokenDatabase.get_by_token(token, max_age=now - 3600)
    rows = pg.sql("SELECT token, created_at, user_id FROM accesstoken "
                  "WHERE token = %s AND created_at >= %s",
                  (token, ago(3600)))
    assert len(rows) == 1
    assert rows[0][2] == OTHER_USER      # psycopg2 reads uuid as text
    assert abs((rows[0][1] - utcnow()).total_seconds()) < 30
    # ON DELETE CASCADE from the user removes it, as in the application
    assert pg.sql('SELECT count(*) FROM accesstoken a JOIN "user" u ON '
                  'u.id = a.user_id WHERE a.token = %s', (token,)) == [(1,)]


def test_login_name_that_is_not_a_uuid_cannot_be_stored(server):
    # fastapi-users' user_id is a uuid: the insert fails, nothing is issued
    r = session().post(server.url("/db/login"),
                       data={"username": "bob", "password": "dbd-Pa55word"})
    assert_503(r)


def test_create_table(server, pg):
    cols = pg.sql("SELECT column_name, data_type, is_nullable FROM "
                  "information_schema.columns WHERE table_name = "
                  "'freshtokens' ORDER BY ordinal_position")
    assert cols == [("token", "character varying", "NO"),
                    ("created_at", "timestamp with time zone", "NO"),
                    ("user_id", "character varying", "NO")]
    assert pg.sql("SELECT 1 FROM pg_indexes WHERE indexname = "
                  "'ix_freshtokens_created_at'") == [(1,)]
    token = login(server, "fresh", "bob")
    assert whoami(server, "fresh", token) == "bob"
    assert pg.sql("SELECT user_id FROM freshtokens WHERE token = %s",
                  (token,)) == [("bob",)]


def test_custom_statements(server, pg):
    token = login(server, "custom", "bob")
    ((login_name, issued),) = pg.sql("SELECT login, issued FROM sessions "
                                     "WHERE sid = %s", (token,))
    assert login_name == "bob"
    assert abs((issued - utcnow()).total_seconds()) < 30
    assert whoami(server, "custom", token) == "bob"
    assert logout(server, "custom", token).status_code == 204
    assert pg.sql("SELECT 1 FROM sessions WHERE sid = %s", (token,)) == []


def test_purge(httpd_factory, pg):
    h = start(httpd_factory, pg,
              backend("purged", "table=purgetokens create-table=on "
                      "lifetime=60 purge-interval=1"))
    valid = login(h, "purged", "bob")
    expired = [new_token() for _ in range(3)]
    for t in expired:
        pg.sql("INSERT INTO purgetokens VALUES (%s, %s, 'bob')",
               (t, ago(120)))
    wait_until(lambda: pg.sql("SELECT count(*) FROM purgetokens")[0][0] <= 1,
               10, 0.2, "the purge of the expired rows")
    assert pg.sql("SELECT token FROM purgetokens") == [(valid,)]
    assert whoami(h, "purged", valid) == "bob"
    h.stop()


def test_outage_is_503_and_recovers_without_restarting_httpd(server, pg):
    token = login(server, "db", APP_USER)
    assert whoami(server, "db", token) == APP_USER
    mark = server.log_mark()
    pg.stop()
    try:
        # the first request meets the dead pooled connection, the next
        # ones find no connection at all: both are 503, never 401
        for _ in range(3):
            assert_503(get(server, "/db/api/data.json", token))
        assert_503(logout(server, "db", token))
        r = session().post(server.url("/db/login"),
                           data={"username": APP_USER,
                                 "password": "dbd-Pa55word"})
        assert_503(r)
        # a token that is not opaque is refused before any query
        assert_401(get(server, "/db/api/data.json", "not-a-db-token"))
        log = server.log_since(mark, "is unavailable")
        assert "backend 'db': the pgsql database failed the select " \
            "statement" in log
        assert "backend 'db': the pgsql database is unavailable" in log
        assert token not in log
    finally:
        pg.start()
    assert whoami(server, "db", token) == APP_USER


def test_quick_restart_is_invisible(server, pg):
    token = login(server, "db", APP_USER)
    pg.stop()
    pg.start()
    # the pooled connection is reset and its statements prepared again
    assert whoami(server, "db", token) == APP_USER
    assert whoami(server, "db", token) == APP_USER
    assert logout(server, "db", token).status_code == 204


def test_two_httpd_share_one_database(httpd_factory, server, pg):
    other = start(httpd_factory, pg, backend("db", "lifetime=3600"))
    token = login(server, "db", APP_USER)
    assert whoami(other, "db", token) == APP_USER
    token2 = login(other, "db", OTHER_USER)
    assert whoami(server, "db", token2) == OTHER_USER
    assert logout(other, "db", token).status_code == 204
    assert_401(get(server, "/db/api/data.json", token))
    assert_401(get(other, "/db/api/data.json", token))
    assert whoami(server, "db", token2) == OTHER_USER
    other.stop()
