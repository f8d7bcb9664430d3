"""The redis strategy against real redis-server processes: fastapi-users'
wire format (SET prefix+token user EX lifetime / GET / DEL), options (url
with db, unix socket, password, ACL user; prefix, lifetime), tokens that
must never reach Redis, stored values that must not become REMOTE_USER,
and two httpd nodes sharing one Redis."""

import os
import secrets
import subprocess
import time
import uuid

import pytest

from redis_server import (ROUTES, Client, RedisServer, backend_conf,
                          htpasswd)
from wait import wait_until

ALICE_PW = "alice-Pa55word"
APP_UUID = str(uuid.UUID("6f1ad2b4-3c6e-4f0e-9b7a-2d4f8e1c5a90"))
UUID_PW = "uuid-user-Pa55"
B_PASSWORD = "b-requirepass-Zq81"         # server B: requirepass
ACL_PASSWORD = "acl-app-pass-Wd33"        # server C: ACL user "app"
PREFIX = "fastapi_users_token:"
ISSUED = []                               # every token this module saw


@pytest.fixture(scope="module")
def redis_a():
    r = RedisServer().start()
    yield r
    r.cleanup()


@pytest.fixture(scope="module")
def redis_b():
    r = RedisServer(requirepass=B_PASSWORD).start()
    yield r
    r.cleanup()


@pytest.fixture(scope="module")
def redis_c():
    # the least an application needs: three commands, its own keys
    r = RedisServer(users={"app": "on >%s ~%s* +get +set +del"
                                  % (ACL_PASSWORD, PREFIX)}).start()
    yield r
    r.cleanup()


def conf_for(a, b, c):
    conf = ROUTES
    conf += backend_conf("rd", "redis url=%s" % a.url())
    conf += backend_conf("short", "redis url=%s lifetime=2" % a.url())
    conf += backend_conf("pfx", "redis url=%s prefix=myapp:tokens:"
                         % a.url())
    conf += backend_conf("db3", "redis url=%s" % a.url(db=3))
    conf += backend_conf("sock", "redis url=unix:%s?db=5" % a.socket)
    conf += backend_conf("pw", "redis url=%s password=file:@ROOT@/b.pw"
                         % b.url())
    conf += backend_conf("pwurl", "redis url=%s"
                         % b.url(auth=":%s@" % B_PASSWORD))
    conf += backend_conf("badpw", "redis url=%s password=file:@ROOT@/bad.pw"
                         % b.url())
    conf += backend_conf("nopw", "redis url=%s" % b.url())
    conf += backend_conf("acl", "redis url=%s"
                         % c.url(auth="app:%s@" % ACL_PASSWORD))
    conf += backend_conf("acluser", "redis url=%s user=app "
                         "password=file:@ROOT@/acl.pw" % c.url())
    conf += backend_conf("jw", "jwt secret=file:@ROOT@/jwt.secret")
    # a redis backend first, a JWT one second: a JWT falls through
    conf += """
<AuthBackend both>
    AuthBackendTransport bearer
    AuthBackendStrategy redis url=%s
</AuthBackend>
<Location /p/mixed/>
    AuthType backend
    AuthName "mixed"
    AuthBackendProvider both jw
    Require valid-user
</Location>
""" % a.url()
    return conf


def files():
    return {"users": "%s\n%s\n" % (htpasswd("alice", ALICE_PW),
                                   htpasswd(APP_UUID, UUID_PW))}


def start_node(httpd_factory, a, b, c):
    h = httpd_factory(conf_for(a, b, c), start=False, files=files())
    # secrets are root-only: read while the configuration is parsed
    h.write("b.pw", B_PASSWORD + "\n", mode=0o600)
    h.write("bad.pw", "not-the-password\n", mode=0o600)
    h.write("acl.pw", ACL_PASSWORD, mode=0o600)
    h.write("jwt.secret", "j" * 40, mode=0o600)
    return h.start()


@pytest.fixture(scope="module")
def node_a(httpd_factory, redis_a, redis_b, redis_c):
    return start_node(httpd_factory, redis_a, redis_b, redis_c)


@pytest.fixture(scope="module")
def node_b(httpd_factory, redis_a, redis_b, redis_c):
    return start_node(httpd_factory, redis_a, redis_b, redis_c)


@pytest.fixture(scope="module")
def client(node_a):
    return Client(node_a)


def login(client, backend="rd", user="alice", password=ALICE_PW):
    token = client.login(backend, user, password)
    ISSUED.append(token)
    return token


# ---- wire format and round trip ---------------------------------------------


