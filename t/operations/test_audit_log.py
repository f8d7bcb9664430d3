"""The audit log (README: Audit log) over a run that logs in and out of
every transport and strategy and has every kind of token refused, CSRF
refusal, failed and throttled login, at LogLevel trace8:

- each event is there with its reason, in the one format, at its level;
- no token, password or secret used in the run is anywhere in the logs but
  in the lines of httpd's own modules that docs/throttling-and-audit.md
  (Other messages) lists: the run loads mod_http2 and mod_ssl and makes
  HTTP/2 requests (h2 over TLS, h2c with prior knowledge and by Upgrade);
- the shipped fail2ban filter, run by fail2ban-regex and by Python's re,
  finds exactly the failed and address-throttled clients, and no address
  that a client wrote into a user name or a Referer.
"""

import json
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import time
from urllib.parse import quote, quote_plus

import pytest

from audit_log import events, select
from harness import REPO, free_port, session
from redis_server import RedisServer, backend_locations
from tokens import (AUDIENCE, b64, claims, fastapi_users_token, hs_sign,
                    raw_token)

SECRET = "audit-api-secret-0123456789-abcdefghijkl"
WEB_SECRET = "audit-web-secret-9876543210-zyxwvutsrqp"
OTHER_SECRET = "audit-other-secret-5555555555-qqqqqqqqqq"
REDIS_PASSWORD = "audit-redis-Pa55-w0rd-7777"
# passwords with characters that an encoder would change
PASSWORDS = {"alice": "al1ce pa%ss=word&x", "carol": "car0l+Pa55/w=rd",
             "dave": "dave-Pa55 word"}
WRONG = ["wr0ng pa%ss=1", "wr0ng-Pa55-2", "wrong+pass/3"]

BACKENDS = ("api", "rsa", "web", "rtok", "db")

WARN = {"login_failed", "login_throttled", "token_refused", "csrf_refused"}
INFO = {"login_succeeded", "login_rejected", "logout", "logout_rejected"}


def config(keydir, redis_port, tls_port):
    return """
Protocols h2 h2c http/1.1
Listen 127.0.0.1:%(tls)d
<VirtualHost 127.0.0.1:%(tls)d>
    SSLEngine on
    SSLCertificateFile @ROOT@/tls.crt
    SSLCertificateKeyFile %(k)s/rsa.key
</VirtualHost>
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
DBDriver sqlite3
DBDParams "@ROOT@/db/tokens.sqlite"
AuthBackendLoginThrottle user=3/60 address=6/60

<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend rsa>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt algorithm=RS256 private-key=file:%(k)s/rsa.key
</AuthBackend>
<AuthBackend web>
    AuthBackendTransport cookie secure=off
    AuthBackendStrategy jwt secret=file:@ROOT@/web-secret
</AuthBackend>
<AuthBackend rtok>
    AuthBackendTransport bearer
    AuthBackendStrategy redis url=redis://127.0.0.1:%(r)d/0 password=file:@ROOT@/redis-password
</AuthBackend>
<AuthBackend db>
    AuthBackendTransport bearer
    AuthBackendStrategy dbd create-table=on
</AuthBackend>
AliasMatch "^/p/[^/]+/(.*)$" "@ROOT@/htdocs/$1"
<Location /basic>
    AuthType Basic
    AuthName "tokens"
    AuthBasicProvider api
    Require valid-user
</Location>
Alias /basic "@ROOT@/htdocs/index.html"
""" % {"k": keydir, "r": redis_port, "tls": tls_port} + "".join(backend_locations(n)
                                              for n in BACKENDS)


