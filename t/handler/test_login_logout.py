"""The auth-backend-login and auth-backend-logout handlers (DESIGN.md §3),
with passwords checked by Apache's own authn providers: mod_authn_file,
<AuthnProviderAlias> and mod_authn_dbd over a real SQLite file."""

import os
import signal
import sqlite3
import statistics
import subprocess
import time

import jwt
import pytest

from conf import htpasswd
from harness import session
from wait import wait_until
from tokens import fastapi_users_decode, fastapi_users_token

SECRET = "login-secret-0123456789-abcdefghijklmnop"
ALICE_PW = "wonderland-Pa55"          # bcrypt, cost 10 (slow on purpose)
CAROL_PW = "carol-Pa55word"           # SHA1
DAVE_PW = "dave-in-the-alias-file"
ERIN_PW = "erin-in-sqlite"


@pytest.fixture(scope="module")
def server(httpd_factory, keydir):
    k = str(keydir)
    conf = """
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret lifetime=600
</AuthBackend>
<AuthBackend rs>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt algorithm=RS256 private-key=file:%(k)s/rsa.key
</AuthBackend>
<AuthBackend es>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt algorithm=ES256 private-key=file:%(k)s/ec256.key
</AuthBackend>
<AuthBackend iss>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret issuer=https://me.example audience=custom
</AuthBackend>

DBDriver sqlite3
DBDParams "@ROOT@/db/users.sqlite"

<AuthnProviderAlias file extra>
    AuthUserFile @ROOT@/extra-users
</AuthnProviderAlias>

<Location /api>
    AuthType backend
    AuthName "api"
    AuthBackendProvider api
    Require valid-user
</Location>
<Location /rs>
    AuthType backend
    AuthName "rs"
    AuthBackendProvider rs
    Require valid-user
</Location>
AliasMatch "^/(api|rs)/(.*)$" "@ROOT@/htdocs/$2"

<LocationMatch "^/auth/(jwt|rs|es|iss|small|nobackend)/login$">
    SetHandler auth-backend-login
    AuthUserFile @ROOT@/users
    Require all granted
</LocationMatch>
<Location /auth/jwt/login>
    AuthBackendProvider api
</Location>
<Location /auth/rs/login>
    AuthBackendProvider rs
</Location>
<Location /auth/es/login>
    AuthBackendProvider es
</Location>
<Location /auth/iss/login>
    AuthBackendProvider iss
</Location>
<Location /auth/small/login>
    AuthBackendProvider api
    AuthBackendLoginMaxBody 100
</Location>
<Location /auth/alias/login>
    SetHandler auth-backend-login
    AuthBackendProvider api
    AuthBackendLoginProvider extra file
    AuthUserFile @ROOT@/users
    Require all granted
</Location>
<Location /auth/dbd/login>
    SetHandler auth-backend-login
    AuthBackendProvider api
    AuthBackendLoginProvider dbd
    AuthDBDUserPWQuery "SELECT hash FROM users WHERE name = %%s"
    Require all granted
</Location>

<Location /auth/jwt/logout>
    SetHandler auth-backend-logout
    AuthBackendProvider api
    Require all granted
</Location>
<Location /auth/multi/logout>
    SetHandler auth-backend-logout
    AuthBackendProvider rs api
    Require all granted
</Location>
""" % {"k": k}
    h = httpd_factory(conf, start=False, modules=["dbd", "authn_dbd"],
                      loglevel="info auth_backend:trace8")
    h.write("secret", SECRET, mode=0o600)
    users = [subprocess.run(["htpasswd", "-nbB", "-C", "10", "alice",
                             ALICE_PW], check=True, capture_output=True,
                            text=True).stdout.strip(),
             htpasswd("-s", "carol", CAROL_PW)]
    h.write("users", "\n".join(users) + "\n")
    h.write("extra-users", htpasswd("-s", "dave", DAVE_PW) + "\n")
    os.makedirs(h.path("db"))
    os.chmod(h.path("db"), 0o755)
    db = sqlite3.connect(h.path("db/users.sqlite"))
    db.execute("CREATE TABLE users (name TEXT PRIMARY KEY, hash TEXT)")
    db.execute("INSERT INTO users VALUES (?, ?)",
               ("erin", htpasswd("-s", "erin", ERIN_PW).split(":", 1)[1]))
    db.commit()
    db.close()
    os.chmod(h.path("db/users.sqlite"), 0o644)
    return h.start()