def test_round_trip_login_use_logout(client, redis_a):
    token = login(client)
    assert len(token) == 43
    assert redis_a.client().get(PREFIX + token) == "alice"
    env = client.who("rd", token)
    assert env["REMOTE_USER"] == "alice"
    assert env["AUTH_TYPE"] == "backend"
    assert env["AUTH_BACKEND"] == "rd"
    assert client.get("rd", token).status_code == 200

    r = client.logout("rd", token)
    assert r.status_code == 204 and r.text == ""
    assert redis_a.client().exists(PREFIX + token) == 0
    r = client.get("rd", token)
    assert r.status_code == 401
    assert r.json() == {"detail": "Unauthorized"}
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_wire_format_is_fastapi_users(client, redis_a):
    """MONITOR shows exactly SET prefix+token user EX 3600, GET, DEL."""
    out = os.path.join(redis_a.dir, "monitor.txt")
    with open(out, "w") as f:
        mon = subprocess.Popen(["redis-cli", "-p", str(redis_a.port),
                                "monitor"], stdout=f,
                               stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: "OK" in open(out).read(), 5, 0.02,
                   "MONITOR to start")
        token = login(client)
        assert client.get("rd", token).status_code == 200
        assert client.logout("rd", token).status_code == 204
        wait_until(lambda: '"DEL"' in open(out).read(), 5, 0.02,
                   "MONITOR to show the DEL")
    finally:
        mon.terminate()
        mon.wait()
    key = PREFIX + token
    commands = [line.split("] ", 1)[1].strip() for line in open(out)
                if "] " in line]
    assert commands == [
        '"SET" "%s" "alice" "EX" "3600"' % key,   # login
        '"GET" "%s"' % key,                       # a protected request
        '"GET" "%s"' % key,                       # logout checks the token
        '"DEL" "%s"' % key,                       # and deletes it
    ]


def test_ttl_is_the_lifetime(client, redis_a):
    token = login(client)
    assert 3590 <= redis_a.client().ttl(PREFIX + token) <= 3600
    short = login(client, "short")
    assert 1 <= redis_a.client().ttl(PREFIX + short) <= 2


def test_token_past_its_lifetime_is_refused(client, redis_a):
    token = login(client, "short")
    assert client.get("short", token).status_code == 200
    wait_until(lambda: not redis_a.client().exists(PREFIX + token), 5, 0.1,
               "Redis to expire the key")
    r = client.get("short", token)
    assert r.status_code == 401
    assert r.json() == {"detail": "Unauthorized"}


def test_prefix_option(client, redis_a):
    token = login(client, "pfx")
    db = redis_a.client()
    assert db.get("myapp:tokens:" + token) == "alice"
    assert not db.exists(PREFIX + token)
    assert client.get("pfx", token).status_code == 200
    # a token stored under the default prefix is not this backend's
    other = login(client, "rd")
    assert client.get("pfx", other).status_code == 401
    assert client.get("rd", token).status_code == 401


def test_db_number(client, redis_a):
    token = login(client, "db3")
    assert redis_a.client(db=3).get(PREFIX + token) == "alice"
    assert not redis_a.client(db=0).exists(PREFIX + token)
    assert client.get("db3", token).status_code == 200
    assert client.logout("db3", token).status_code == 204
    assert not redis_a.client(db=3).exists(PREFIX + token)


def test_unix_socket_with_db(client, redis_a):
    token = login(client, "sock")
    assert redis_a.client(db=5).get(PREFIX + token) == "alice"
    assert client.who("sock", token)["REMOTE_USER"] == "alice"
    assert client.logout("sock", token).status_code == 204
    assert client.get("sock", token).status_code == 401


# ---- credentials ------------------------------------------------------------


@pytest.mark.parametrize("backend", ["pw", "pwurl"])
def test_requirepass(client, redis_b, backend):
    token = login(client, backend)
    assert redis_b.client().get(PREFIX + token) == "alice"
    assert client.get(backend, token).status_code == 200
    assert client.logout(backend, token).status_code == 204
    assert client.get(backend, token).status_code == 401


@pytest.mark.parametrize("backend, cause", [("badpw", "AUTH was refused"),
                                            ("nopw", "NOAUTH")])
def test_wrong_or_missing_password_is_503(client, node_a, redis_b, backend,
                                          cause):
    token = secrets.token_urlsafe(32)
    redis_b.client().set(PREFIX + token, "alice", ex=60)
    mark = node_a.log_mark()
    r = client.get(backend, token)
    assert r.status_code == 503
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"detail": "Service Unavailable"}
    log = node_a.log_since(mark, wait_for=cause)
    assert "backend '%s': token store redis://127.0.0.1:%d/0 unavailable" \
        % (backend, redis_b.port) in log
    assert cause in log
    r = client.login(backend, "alice", ALICE_PW, expect=503)
    assert r.json() == {"detail": "Service Unavailable"}


@pytest.mark.parametrize("backend", ["acl", "acluser"])
def test_acl_user_with_only_get_set_del(client, redis_c, backend):
    token = login(client, backend)
    assert redis_c.client().get(PREFIX + token) == "alice"
    assert client.who(backend, token)["REMOTE_USER"] == "alice"
    assert client.logout(backend, token).status_code == 204
    assert client.get(backend, token).status_code == 401


def test_literal_url_password_warns_without_showing_it(node_a):
    startup = node_a.read("logs/stdout") + node_a.error_log()
    assert "url= holds a password written literally" in startup
    assert B_PASSWORD not in startup


# ---- interoperability with fastapi-users ------------------------------------