class Run:
    """The server, and every token, password and secret the run used."""

    def __init__(self, h, redis, keydir):
        self.h = h
        self.redis = redis
        self.used = {SECRET, WEB_SECRET, OTHER_SECRET, REDIS_PASSWORD}
        self.used.update(PASSWORDS.values())
        self.used.update(WRONG)
        with open(os.path.join(keydir, "rsa.key")) as f:
            self.used.update(line for line in f.read().splitlines()
                             if len(line) >= 16 and "-----" not in line)
        with open(os.path.join(keydir, "rsa.pub")) as f:
            self.rsa_pub = f.read()

    def token(self, t):
        self.used.add(t)
        return t

    def url(self, path):
        return self.h.url(path)

    def post(self, path, data=None, headers=None, **kw):
        return session().post(self.url(path), data=data, headers=headers,
                              allow_redirects=False, timeout=30, **kw)

    def get(self, path, headers=None):
        return session().get(self.url(path), headers=headers,
                             allow_redirects=False, timeout=30)

    def login(self, name, user, password, address=None, headers=None):
        hdrs = {"Origin": self.url("")} if name == "web" else {}
        if address:
            hdrs["X-Forwarded-For"] = address
        hdrs.update(headers or {})
        self.used.add(password)
        return self.post("/login/" + name, {"username": user,
                                            "password": password}, hdrs)

    def auth(self, name, token):
        if name == "web":
            return {"Cookie": "fastapiusersauth=" + token}
        return {"Authorization": "Bearer " + self.token(token)}

    def use(self, name, token):
        self.token(token)
        return self.get("/p/%s/index.html" % name, self.auth(name, token))


def issued(run, name, user):
    r = run.login(name, user, PASSWORDS[user])
    if name == "web":
        assert r.status_code == 204, r.text
        return run.token(r.cookies["fastapiusersauth"])
    assert r.status_code == 200, r.text
    return run.token(r.json()["access_token"])


