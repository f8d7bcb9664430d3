"""AuthBackendUserQuery and Require backend-user over a fastapi-users user
table, on a real SQLite file (booleans 0/1) and a real PostgreSQL (uuid
ids, booleans t/f): fastapi-users' 401/403 rules, claims from the record,
the query per location and per <AuthBackend>, for JWTs and opaque tokens,
faults (503, recovery), and one lookup per request, only when needed."""

import os
import pwd
import re
import sqlite3
import time
import uuid

import pytest

from dbd_helpers import assert_503, new_token, sqlite_time, utcnow
from harness import session
from pg_server import PgServer
from tokens import fastapi_users_token
from wait import wait_until

SECRET = "user-query-secret-0123456789-abcdefghij"

SUPER = str(uuid.UUID("11111111-1111-4111-8111-111111111111"))
VERIFIED = str(uuid.UUID("22222222-2222-4222-8222-222222222222"))
UNVERIFIED = str(uuid.UUID("33333333-3333-4333-8333-333333333333"))
INACTIVE = str(uuid.UUID("44444444-4444-4444-8444-444444444444"))
UNKNOWN = str(uuid.UUID("55555555-5555-4555-8555-555555555555"))
# id: (email, is_active, is_verified, is_superuser)
USERS = {
    SUPER: ("root@example.com", True, True, True),
    VERIFIED: ("b@example.com", True, True, False),
    UNVERIFIED: ("c@example.com", True, False, False),
    INACTIVE: ("d@example.com", False, True, False),
}

SQLITE_SCHEMA = """
CREATE TABLE user (id CHAR(36) NOT NULL, email VARCHAR(320) NOT NULL,
    hashed_password VARCHAR(1024) NOT NULL, is_active BOOLEAN NOT NULL,
    is_superuser BOOLEAN NOT NULL, is_verified BOOLEAN NOT NULL,
    PRIMARY KEY (id));
CREATE TABLE accesstoken (token VARCHAR(43) NOT NULL,
    created_at TIMESTAMP NOT NULL, user_id CHAR(36) NOT NULL,
    PRIMARY KEY (token),
    FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE cascade);
"""
PG_SCHEMA = """
CREATE TABLE "user" (id uuid NOT NULL PRIMARY KEY,
    email varchar(320) NOT NULL, hashed_password varchar(1024) NOT NULL,
    is_active boolean NOT NULL, is_superuser boolean NOT NULL,
    is_verified boolean NOT NULL);
CREATE TABLE accesstoken (token varchar(43) NOT NULL PRIMARY KEY,
    created_at timestamp with time zone NOT NULL,
    user_id uuid NOT NULL REFERENCES "user"(id) ON DELETE CASCADE);
"""

CLAIMS_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
env | grep -E '^(AUTH_CLAIM_|REMOTE_USER=|AUTH_TYPE=|AUTH_BACKEND=)' | sort
"""

# path: (rules, extra)
RULES = {
    "active": ("Require backend-user active", ""),
    "active403": ("Require backend-user active",
                  "AuthzSendForbiddenOnFailure On"),
    "verified": ("Require backend-user active verified",
                 "AuthzSendForbiddenOnFailure On"),
    "verified401": ("Require backend-user verified", ""),
    "super": ("Require backend-user superuser",
              "AuthzSendForbiddenOnFailure On"),
    "email": ("Require token-claim email b@example.com", ""),
    "superclaim": ("Require token-claim is_superuser true", ""),
    "not-super": ("<RequireAll>\n Require backend-user active\n"
                  " Require not backend-user superuser\n</RequireAll>", ""),
    "env": ("Require valid-user", "AuthBackendPassClaims env"),
    "plain": ("Require valid-user", ""),
}


def query(dialect, columns="email, is_active, is_verified, is_superuser"):
    cast = "::uuid" if dialect == "pgsql" else ""
    return "'SELECT %s FROM \"user\" WHERE id = %%s%s'" % (columns, cast)


def config(dialect, params):
    conf = 'DBDriver %s\nDBDParams "%s"\n' % (dialect, params)
    conf += """
<AuthBackend jwt>
    AuthBackendTransport bearer
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend db>
    AuthBackendTransport bearer
    AuthBackendStrategy  dbd
    AuthBackendUserQuery %s