def test_fastapi_users_token_is_accepted(client, redis_a):
    # RedisStrategy.write_token: secrets.token_urlsafe(); SET ... EX 3600
    token = secrets.token_urlsafe()
    redis_a.client().set(PREFIX + token, APP_UUID, ex=3600)
    assert client.who("rd", token)["REMOTE_USER"] == APP_UUID
    # RedisStrategy.destroy_token is a DEL: the token is gone here too
    redis_a.client().delete(PREFIX + token)
    assert client.get("rd", token).status_code == 401


def test_module_token_reads_as_fastapi_users_reads_it(client, redis_a):
    token = login(client, "rd", APP_UUID, UUID_PW)
    # RedisStrategy.read_token: GET prefix+token, then parse_id (UUID)
    value = redis_a.client().get(PREFIX + token)
    assert uuid.UUID(value) == uuid.UUID(APP_UUID)
    assert value == APP_UUID
    assert 0 < redis_a.client().ttl(PREFIX + token) <= 3600


# ---- what never reaches Redis -----------------------------------------------

GOOD = secrets.token_urlsafe(32)
NOT_OPAQUE = [
    "abc",                                  # too short
    GOOD[:42],                              # 42 characters
    GOOD + "A",                             # 44 characters
    GOOD[:42] + "B",                        # spare bits set: not canonical
    "+" + GOOD[1:],                         # standard alphabet
    GOOD[:41] + "==",                       # padding
    "a.b.c",                                # JWT-shaped
    "*" * 43,                               # a glob pattern
]


def test_non_opaque_tokens_never_reach_redis(client, redis_a):
    before = redis_a.calls("get")
    for token in NOT_OPAQUE:
        r = client.s.get(client.h.url("/p/rd/index.html"),
                         headers={"Authorization": "Bearer " + token})
        assert r.status_code == 401, token
    # and the malformed header the transport refuses
    r = client.s.get(client.h.url("/p/rd/index.html"),
                     headers={"Authorization": "Bearer a b"})
    assert r.status_code == 401
    assert redis_a.calls("get") == before


def test_jwt_falls_through_to_the_next_backend_without_redis(client, redis_a):
    import jwt as pyjwt
    tok = pyjwt.encode({"sub": "bob", "aud": ["fastapi-users:auth"],
                        "exp": int(time.time()) + 60}, "j" * 40,
                       algorithm="HS256")
    before = redis_a.calls("get")
    r = client.s.get(client.h.url("/p/mixed/index.html"),
                     headers={"Authorization": "Bearer " + tok})
    assert r.status_code == 200
    assert redis_a.calls("get") == before
    # and an opaque token is the redis backend's
    token = secrets.token_urlsafe()
    redis_a.client().set(PREFIX + token, "carol", ex=60)
    r = client.s.get(client.h.url("/p/mixed/index.html"),
                     headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200
    assert redis_a.calls("get") == before + 1


# ---- stored values that are no user id --------------------------------------


@pytest.mark.parametrize("value", [b"", b"al\x01ice", b"alice\n", b"a\x00b",
                                   b"x" * 1025, b"\xff\xfeuser"],
                         ids=["empty", "control", "newline", "nul",
                              "too-long", "not-utf8"])
def test_unusable_stored_user_is_refused(client, node_a, redis_a, value):
    token = secrets.token_urlsafe()
    redis_a.client().set(PREFIX + token, value, ex=60)
    mark = node_a.log_mark()
    r = client.get("rd", token)
    assert r.status_code == 401
    assert "the user id stored for it is not usable" in \
        node_a.log_since(mark, wait_for="not usable")


def test_longest_usable_user_and_utf8(client, redis_a):
    for value in ["x" * 1024, "Zoë-Çelik"]:
        token = secrets.token_urlsafe()
        redis_a.client().set(PREFIX + token, value, ex=60)
        assert client.get("rd", token).status_code == 200


def test_key_of_another_type_is_503(client, node_a, redis_a):
    token = secrets.token_urlsafe()
    redis_a.client().hset(PREFIX + token, "user", "alice")
    mark = node_a.log_mark()
    assert client.get("rd", token).status_code == 503
    assert "it answered WRONGTYPE to GET" in node_a.log_since(
        mark, wait_for="WRONGTYPE")


# ---- several nodes ----------------------------------------------------------


def test_two_nodes_share_one_redis(node_a, node_b):
    a, b = Client(node_a), Client(node_b)
    token = login(a)
    assert b.who("rd", token)["REMOTE_USER"] == "alice"
    assert b.logout("rd", token).status_code == 204
    assert a.get("rd", token).status_code == 401
    assert b.get("rd", token).status_code == 401
    # and the other way round
    token = login(b)
    assert a.get("rd", token).status_code == 200


# ---- no secret in any log line ----------------------------------------------


def test_no_credentials_or_tokens_in_logs(node_a, node_b):
    for h in (node_a, node_b):
        text = h.error_log() + h.read("logs/stdout") + h.read(
            "logs/access_log")
        for secret in [B_PASSWORD, ACL_PASSWORD, ALICE_PW, UUID_PW]:
            assert secret not in text
        for token in ISSUED:
            assert token not in text
        assert ISSUED