def exercise(run, keydir):
    h = run.h
    origin = {"Origin": run.url("")}

    # ---- logins, use and logouts on every backend ----
    for name in BACKENDS:
        t = issued(run, name, "alice")
        assert run.use(name, t).status_code == 200
        hdrs = dict(run.auth(name, t), **origin)
        assert run.post("/logout/" + name, headers=hdrs).status_code == 204
        if name in ("rtok", "db"):
            assert run.use(name, t).status_code == 401      # revoked

    # ---- tokens refused by the jwt strategy ----
    now = int(time.time())
    api = {
        "bad_signature": fastapi_users_token(OTHER_SECRET),
        "expired": fastapi_users_token(SECRET, lifetime=-60),
        "wrong_audience": fastapi_users_token(SECRET, audience="other"),
        "missing_claim": fastapi_users_token(SECRET, lifetime=None),
        "invalid_claim": hs_sign({"alg": "HS256", "typ": "JWT"},
                                 {"sub": "alice", "aud": AUDIENCE,
                                  "exp": "tomorrow"}, SECRET),
        "not_yet_valid": hs_sign({"alg": "HS256", "typ": "JWT"},
                                 claims(nbf=now + 3600), SECRET),
        "wrong_algorithm": raw_token({"alg": "none", "typ": "JWT"},
                                     claims()),
        "unsupported_header": hs_sign({"alg": "HS256", "crit": ["exp"]},
                                      claims(), SECRET),
        "malformed": "e30." + b64("not json") + "." + b64("sig-bytes-xx"),
    }
    for reason, t in api.items():
        assert run.use("api", t).status_code == 401, reason
    # HS384 within the family, and HS256 keyed with the RSA public key
    assert run.use("api", hs_sign({"alg": "HS384"}, claims(), SECRET,
                                  "sha384")).status_code == 401
    assert run.use("rsa", hs_sign({"alg": "HS256"}, claims(),
                                  run.rsa_pub)).status_code == 401
    # the bearer transport: empty and malformed
    for value in ("Bearer", "Bearer a,b"):
        assert run.get("/p/api/index.html",
                       {"Authorization": value}).status_code == 401
    # an opaque token at a JWT-only location
    assert run.use("api", secrets.token_urlsafe()).status_code == 401

    # ---- the cookie transport ----
    good = issued(run, "web", "carol")
    other = run.token(fastapi_users_token(WEB_SECRET, user="mallory"))
    for cookie in ("fastapiusersauth=a\"b",
                   "fastapiusersauth=%s; fastapiusersauth=%s" % (good,
                                                                 other)):
        assert run.get("/p/web/index.html",
                       {"Cookie": cookie}).status_code == 401
    assert run.use("web", fastapi_users_token(WEB_SECRET, lifetime=-5)) \
        .status_code == 401

    # ---- stores: unknown tokens, unusable users ----
    for name in ("rtok", "db"):
        assert run.use(name, secrets.token_urlsafe()).status_code == 401
    bad = run.token(secrets.token_urlsafe())
    run.redis.client().set("fastapi_users_token:" + bad, "bad\x01user")
    assert run.use("rtok", bad).status_code == 401
    bad = run.token(secrets.token_urlsafe())
    db = sqlite3.connect(h.path("db/tokens.sqlite"))
    db.execute("INSERT INTO accesstoken VALUES (?, ?, ?)",
               (bad, time.strftime("%Y-%m-%d %H:%M:%S.000000",
                                   time.gmtime()), "bad\x02user"))
    db.commit()
    db.close()
    assert run.use("db", bad).status_code == 401

    # ---- tokens over Basic ----
    t = issued(run, "api", "alice")
    basic = {"Authorization": "Basic " + b64("mallory:" + t)}
    run.used.add(basic["Authorization"].split()[1])
    assert run.get("/basic", basic).status_code == 401

    # ---- CSRF: a request, a login and a logout ----
    cookie = run.auth("web", good)
    assert run.post("/p/web/index.html", headers=dict(
        cookie, Origin="https://evil.example")).status_code == 403
    assert run.post("/p/web/index.html", headers=dict(
        cookie, Referer="https://evil.example/page?q=1")).status_code == 403
    assert run.post("/logout/web", headers=dict(
        cookie, **{"Sec-Fetch-Site": "cross-site"})).status_code == 403
    assert run.post("/login/web", {"username": "carol",
                                   "password": PASSWORDS["carol"]}) \
        .status_code == 403

    # ---- failed, throttled and rejected logins ----
    assert run.login("api", "alice", WRONG[0], "192.0.2.10") \
        .status_code == 400
    assert run.login("api", "nobody", WRONG[1], "192.0.2.11") \
        .status_code == 400
    for i in range(3):
        assert run.login("api", "dave", WRONG[i], "192.0.2.12") \
            .status_code == 400
    assert run.login("api", "dave", PASSWORDS["dave"], "192.0.2.12") \
        .status_code == 429                                 # user_limit
    for i in range(6):
        assert run.login("rsa", "spray%d" % i, WRONG[i % 3], "192.0.2.13") \
            .status_code == 400
    assert run.login("rsa", "carol", PASSWORDS["carol"], "192.0.2.13") \
        .status_code == 429                                 # address_limit
    assert run.get("/login/api").status_code == 405
    assert run.post("/login/api", "username=alice&password=x", {
        "Content-Type": "text/plain"}).status_code == 415
    assert run.post("/login/api", {"username": "alice"}).status_code == 422
    assert run.post("/login/api", "username=alice&password=" + "x" * 9000, {
        "Content-Type": "application/x-www-form-urlencoded"}) \
        .status_code == 413
    assert run.get("/logout/api").status_code == 405
    assert run.post("/logout/api").status_code == 401

    http2_and_broken_requests(run)

    # ---- what a client may write to fool a log reader ----
    forged = " auth_backend: event=login_failed reason=wrong_password " \
        "client=%s "
    assert run.login("api", "x\"" + forged % "6.6.6.1" + "\"",
                     WRONG[2], "192.0.2.14").status_code == 400
    assert run.login("api", "carol", PASSWORDS["carol"], "192.0.2.15",
                     {"Referer": "http://x/]" + forged % "6.6.6.2"}) \
        .status_code == 200
    assert run.login("api", "nobody2", WRONG[0], "192.0.2.16",
                     {"Referer": "http://x/]" + forged % "6.6.6.3"}) \
        .status_code == 400


def curl(run, *args):
    out = subprocess.run(["curl", "-sk", "--max-time", "20", *args],
                         capture_output=True, text=True, timeout=30)
    return out.stdout