def login(server, path="/auth/jwt/login", data=None, **kw):
    if data is None:
        data = {"username": "carol", "password": CAROL_PW}
    return session().post(server.url(path), data=data, timeout=20, **kw)


def bearer(token):
    return {"Authorization": "Bearer " + token}


def assert_json(r, status, body=None):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json"
    if body is not None:
        assert r.json() == body


# ---- successful logins -------------------------------------------------------

def test_login_returns_a_bearer_token(server):
    r = login(server)
    assert_json(r, 200)
    assert list(r.json()) == ["access_token", "token_type"]
    assert r.json()["token_type"] == "bearer"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Pragma"] == "no-cache"


def test_issued_token_is_what_fastapi_users_issues_and_reads(server):
    before = int(time.time())
    token = login(server).json()["access_token"]
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    payload = fastapi_users_decode(token, SECRET)
    assert set(payload) == {"sub", "aud", "exp"}
    assert payload["sub"] == "carol"
    assert payload["aud"] == ["fastapi-users:auth"]
    assert before + 600 <= payload["exp"] <= int(time.time()) + 600


def test_issued_token_opens_the_protected_location(server):
    token = login(server).json()["access_token"]
    r = session().get(server.url("/api/data.json"), headers=bearer(token))
    assert r.status_code == 200
    assert session().get(server.url("/api/data.json")).status_code == 401


@pytest.mark.parametrize("path,alg,key", [("/auth/rs/login", "RS256", "rsa"),
                                          ("/auth/es/login", "ES256",
                                           "ec256")])
def test_asymmetric_tokens_verify_with_the_public_key(server, keydir, path,
                                                      alg, key):
    token = login(server, path).json()["access_token"]
    pub = (keydir / (key + ".pub")).read_bytes()
    payload = fastapi_users_decode(token, pub, algorithm=alg)
    assert payload["sub"] == "carol"
    assert jwt.get_unverified_header(token)["alg"] == alg


def test_issuer_and_audiences_are_issued(server):
    token = login(server, "/auth/iss/login").json()["access_token"]
    payload = jwt.decode(token, SECRET, algorithms=["HS256"],
                         audience="custom", issuer="https://me.example")
    assert payload["aud"] == ["custom"]


def test_content_type_parameters_and_case(server):
    for ct in ("application/x-www-form-urlencoded; charset=UTF-8",
               "APPLICATION/X-WWW-FORM-URLENCODED"):
        r = login(server, data="username=carol&password=" + CAROL_PW,
                  headers={"Content-Type": ct})
        assert r.status_code == 200, ct


def test_grant_type_password_and_extra_oauth2_fields(server):
    r = login(server, data={"username": "carol", "password": CAROL_PW,
                            "grant_type": "password", "scope": "a b",
                            "client_id": "x", "client_secret": "y"})
    assert r.status_code == 200


def test_authn_provider_alias_and_provider_order(server):
    # dave is only in the alias' file, carol only in the location's
    assert login(server, "/auth/alias/login",
                 {"username": "dave", "password": DAVE_PW}).status_code == 200
    assert login(server, "/auth/alias/login").status_code == 200
    assert login(server, "/auth/alias/login",
                 {"username": "dave", "password": "nope"}).status_code == 400


def test_mod_authn_dbd_checks_passwords_from_sqlite(server):
    r = login(server, "/auth/dbd/login",
              {"username": "erin", "password": ERIN_PW})
    assert_json(r, 200)
    assert fastapi_users_decode(r.json()["access_token"], SECRET)["sub"] \
        == "erin"
    assert login(server, "/auth/dbd/login",
                 {"username": "erin", "password": "x"}).status_code == 400
    assert login(server, "/auth/dbd/login",
                 {"username": "carol", "password": CAROL_PW}) \
        .status_code == 400


# ---- failed logins ---------------------------------------------------------

def test_wrong_password_and_unknown_user_look_the_same(server):
    wrong = login(server, data={"username": "carol", "password": "bad"})
    unknown = login(server, data={"username": "zed", "password": "bad"})
    for r in (wrong, unknown):
        assert_json(r, 400, {"detail": "LOGIN_BAD_CREDENTIALS"})
    strip = lambda h: {k: v for k, v in h.items()  # noqa: E731
                       if k not in ("Date", "Keep-Alive")}
    assert strip(wrong.headers) == strip(unknown.headers)
    assert wrong.content == unknown.content