</AuthBackend>
<Location /jwt>
    AuthBackendUserQuery %s
</Location>
<Location /jwt/nocol>
    AuthBackendUserQuery %s
</Location>
""" % (query(dialect), query(dialect), query(dialect, "email"))
    for prefix in ("jwt", "db"):
        for path, (rules, extra) in dict(RULES, nocol=(
                "Require backend-user verified", "")).items():
            conf += """
<Location /%s/%s>
    AuthType backend
    AuthName "users"
    AuthBackendProvider %s
    %s
    %s
</Location>
""" % (prefix, path, prefix, rules, extra)
    conf += """
ScriptAliasMatch "^/(jwt|db)/env$" "@ROOT@/cgi/claims"
AliasMatch "^/(jwt|db)/[a-z0-9-]+$" "@ROOT@/htdocs/index.html"
"""
    return conf


class SqliteDb:
    dialect = "sqlite3"

    def __init__(self, path):
        self.path = path

    def sql(self, q, args=()):
        db = sqlite3.connect(self.path)
        try:
            rows = db.execute(q.replace("%s", "?"), args).fetchall()
            db.commit()
            return rows
        finally:
            db.close()


class PgDb:
    dialect = "pgsql"

    def __init__(self, server):
        self.server = server

    def sql(self, q, args=()):
        return self.server.sql(q, args)


def fill(db):
    for uid, (email, active, verified, superuser) in USERS.items():
        db.sql('INSERT INTO "user" (id, email, hashed_password, is_active, '
               'is_verified, is_superuser) VALUES (%s, %s, %s, %s, %s, %s)',
               (uid, email, "x", active, verified, superuser))


@pytest.fixture(scope="module")
def pg():
    server = PgServer().start()
    server.sql(PG_SCHEMA)
    yield server
    server.cleanup()


def start(httpd_factory, dialect, params, prepare):
    h = httpd_factory(config(dialect, params), start=False, modules=["dbd"])
    h.write("secret", SECRET, mode=0o600)
    h.write("cgi/claims", CLAIMS_CGI, mode=0o755)
    prepare(h)
    return h.start()


@pytest.fixture(scope="module", params=["sqlite3", "pgsql"])
def site(request, httpd_factory):
    """(httpd, database) for each database."""
    if request.param == "sqlite3":
        def prepare(h):
            d = h.path("db")
            os.makedirs(d)
            db = sqlite3.connect(os.path.join(d, "app.sqlite"))
            db.executescript(SQLITE_SCHEMA)
            db.close()
            if os.geteuid() == 0:
                www = pwd.getpwnam("www-data")
                for p in (d, os.path.join(d, "app.sqlite")):
                    os.chown(p, www.pw_uid, www.pw_gid)
            h.db = SqliteDb(os.path.join(d, "app.sqlite"))
            fill(h.db)
        h = start(httpd_factory, "sqlite3", "@ROOT@/db/app.sqlite", prepare)
    else:
        pg = request.getfixturevalue("pg")

        def prepare(h):
            h.db = PgDb(pg)
            fill(h.db)
        h = start(httpd_factory, "pgsql", pg.dbd_params(), prepare)
    return h


def jwt_for(user):
    return fastapi_users_token(SECRET, user=user)


def opaque_for(h, user):
    token = new_token()
    created = sqlite_time(utcnow()) if h.db.dialect == "sqlite3" else utcnow()
    h.db.sql("INSERT INTO accesstoken (token, created_at, user_id) VALUES "
             "(%s, %s, %s)", (token, created, user))
    return token


def token_for(h, prefix, user):
    return jwt_for(user) if prefix == "jwt" else opaque_for(h, user)


def get(h, path, token):
    return session().get(h.url(path),
                         headers={"Authorization": "Bearer " + token})


def status(h, prefix, path, user):
    return get(h, "/%s/%s" % (prefix, path),
               token_for(h, prefix, user)).status_code


@pytest.mark.parametrize("prefix", ["jwt", "db"])
def test_active(site, prefix):
    assert status(site, prefix, "active", SUPER) == 200
    assert status(site, prefix, "active", UNVERIFIED) == 200
    # inactive is as good as unknown: 401, even with ForbiddenOnFailure
    for path in ("active", "active403"):
        r = get(site, "/%s/%s" % (prefix, path),
                token_for(site, prefix, INACTIVE))
        assert r.status_code == 401, (path, r.status_code)
        assert r.json() == {"detail": "Unauthorized"}
        assert r.headers["WWW-Authenticate"] == 'Bearer realm="users"'
    assert status(site, "jwt", "active403", UNKNOWN) == 401


@pytest.mark.parametrize("prefix", ["jwt", "db"])
def test_verified_and_superuser(site, prefix):
    assert status(site, prefix, "verified", VERIFIED) == 200
    r = get(site, "/%s/verified" % prefix,
            token_for(site, prefix, UNVERIFIED))
    assert r.status_code == 403
    assert r.json() == {"detail": "Forbidden"}
    # fastapi-users checks active first
    assert status(site, prefix, "verified", INACTIVE) == 401
    assert status(site, prefix, "verified401", UNVERIFIED) == 401
    assert status(site, prefix, "verified401", VERIFIED) == 200
    assert status(site, prefix, "super", SUPER) == 200
    assert status(site, prefix, "super", VERIFIED) == 403
    assert status(site, prefix, "not-super", VERIFIED) == 200
    assert status(site, prefix, "not-super", SUPER) == 401


def test_unknown_user(site):
    for path in ("active", "verified", "super", "email"):
        assert status(site, "jwt", path, UNKNOWN) == 401, path
    # no rule reads the record: a valid token is enough
    assert status(site, "jwt", "plain", UNKNOWN) == 200


@pytest.mark.parametrize("prefix", ["jwt", "db"])
def test_columns_are_claims(site, prefix):
    assert status(site, prefix, "email", VERIFIED) == 200
    assert status(site, prefix, "email", SUPER) == 401
    # flags are booleans whatever the database writes (1/0, t/f)
    assert status(site, prefix, "superclaim", SUPER) == 200
    assert status(site, prefix, "superclaim", VERIFIED) == 401


def env_of(r):
    assert r.status_code == 200, (r.status_code, r.text)
    return dict(line.split("=", 1) for line in r.text.splitlines() if line)


def test_columns_in_environment(site):
    env = env_of(get(site, "/jwt/env", jwt_for(VERIFIED)))
    assert env["REMOTE_USER"] == VERIFIED
    assert env["AUTH_TYPE"] == "backend"
    assert env["AUTH_BACKEND"] == "jwt"
    assert env["AUTH_CLAIM_sub"] == VERIFIED
    assert env["AUTH_CLAIM_aud"] == '["fastapi-users:auth"]'
    assert re.fullmatch(r"\d+", env["AUTH_CLAIM_exp"])
    assert env["AUTH_CLAIM_email"] == "b@example.com"
    assert env["AUTH_CLAIM_is_active"] == "true"
    assert env["AUTH_CLAIM_is_superuser"] == "false"
    env = env_of(get(site, "/db/env", opaque_for(site, SUPER)))
    assert env["AUTH_BACKEND"] == "db"
    assert env["AUTH_CLAIM_email"] == "root@example.com"
    assert env["AUTH_CLAIM_is_superuser"] == "true"
    assert "AUTH_CLAIM_sub" not in env          # opaque: no token claims
    # an unknown user still has the token's claims
    env = env_of(get(site, "/jwt/env", jwt_for(UNKNOWN)))
    assert env["AUTH_CLAIM_sub"] == UNKNOWN
    assert "AUTH_CLAIM_email" not in env


def test_a_column_whose_name_collides_with_a_claim_is_not_passed(site):
    """A token claim EMAIL and the column email would be one variable:
    neither is passed (a column of exactly a claim's name is left out, the
    token's claim wins, as before)."""
    env = env_of(get(site, "/jwt/env", fastapi_users_token(
        SECRET, user=VERIFIED, EMAIL="x@evil.example",
        is_verified="from the token")))
    assert not [k for k in env if k.lower() == "auth_claim_email"], env
    assert env["AUTH_CLAIM_is_verified"] == "from the token"
    assert env["AUTH_CLAIM_is_active"] == "true"


def test_record_is_read_per_request(site):
    uid = str(uuid.uuid4())
    site.db.sql('INSERT INTO "user" (id, email, hashed_password, is_active, '
                'is_verified, is_superuser) VALUES (%s, %s, %s, %s, %s, %s)',
                (uid, "e@example.com", "x", True, True, False))
    token = jwt_for(uid)
    assert get(site, "/jwt/verified", token).status_code == 200
    site.db.sql('UPDATE "user" SET is_verified = %s WHERE id = %s',
                (False, uid))
    assert get(site, "/jwt/verified", token).status_code == 403
    site.db.sql('UPDATE "user" SET is_active = %s WHERE id = %s',
                (False, uid))
    assert get(site, "/jwt/verified", token).status_code == 401
    site.db.sql('DELETE FROM "user" WHERE id = %s', (uid,))
    assert get(site, "/jwt/active", token).status_code == 401


def test_missing_column_is_an_error(site):
    mark = site.log_mark()
    r = get(site, "/jwt/nocol", jwt_for(VERIFIED))
    assert r.status_code == 500
    assert "needs a column is_verified" in site.log_since(
        mark, wait_for="needs a column")


# ---- PostgreSQL: faults and counting -------------------------------------

@pytest.fixture(scope="module")
def pgsite(httpd_factory, pg):
    def prepare(h):
        h.db = PgDb(pg)
        # the users, unless the site[pgsql] fixture made them already
        if not pg.sql('SELECT 1 FROM "user" LIMIT 1'):
            fill(h.db)
    return start(httpd_factory, "pgsql", pg.dbd_params(), prepare)


def statements_run(pg, label_part="auth_backend_user"):
    return len(re.findall(r"execute %s_\d+" % label_part, pg.log()))


def test_one_lookup_per_request_and_only_when_needed(pgsite, pg):
    PgDb(pg).sql('INSERT INTO "user" VALUES (%s, %s, %s, true, true, false) '
                 'ON CONFLICT DO NOTHING', (VERIFIED, "b@example.com", "x"))
    pg.sql("ALTER SYSTEM SET log_statement = 'all'")
    pg.sql("SELECT pg_reload_conf()")
    try:
        token = jwt_for(VERIFIED)
        before = statements_run(pg)
        # two rules and the environment read the record: one query
        assert get(pgsite, "/jwt/not-super", token).status_code == 200
        assert get(pgsite, "/jwt/env", token).status_code == 200
        # no rule and no environment need it: no query
        assert get(pgsite, "/jwt/plain", token).status_code == 200
        # PostgreSQL writes its log on its own time
        wait_until(lambda: statements_run(pg) - before >= 2, 5, 0.1,
                   "PostgreSQL to log the two queries")
        # deliberate time passing: a third query would show up by now
        time.sleep(0.3)
        assert statements_run(pg) - before == 2
    finally:
        pg.sql("ALTER SYSTEM RESET log_statement")
        pg.sql("SELECT pg_reload_conf()")


def test_non_uuid_user_id_on_postgresql(pgsite):
    """WHERE id = %s::uuid: a user id that is not a UUID (a token issued
    here for an htpasswd user, say) makes PostgreSQL fail the statement:
    never a 200, and the log says why."""
    mark = pgsite.log_mark()
    assert_503(get(pgsite, "/jwt/active", jwt_for("alice")))
    assert "invalid input syntax for type uuid" in pgsite.log_since(
        mark, wait_for="uuid")
    assert get(pgsite, "/jwt/plain", jwt_for("alice")).status_code == 200


def test_database_down_is_503_then_recovers(pgsite, pg):
    PgDb(pg).sql('INSERT INTO "user" VALUES (%s, %s, %s, true, true, false) '
                 'ON CONFLICT DO NOTHING', (VERIFIED, "b@example.com", "x"))
    token = jwt_for(VERIFIED)
    assert get(pgsite, "/jwt/verified", token).status_code == 200
    pg.stop()
    try:
        for path in ("active", "verified", "email", "env"):
            assert_503(get(pgsite, "/jwt/" + path, token))
        # nothing needs the record here
        assert get(pgsite, "/jwt/plain", token).status_code == 200
    finally:
        pg.start()
    assert get(pgsite, "/jwt/verified", token).status_code == 200
    assert get(pgsite, "/jwt/env", token).status_code == 200


def test_a_locked_user_table_is_503_within_the_timeout(pgsite, pg):
    """The default timeout= (2000 ms) bounds the statement: a table lock
    held by a migration, say, is a 503 after it, not a request waiting
    for ever."""
    import psycopg2
    PgDb(pg).sql('INSERT INTO "user" VALUES (%s, %s, %s, true, true, false) '
                 'ON CONFLICT DO NOTHING', (VERIFIED, "b@example.com", "x"))
    token = jwt_for(VERIFIED)
    assert get(pgsite, "/jwt/verified", token).status_code == 200
    mark = pgsite.log_mark()
    locker = psycopg2.connect(**pg.connect_args())
    try:
        with locker.cursor() as cur:
            cur.execute('LOCK TABLE "user" IN ACCESS EXCLUSIVE MODE')
        started = time.monotonic()
        r = session().get(pgsite.url("/jwt/verified"), timeout=20,
                          headers={"Authorization": "Bearer " + token})
        took = time.monotonic() - started
        assert_503(r)
        assert took < 2.0 + 0.25 + 0.5, took
        assert "canceling statement due to" in pgsite.log_since(
            mark, wait_for="canceling statement")
        # nothing needs the record here
        assert get(pgsite, "/jwt/plain", token).status_code == 200
    finally:
        locker.rollback()
        locker.close()
    assert get(pgsite, "/jwt/verified", token).status_code == 200


# ---- configuration ----------------------------------------------------------

@pytest.mark.parametrize("conf,message", [
    ('DBDriver sqlite3\n<Location /x>\nAuthBackendUserQuery '
     '"SELECT email FROM users"\n</Location>', "with one parameter"),
    ('DBDriver sqlite3\n<Location /x>\nAuthBackendUserQuery '
     '"SELECT email FROM users WHERE id = %s AND x = %s"\n</Location>',
     "it has 2"),
    ('<Location /x>\nAuthBackendUserQuery '
     '"SELECT email FROM users WHERE id = %s"\n</Location>',
     "has no DBDriver"),
    ('<VirtualHost 127.0.0.1:@PORT@>\n<Location /x>\nAuthBackendUserQuery '
     '"SELECT email FROM users WHERE id = %s"\n</Location>\n</VirtualHost>',
     "this virtual host (nor the main server)"),
    ('<Location /x>\nAuthBackendOptional maybe\n</Location>',
     "AuthBackendOptional must be On or Off"),
    ('DBDriver pgsql\n<Location /x>\nAuthBackendUserQuery '
     '"SELECT email FROM users WHERE id = %s" timeout=0\n</Location>',
     "timeout (milliseconds) must be a whole number from 1 to 60000"),
    ('DBDriver pgsql\n<Location /x>\nAuthBackendUserQuery '
     '"SELECT email FROM users WHERE id = %s" lifetime=5\n</Location>',
     "takes the statement and, optionally, timeout=MILLISECONDS"),
    ('DBDriver sqlite3\n<Location /x>\nAuthBackendUserQuery '
     '"SELECT email FROM users WHERE id = %s" timeout=500\n</Location>',
     "AuthBackendUserQuery: timeout= is for DBDriver pgsql"),
])
def test_config_errors(httpd_config, conf, message):
    h = httpd_config(conf, modules=["dbd"])
    h.write("secret", SECRET, mode=0o600)
    r = h.check()
    assert r.returncode != 0
    assert message in r.stderr, r.stderr


def test_needs_mod_dbd(httpd_config):
    h = httpd_config('<Location /x>\nAuthBackendUserQuery '
                     '"SELECT email FROM users WHERE id = %s"\n</Location>')
    r = h.check()
    assert r.returncode != 0
    assert "needs mod_dbd" in r.stderr, r.stderr


def test_not_in_htaccess(httpd_factory):
    h = httpd_factory('DBDriver sqlite3\n<Directory @ROOT@/htdocs/sub>\n'
                      'AllowOverride AuthConfig\n</Directory>\n',
                      start=False, modules=["dbd"])
    h.write("htdocs/sub/.htaccess", 'AuthBackendUserQuery '
            '"SELECT email FROM users WHERE id = %s"\n')
    h.write("htdocs/sub/index.html", "x")
    h.start()
    assert session().get(h.url("/sub/index.html")).status_code == 500
    assert "AuthBackendUserQuery not allowed here" in h.error_log()