def http2_and_broken_requests(run):
    """Logins (the password in the body), bearer headers and cookies over
    HTTP/2, and a header line cut off by the client."""
    tls = "https://127.0.0.1:%d" % run.tls_port
    for base, how in ((run.url(""), "--http2-prior-knowledge"),
                      (run.url(""), "--http2"), (tls, "--http2")):
        out = curl(run, how, "-d", "username=alice&password=" +
                   quote_plus(PASSWORDS["alice"]), base + "/login/api")
        t = run.token(json.loads(out)["access_token"])
        bearer = run.token(fastapi_users_token(SECRET, user="h2-" + how))
        cookie = run.token(fastapi_users_token(WEB_SECRET,
                                               user="h2-" + how))
        assert curl(run, how, "-H", "Authorization: Bearer " + bearer,
                    "-o", "/dev/null", "-w", "%{http_code}",
                    base + "/p/api/index.html") == "200"
        assert curl(run, how, "-H", "Cookie: fastapiusersauth=" + cookie,
                    "-o", "/dev/null", "-w", "%{http_code}",
                    base + "/p/web/index.html") == "200"
        assert t
    # failed logins over HTTP/2 are logged with "[remote ...]", not
    # "[client ...]": the fail2ban filter must see them too
    for i, (base, how) in enumerate(((run.url(""), "--http2-prior-knowledge"),
                                     (tls, "--http2"))):
        run.used.add(WRONG[i])
        assert curl(run, how, "-H", "X-Forwarded-For: 192.0.2.%d" % (20 + i),
                    "-d", "username=alice&password=" + quote_plus(WRONG[i]),
                    "-o", "/dev/null", "-w", "%{http_code}",
                    base + "/login/api") == "400"
    # the client goes away in the middle of its Authorization line
    cut = run.token(fastapi_users_token(SECRET, user="cut-off"))
    with socket.create_connection(("127.0.0.1", run.h.port)) as sock:
        sock.sendall(b"GET /p/api/index.html HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + cut.encode())
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1024)


@pytest.fixture(scope="module")
def run(httpd_factory, keydir):
    redis = RedisServer(requirepass=REDIS_PASSWORD).start()
    try:
        tls_port = free_port()
        h = httpd_factory(config(str(keydir), redis.port, tls_port),
                          start=False,
                          modules=["dbd", "auth_basic", "socache_shmcb",
                                   "remoteip", "http2", "ssl"],
                          loglevel="trace8")
        subprocess.run(["openssl", "req", "-x509", "-key",
                        os.path.join(str(keydir), "rsa.key"), "-out",
                        h.path("tls.crt"), "-days", "2", "-subj",
                        "/CN=127.0.0.1"], check=True, capture_output=True)
        h.write("secret", SECRET, mode=0o600)
        h.write("web-secret", WEB_SECRET, mode=0o600)
        h.write("redis-password", REDIS_PASSWORD, mode=0o600)
        h.write("users", "".join(
            subprocess.run(["htpasswd", "-nbs", u, pw], check=True,
                           capture_output=True, text=True).stdout
            for u, pw in PASSWORDS.items()))
        os.makedirs(h.path("db"))
        os.chown(h.path("db"), *www_data())
        h.start()
        r = Run(h, redis, str(keydir))
        r.tls_port = tls_port
        exercise(r, str(keydir))
        # the last line of the run is there: the log is complete
        h.log_since(0, "6.6.6.3")
        yield r
    finally:
        redis.cleanup()


def www_data():
    import pwd
    try:
        pw = pwd.getpwnam("www-data")
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        return os.getuid(), os.getgid()


# ---- events --------------------------------------------------------------------

EXPECTED = [
    # event, reason, backend (None: no backend field)
    ("login_succeeded", None, n) for n in BACKENDS] + [
    ("logout", None, n) for n in BACKENDS] + [
    ("token_refused", r, "api") for r in (
        "bad_signature", "expired", "wrong_audience", "missing_claim",
        "invalid_claim", "not_yet_valid", "wrong_algorithm",
        "unsupported_header", "malformed")] + [
    ("token_refused", "wrong_algorithm", "rsa"),
    ("token_refused", "unrecognized", None),
    ("token_refused", "malformed", "web"),
    ("token_refused", "duplicate", "web"),
    ("token_refused", "expired", "web"),
    ("token_refused", "unknown", "rtok"),
    ("token_refused", "unknown", "db"),
    ("token_refused", "bad_user", "rtok"),
    ("token_refused", "bad_user", "db"),
    ("token_refused", "user_mismatch", "api"),
    ("csrf_refused", "foreign_origin", None),
    ("csrf_refused", "foreign_referer", None),
    ("csrf_refused", "cross_site", None),
    ("csrf_refused", "no_origin", None),
    ("login_failed", "wrong_password", "api"),
    ("login_failed", "unknown_user", "api"),
    ("login_throttled", "user_limit", "api"),
    ("login_throttled", "address_limit", "rsa"),
    ("login_rejected", "method", None),
    ("login_rejected", "content_type", None),
    ("login_rejected", "invalid_form", None),
    ("login_rejected", "body_too_large", None),
    ("logout_rejected", "method", None),
    ("logout_rejected", "no_valid_token", None),
]