def test_unknown_user_takes_as_long_as_a_wrong_password(server):
    """alice has a bcrypt hash (cost 10); without equalisation an unknown
    user is answered in a fraction of that time."""
    def timed(user):
        t = time.monotonic()
        r = login(server, data={"username": user, "password": "bad"})
        assert r.status_code == 400
        return time.monotonic() - t

    for _ in range(8):                        # learn the cost
        timed("alice")
    wrong, unknown = [], []
    for _ in range(6):
        wrong.append(timed("alice"))
        unknown.append(timed("nobody-%d" % len(unknown)))
    w, u = statistics.median(wrong), statistics.median(unknown)
    assert w > 0.01, "bcrypt should take measurable time (%.4f)" % w
    assert u >= 0.6 * w, "unknown user %.4fs vs wrong password %.4fs" % (u, w)


FRESH_CONF = """
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
StartServers 2
DBDriver sqlite3
DBDParams "@ROOT@/db/users.sqlite"
<Location /auth/file/login>
    SetHandler auth-backend-login
    AuthBackendProvider api
    AuthUserFile @ROOT@/users
    Require all granted
</Location>
<Location /auth/dbd/login>
    SetHandler auth-backend-login
    AuthBackendProvider api
    AuthBackendLoginProvider dbd
    AuthDBDUserPWQuery "SELECT hash FROM users WHERE name = %s"
    Require all granted
</Location>
"""


def fresh_server(httpd_factory, users_file=True):
    """A server whose only existing user, alice, has a bcrypt hash of cost
    10: in the password file, or else only in SQLite."""
    h = httpd_factory(FRESH_CONF, start=False, modules=["dbd", "authn_dbd"])
    h.write("secret", SECRET, mode=0o600)
    line = subprocess.run(["htpasswd", "-nbB", "-C", "10", "alice",
                           ALICE_PW], check=True, capture_output=True,
                          text=True).stdout.strip()
    h.write("users", (line if users_file else "# nobody") + "\n")
    os.makedirs(h.path("db"))
    os.chmod(h.path("db"), 0o755)
    db = sqlite3.connect(h.path("db/users.sqlite"))
    db.execute("CREATE TABLE users (name TEXT PRIMARY KEY, hash TEXT)")
    db.execute("INSERT INTO users VALUES (?, ?)",
               ("alice", line.split(":", 1)[1]))
    db.commit()
    db.close()
    os.chmod(h.path("db/users.sqlite"), 0o644)
    return h.start()


def graceful(h):
    """apache2 -k graceful: a new generation of children."""
    n = h.error_log().count("resuming normal operations")
    with open(h.path("run/httpd.pid")) as f:
        os.kill(int(f.read()), signal.SIGUSR1)
    wait_until(lambda: h.error_log().count("resuming normal operations") > n,
               15, 0.1, "a graceful restart")
    time.sleep(0.5)     # for the new children: nothing to poll without mod_status


def first_unknown_then_known(h, path):
    """The first request of fresh children (an unknown user), then a wrong
    password for alice: both times, on a connection of its own."""
    times = []
    for user in ("nobody-%d" % time.monotonic_ns(), "alice"):
        t = time.monotonic()
        r = session().post(h.url(path), timeout=20,
                           headers={"Connection": "close"},
                           data={"username": user, "password": "bad"})
        times.append(time.monotonic() - t)
        assert r.status_code == 400, r.text
    return times


def assert_alike(rounds):
    unknown = statistics.median(u for u, _ in rounds)
    known = statistics.median(k for _, k in rounds)
    assert known > 0.01, "bcrypt should take measurable time: %s" % rounds
    # before: about 1 ms against 50 (the cost was not known yet)
    assert unknown >= 0.5 * known, \
        "unknown user %.4fs vs wrong password %.4fs: %s" % (unknown, known,
                                                           rounds)


def test_an_unknown_user_is_slow_from_the_first_request_of_a_server(
        httpd_factory):
    """The cost of a check is measured on the password file at startup:
    the first request of a new server, and of the children of each
    graceful restart, is padded."""
    h = fresh_server(httpd_factory)
    rounds = [first_unknown_then_known(h, "/auth/file/login")]
    for _ in range(2):
        graceful(h)
        rounds.append(first_unknown_then_known(h, "/auth/file/login"))
    assert_alike(rounds)