@pytest.mark.parametrize("event,reason,backend", EXPECTED)
def test_every_event_is_logged_with_its_reason(run, event, reason,
                                               backend):
    found = [e for e in events(run.h.error_log())
             if e["event"] == event and e.get("reason") == reason
             and e.get("backend") == backend]
    assert found, "no %s reason=%s backend=%s" % (event, reason, backend)


def test_every_audit_line_is_in_the_format_at_its_level(run):
    found = events(run.h.error_log())
    assert len(found) > len(EXPECTED)
    for e in found:
        assert e["event"] in WARN | INFO, e["_line"]
        assert e["_level"] == ("warn" if e["event"] in WARN else "info"), \
            e["_line"]
        assert re.fullmatch(r"[0-9a-f.:]+", e["client"]), e["_line"]
        if e["event"] != "login_succeeded" and e["event"] != "logout":
            assert e.get("reason"), e["_line"]
    # the address a client wrote stays inside its user value
    e = select(found, client="192.0.2.14")[0]
    assert e["user"] == "x\"" + " auth_backend: event=login_failed " \
        "reason=wrong_password client=6.6.6.1 \""
    assert ' user="x%22 auth_backend: event%3Dlogin_failed reason%3D' \
        'wrong_password client%3D6.6.6.1 %22" ' in e["_line"]


def test_the_details(run):
    found = events(run.h.error_log())
    assert select(found, event="token_refused", reason="bad_signature",
                  backend="api")[0]["detail"] == \
        "its signature does not verify"
    assert select(found, event="token_refused", reason="wrong_algorithm",
                  backend="api")[0]["detail"] == \
        "its algorithm 'none' is not the configured HS256"
    assert select(found, event="token_refused", reason="malformed",
                  backend="web")[0]["detail"] == \
        "malformed token in cookie fastapiusersauth (3 bytes)"
    assert select(found, event="logout", backend="api")[0]["detail"] == \
        "the token stays valid until it expires"
    assert "detail" not in select(found, event="logout", backend="rtok")[0]
    t = select(found, event="login_throttled", reason="address_limit")[0]
    assert t["client"] == "192.0.2.13" and t["user"] == "carol"
    assert 55 <= int(t["retry_after"]) <= 60
    c = select(found, event="csrf_refused", reason="cross_site")[0]
    assert c["action"] == "logout" and c["user"] == "carol"
    assert select(found, event="csrf_refused", reason="no_origin")[0][
        "action"] == "login"


# ---- nothing secret ------------------------------------------------------------

def variants(secret):
    """SECRET as it could show up in a log: as sent, URL- and
    form-encoded, percent-encoded by the audit format, JWT parts."""
    out = {secret, quote(secret, safe=""), quote_plus(secret)}
    out.add(re.sub(r'["%\\=]|[^ -~]',
                   lambda m: "%%%02X" % ord(m.group()), secret))
    parts = secret.split(".")
    if len(parts) == 3:
        out.add(parts[0] + "." + parts[1])       # the signing input
        out.update(p for p in parts[2:] if len(p) >= 16)
    return out


# The lines of httpd's own modules that hold credentials, whatever this
# module does (docs/throttling-and-audit.md, Other messages, lists them):
# name -> a pattern of the line after its "[module:level] [pid ...] "
EXPOSING = {
    # every request and response header, at trace4 and above of "http"
    "http:trace4": r"\[http:trace4\] \[pid [^]]+\] http_(?:request|filters)"
                   r"\.c\(\d+\): \[(?:client|remote) [^]]+\]   "
                   r"(?:Authorization|Cookie|Set-Cookie): ",
    # each header of an HTTP/2 stream as it arrives, at trace2
    "http2:trace2": r"\[http2:trace2\] \[pid [^]]+\] h2_stream\.c\(\d+\): "
                    r"\[client [^]]+\] h2_stream\([^)]+\): add_header: "
                    r"'(?:authorization|cookie): ",
    # the request body of an HTTP/2 stream (a login's password), at trace3
    "http2:trace3": r"\[http2:trace3\] \[pid [^]]+\] h2_stream\.c\(\d+\): "
                    r"\[client [^]]+\] h2_stream\([^)]+\): recv DATA, ",
    # the request headers of an HTTP/2 stream, at trace4
    "http2:trace4": r"\[http2:trace4\] \[pid [^]]+\] h2_stream\.c\(\d+\): "
                    r"\[client [^]]+\] h2_stream\([^)]+\):   "
                    r"(?:Authorization|Cookie): ",
    # a header line the client cut off, quoted by httpd's core at debug
    "core:debug": r"\[core:debug\] \[pid [^]]+\] protocol\.c\(\d+\): .*"
                  r"\[client [^]]+\] Failed to read request header line ",
}


def exposing(line):
    for name, rx in EXPOSING.items():
        if re.search(rx, line):
            return name
    return None


def test_no_token_password_or_secret_in_any_log(run):
    """The whole error log at LogLevel trace8, every module included
    (mod_http2 and mod_ssl too), and the access log.  The only lines that
    may hold a credential are those of httpd's own modules listed in
    EXPOSING, and each kind must be there (the run was at trace8 and
    exercised them): the documentation lists what really happens."""
    error_log = run.h.error_log().splitlines()
    kinds = {}
    for ln in error_log:
        kinds.setdefault(exposing(ln), []).append(ln)
    for name in EXPOSING:
        assert len(kinds.get(name, [])) >= (20 if name == "http:trace4"
                                             else 1), name
    logs = {"error_log": "\n".join(kinds.get(None, [])),
            "access_log": run.h.read("logs/access_log")}
    assert len(run.used) > 40
    for secret in run.used:
        for v in variants(secret):
            for name, text in logs.items():
                assert v not in text, "a secret in %s: %r" % (name, v[:12])


def test_the_exposing_lines_do_hold_credentials(run):
    """Each kind of EXPOSING line does show a credential of the run (else
    the documentation would warn about nothing)."""
    text = run.h.error_log().splitlines()
    for name in EXPOSING:
        lines = "\n".join(ln for ln in text if exposing(ln) == name)
        assert any(v in lines for s in run.used for v in variants(s)), name


# The LogLevel docs/throttling-and-audit.md (Other messages) gives for
# troubleshooting: everything at trace8 but the three modules of EXPOSING
SAFE_LOGLEVEL = "trace8 core:info http:trace3 http2:trace1"


def test_the_documented_safe_loglevel_logs_no_credential(httpd_factory,
                                                         keydir):
    """The same HTTP/2 logins, headers and cut-off line, with mod_http2 and
    mod_ssl loaded, at the documented LogLevel: no credential anywhere."""
    doc = open(os.path.join(REPO, "docs", "throttling-and-audit.md")).read()
    assert "LogLevel " + SAFE_LOGLEVEL + "\n" in doc
    tls_port = free_port()
    h = httpd_factory(SAFE_CONF % {"tls": tls_port, "k": str(keydir)}
                      + "".join(backend_locations(n) for n in ("api", "web")),
                      start=False, loglevel=SAFE_LOGLEVEL,
                      modules=["auth_basic", "http2", "ssl",
                               "socache_shmcb"])
    h.write("secret", SECRET, mode=0o600)
    h.write("web-secret", WEB_SECRET, mode=0o600)
    h.write("users", subprocess.run(
        ["htpasswd", "-nbs", "alice", PASSWORDS["alice"]], check=True,
        capture_output=True, text=True).stdout)
    subprocess.run(["openssl", "req", "-x509", "-key",
                    os.path.join(str(keydir), "rsa.key"), "-out",
                    h.path("tls.crt"), "-days", "2", "-subj",
                    "/CN=127.0.0.1"], check=True, capture_output=True)
    h.start()
    r = Run.__new__(Run)
    r.h, r.tls_port = h, tls_port
    r.used = {SECRET, WEB_SECRET, PASSWORDS["alice"]}
    http2_and_broken_requests(r)
    assert r.login("api", "alice", PASSWORDS["alice"]).status_code == 200
    h.stop()
    log = h.error_log()
    assert "[http2:trace1]" in log and "[ssl:trace8]" not in log
    assert "[auth_backend:" in log and "[core:trace" in log
    for secret in r.used:
        for v in variants(secret):
            assert v not in log, "a secret in the error log: %r" % v[:12]


SAFE_CONF = """
Protocols h2 h2c http/1.1
Listen 127.0.0.1:%(tls)d
<VirtualHost 127.0.0.1:%(tls)d>
    SSLEngine on
    SSLCertificateFile @ROOT@/tls.crt
    SSLCertificateKeyFile %(k)s/rsa.key
</VirtualHost>
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend web>
    AuthBackendTransport cookie secure=off
    AuthBackendStrategy jwt secret=file:@ROOT@/web-secret
</AuthBackend>
AliasMatch "^/p/[^/]+/(.*)$" "@ROOT@/htdocs/$1"
"""