def test_the_cost_learned_from_sql_users_outlives_the_children(
        httpd_factory):
    """A password file tells nothing about mod_authn_dbd's hashes: the
    cost is learned from the first check of an existing user, and every
    child, of this generation and the next, pads with it from its first
    request on."""
    h = fresh_server(httpd_factory, users_file=False)
    for _ in range(3):
        assert login(h, "/auth/dbd/login",
                     {"username": "alice", "password": "bad"}) \
            .status_code == 400
    rounds = []
    for _ in range(3):
        graceful(h)
        rounds.append(first_unknown_then_known(h, "/auth/dbd/login"))
    assert_alike(rounds)


def test_failed_logins_are_logged_with_user_and_address(server):
    mark = server.log_mark()
    login(server, data={"username": "carol", "password": "bad-pw-1"})
    login(server, data={"username": "zed\"x", "password": "bad-pw-2"})
    log = server.log_since(mark, "unknown_user")
    assert "auth_backend: event=login_failed reason=wrong_password " \
        "client=127.0.0.1 user=\"carol\" backend=api\n" in log
    # the quote a client sent cannot end the value
    assert "auth_backend: event=login_failed reason=unknown_user " \
        "client=127.0.0.1 user=\"zed%22x\" backend=api\n" in log


# ---- bad requests ------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(server, method):
    r = session().request(method, server.url("/auth/jwt/login"))
    assert_json(r, 405, {"detail": "Method Not Allowed"})
    assert r.headers["Allow"] == "POST"


@pytest.mark.parametrize("ct,body", [
    ("application/json", '{"username":"carol","password":"x"}'),
    ("multipart/form-data; boundary=xx",
     '--xx\r\nContent-Disposition: form-data; name="username"\r\n\r\n'
     'carol\r\n--xx--\r\n'),
    ("text/plain", "username=carol&password=x"),
    ("application/x-www-form-urlencodedX", "username=carol&password=x"),
    (None, "username=carol&password=x"),
])
def test_other_content_types_are_415(server, ct, body):
    headers = {"Content-Type": ct} if ct else {}
    r = session().post(server.url("/auth/jwt/login"), data=body.encode(),
                       headers=headers)
    assert_json(r, 415, {"detail": "Unsupported Media Type"})


def test_body_over_the_default_limit_is_413(server):
    r = login(server, data={"username": "carol", "password": "x" * 9000})
    assert_json(r, 413)


def test_body_limit_is_configurable(server):
    assert login(server, "/auth/small/login").status_code == 200
    r = login(server, "/auth/small/login",
              data={"username": "carol", "password": "x" * 200})
    assert_json(r, 413)


def test_chunked_body_over_the_limit_is_413(server):
    def chunks():
        yield b"username=carol&password="
        for _ in range(50):
            yield b"x" * 1000
    r = session().post(server.url("/auth/jwt/login"), data=chunks(),
                       headers={"Content-Type":
                                "application/x-www-form-urlencoded"})
    assert_json(r, 413)


def test_chunked_body_under_the_limit_is_read(server):
    def chunks():
        yield b"username=carol"
        yield ("&password=" + CAROL_PW).encode()
    r = session().post(server.url("/auth/jwt/login"), data=chunks(),
                       headers={"Content-Type":
                                "application/x-www-form-urlencoded"})
    assert_json(r, 200)