# ---- fail2ban ------------------------------------------------------------------

def shipped_file(first_line):
    """The shipped fail2ban file whose first line is first_line, a comment
    naming where it is installed: "# /etc/fail2ban/filter.d/X.conf" is
    conf/fail2ban/filter.d/X.conf (docs/throttling-and-audit.md: fail2ban)."""
    path = os.path.join(REPO, "conf", first_line[len("# /etc/"):])
    with open(path) as f:
        block = f.read()
    if not block.startswith(first_line):
        raise AssertionError(path + " does not start with " + first_line)
    return block


def expected_bans(found):
    return sorted(e["client"] for e in found
                  if e["event"] == "login_failed"
                  or (e["event"] == "login_throttled"
                      and e["reason"] == "address_limit"))


def filter_regexes():
    """The shipped filter's failregex lines, as Python regexes."""
    block = shipped_file("# /etc/fail2ban/filter.d/apache-auth-backend.conf")
    prefix = re.search(r"^_prefix = (.*)$", block, re.M).group(1)
    lines = re.search(r"^failregex = (.*?)^ignoreregex", block,
                      re.M | re.S).group(1).split("\n")
    addr = r"(?P<addr>[0-9a-fA-F.:]+)"
    return [re.compile(ln.strip().replace("%(_prefix)s", prefix)
                       .replace("<ADDR>", addr))
            for ln in lines if ln.strip()]


def test_the_readme_fail2ban_filter_in_python(run):
    log = run.h.error_log()
    found = events(log)
    regexes = filter_regexes()
    date = re.compile(r"^\[\w{3} \w{3} \d\d \d\d:\d\d:\d\d(?:\.\d+)? \d{4}\]")
    matched = []
    for line in log.splitlines():
        rest = date.sub("", line, count=1)
        for rx in regexes:
            m = rx.search(rest)
            if m:
                matched.append(m.group("addr"))
                break
    assert sorted(matched) == expected_bans(found)
    assert not [a for a in matched if a.startswith("6.6.6.")]
    assert "192.0.2.13" in matched and "192.0.2.12" in matched


def test_the_readme_fail2ban_filter_with_fail2ban_regex(run, tmp_path):
    filt = tmp_path / "apache-auth-backend.conf"
    filt.write_text(shipped_file(
        "# /etc/fail2ban/filter.d/apache-auth-backend.conf"))
    out = subprocess.run(["fail2ban-regex", "-o", "ip", "--raw",
                          run.h.path("logs/error_log"), str(filt)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    ips = sorted(out.stdout.split())
    found = events(run.h.error_log())
    assert ips == expected_bans(found), out.stdout
    assert not [a for a in ips if a.startswith("6.6.6.")]


def test_the_readme_jail_is_a_valid_fail2ban_configuration(tmp_path):
    """fail2ban-client --test reads a configuration directory holding the
    shipped filter and jail (and fail2ban's own defaults)."""
    etc = "/etc/fail2ban"
    conf = tmp_path / "fail2ban"
    subprocess.run(["cp", "-r", etc, str(conf)], check=True)
    for name in os.listdir(conf / "jail.d"):
        os.remove(conf / "jail.d" / name)
    (conf / "filter.d" / "apache-auth-backend.conf").write_text(
        shipped_file("# /etc/fail2ban/filter.d/apache-auth-backend.conf"))
    jail = shipped_file("# /etc/fail2ban/jail.d/apache-auth-backend.conf")
    log = tmp_path / "error.log"
    log.write_text("")
    (conf / "jail.d" / "apache-auth-backend.conf").write_text(
        jail.replace("/var/log/apache2/error.log", str(log)))
    out = subprocess.run(["fail2ban-client", "-c", str(conf), "--test"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    # the jail is read, with the shipped filter and the log
    out = subprocess.run(["fail2ban-client", "-c", str(conf), "-d"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "['add', 'apache-auth-backend', 'auto']" in out.stdout
    assert "['set', 'apache-auth-backend', 'addlogpath', '%s'" % log \
        in out.stdout
    assert "event=login_failed" in out.stdout
    assert "['set', 'apache-auth-backend', 'maxretry', 10]" in out.stdout