@pytest.mark.parametrize("data,field", [
    ({"password": "x"}, "username"),
    ({"username": "carol"}, "password"),
    ({"username": "", "password": "x"}, "username"),
    ({"username": "carol", "password": ""}, "password"),
    ("", "username"),
    ("username&password", "username"),
])
def test_missing_fields_are_422_naming_the_field(server, data, field):
    r = login(server, data=data, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert_json(r, 422)
    assert r.json()["detail"][0] == {"type": "missing",
                                     "loc": ["body", field],
                                     "msg": "Field required", "input": None}


def test_all_missing_fields_are_listed_as_fastapi_does(server):
    r = login(server, data="grant_type=password", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert_json(r, 422, {"detail": [
        {"type": "missing", "loc": ["body", "username"],
         "msg": "Field required", "input": None},
        {"type": "missing", "loc": ["body", "password"],
         "msg": "Field required", "input": None}]})


def test_empty_grant_type_counts_as_absent(server):
    r = login(server, data={"username": "carol", "password": CAROL_PW,
                            "grant_type": ""})
    assert r.status_code == 200


def test_bad_grant_type_is_422(server):
    r = login(server, data={"username": "carol", "password": CAROL_PW,
                            "grant_type": "client_credentials"})
    assert_json(r, 422)
    assert r.json()["detail"][0]["loc"] == ["body", "grant_type"]


@pytest.mark.parametrize("body,field", [
    ("username=carol&username=dave&password=x", "username"),
    ("username=carol&password=a&password=b", "password"),
    ("username=carol&password=" + CAROL_PW + "%00extra", "password"),
    ("username=car%00ol&password=x", "username"),
    ("username=car%0Aol&password=x", "username"),
    ("username=%FF%FE&password=x", "username"),
    ("username=carol&password=a&grant_type=password&grant_type=password",
     "grant_type"),
    # found by fuzz/fuzz_login: the NUL cut the comparison short
    ("username=carol&password=" + CAROL_PW + "&grant_type=password%00x",
     "grant_type"),
])
def test_ambiguous_or_hostile_fields_are_422(server, body, field):
    r = session().post(server.url("/auth/jwt/login"), data=body,
                       headers={"Content-Type":
                                "application/x-www-form-urlencoded"})
    assert_json(r, 422)
    assert [e["loc"] for e in r.json()["detail"]] == [["body", field]]
    assert "input" not in r.json()["detail"][0]     # never echoed


def test_password_may_hold_any_byte_but_nul(server):
    # a Latin-1 password with a tab: the provider decides (here: wrong)
    r = session().post(server.url("/auth/jwt/login"),
                       data="username=carol&password=caf%E9%09x",
                       headers={"Content-Type":
                                "application/x-www-form-urlencoded"})
    assert_json(r, 400, {"detail": "LOGIN_BAD_CREDENTIALS"})


def test_login_location_without_a_backend_is_500(server):
    mark = server.log_mark()
    r = login(server, "/auth/nobackend/login")
    assert_json(r, 500, {"detail": "Internal Server Error"})
    assert "needs an AuthBackendProvider" in server.log_since(
        mark, "needs an AuthBackendProvider")


# ---- logout -------------------------------------------------------------------

def test_logout_with_a_valid_token_is_204(server):
    token = login(server).json()["access_token"]
    r = session().post(server.url("/auth/jwt/logout"), headers=bearer(token))
    assert r.status_code == 204
    assert r.content == b""


def test_a_jwt_stays_valid_after_logout(server):
    """A JWT cannot be revoked (documented): only Redis and SQL tokens
    are destroyed by logout."""
    token = login(server).json()["access_token"]
    session().post(server.url("/auth/jwt/logout"), headers=bearer(token))
    r = session().get(server.url("/api/data.json"), headers=bearer(token))
    assert r.status_code == 200


def test_logout_without_a_token_is_401(server):
    r = session().post(server.url("/auth/jwt/logout"))
    assert_json(r, 401, {"detail": "Unauthorized"})
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_logout_with_a_bad_token_is_401(server):
    for token in (fastapi_users_token(SECRET, lifetime=-5),
                  fastapi_users_token("not-the-secret-at-all-0123456789")):
        r = session().post(server.url("/auth/jwt/logout"),
                           headers=bearer(token))
        assert_json(r, 401, {"detail": "Unauthorized"})
        assert r.headers["WWW-Authenticate"] == \
            'Bearer realm="api", error="invalid_token"'


def test_logout_needs_post(server):
    token = login(server).json()["access_token"]
    r = session().get(server.url("/auth/jwt/logout"), headers=bearer(token))
    assert_json(r, 405)
    assert r.headers["Allow"] == "POST"


def test_logout_finds_the_backend_of_the_token(server):
    token = login(server).json()["access_token"]     # an "api" token
    r = session().post(server.url("/auth/multi/logout"),
                       headers=bearer(token))
    assert r.status_code == 204


def test_logs_hold_no_password_secret_or_token(server):
    tokens = [login(server).json()["access_token"]]
    log = server.error_log()
    assert "exit signal" not in log
    for secret in (SECRET, ALICE_PW, CAROL_PW, DAVE_PW, ERIN_PW, "bad-pw-1",
                   "bad-pw-2"):
        assert secret not in log
    for t in tokens:
        assert t.split(".")[2] not in log
