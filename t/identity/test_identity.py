"""The identity handed to the application, and AuthBackendOptional, through
a real mod_proxy + mod_proxy_http to a small upstream that echoes the
headers it receives, and through CGI: claims as headers and environment
variables, the user header, sanitised values, and spoofed identity headers
removed on every path (protected, open, optional, failed authentication)."""

import pytest

from harness import session
from tokens import fastapi_users_token
from wait import wait_until

SECRET = "identity-secret-0123456789-abcdefghijklm"
OTHER = "identity-other-0123456789-abcdefghijklmn"

SPOOF = {
    "X-Auth-Claim-role": "admin",
    "x-auth-claim-sub": "mallory",
    "X-Auth-Claim_level": "99",
    "X_AUTH_CLAIM_ORG": "evil",
    "X-Remote-User": "mallory",
    "X_Remote_User": "mallory",
    "X-Unrelated": "kept",
}

CLAIMS_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
env | grep -E '^(AUTH_CLAIM_|MY_|REMOTE_USER=|AUTH_TYPE=|AUTH_BACKEND=|HTTP_X)' | sort
"""


def conf(upstream):
    return """
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend web>
    AuthBackendTransport cookie secure=off
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret
</AuthBackend>
# everywhere: the header the application reads the user from
AuthBackendUserHeader X-Remote-User

ProxyPass /app/ http://127.0.0.1:%(up)d/
ProxyPass /err/ http://127.0.0.1:%(up)d/err/

<Location /app/protected>
    AuthType backend
    AuthName "app"
    AuthBackendProvider api
    AuthBackendPassClaims headers
    Require valid-user
    # a refused request that still reaches the application
    ErrorDocument 401 /err/401
</Location>
<Location /app/admin>
    AuthType backend
    AuthName "app"
    AuthBackendProvider api
    AuthBackendPassClaims headers
    Require token-claim role admin
    ErrorDocument 401 /err/401
</Location>
<Location /app/custom>
    AuthType backend
    AuthName "app"
    AuthBackendProvider api
    AuthBackendPassClaims headers
    AuthBackendClaimPrefix headers X-Jwt-
    Require valid-user
</Location>
<Location /app/protected/quiet>
    AuthBackendPassClaims none
</Location>
<Location /app/noclaims>
    AuthType backend
    AuthName "app"
    AuthBackendProvider api
    Require valid-user
</Location>
<Location /app/optional>
    AuthBackendProvider api web
    AuthBackendOptional On
    AuthBackendPassClaims headers
    Require all granted
</Location>
<Location /app/optional/off>
    AuthBackendOptional Off
</Location>
<Location /app/mixed>
    AuthType backend
    AuthName "app"
    AuthBackendProvider api
    AuthBackendOptional On
    Require valid-user
</Location>
<Location /app/mixed-claim>
    AuthType backend
    AuthName "app"
    AuthBackendProvider api
    AuthBackendOptional On
    AuthBackendPassClaims headers
    Require token-claim role admin
</Location>

ScriptAlias /opt-cgi @ROOT@/cgi/claims
<Location /opt-cgi>
    AuthBackendProvider api
    AuthBackendOptional On
    AuthBackendPassClaims both
    AuthBackendClaimPrefix env MY_
    Require all granted
</Location>
ScriptAlias /env-cgi @ROOT@/cgi/claims
<Location /env-cgi>
    AuthType backend
    AuthName "app"
    AuthBackendProvider api
    AuthBackendPassClaims env
    Require valid-user
</Location>
""" % {"up": upstream}


@pytest.fixture(scope="module")
def server(httpd_factory, upstream):
    h = httpd_factory(conf(upstream.port), start=False,
                      modules=["proxy", "proxy_http"])
    h.write("secret", SECRET, mode=0o600)
    h.write("cgi/claims", CLAIMS_CGI, mode=0o755)
    return h.start()


def tok(secret=SECRET, **claims):
    return fastapi_users_token(secret, **claims)


def echo(h, path, token=None, headers=None, method="GET", cookie=None):
    hd = dict(SPOOF)
    hd.update(headers or {})
    if token:
        hd["Authorization"] = "Bearer " + token
    if cookie:
        hd["Cookie"] = "fastapiusersauth=" + cookie
    r = session().request(method, h.url(path), headers=hd)
    return r


def upstream_headers(r):
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json"
    return r.json()["headers"]


def identity_headers(headers):
    """The identity headers the upstream got, by lower-case name."""
    out = {}
    for k, v in headers:
        lk = k.lower().replace("_", "-")
        if lk.startswith(("x-auth-claim-", "x-remote-user", "x-jwt-")):
            assert lk not in out, ("twice", k)
            out[lk] = v
    return out


def assert_no_spoof(headers):
    names = [k for k, _ in headers]
    assert "X-Unrelated" in names
    for k, v in headers:
        assert v not in ("mallory", "admin", "99", "evil"), (k, v)


def test_protected_claims_as_headers(server):
    h = upstream_headers(echo(server, "/app/protected/x",
                              tok(user="alice", role="editor",
                                  org={"name": "acme"}, level=3)))
    assert_no_spoof(h)
    ids = identity_headers(h)
    assert ids["x-remote-user"] == "alice"
    assert ids["x-auth-claim-sub"] == "alice"
    assert ids["x-auth-claim-role"] == "editor"
    assert ids["x-auth-claim-org"] == '{"name":"acme"}'
    assert ids["x-auth-claim-level"] == "3"
    assert ids["x-auth-claim-aud"] == '["fastapi-users:auth"]'
    assert "x-auth-claim-exp" in ids
    assert "x-jwt-role" not in ids


def test_claims_turned_off_in_a_nested_location(server):
    ids = identity_headers(upstream_headers(
        echo(server, "/app/protected/quiet/x", tok(user="hal", role="r"))))
    assert ids == {"x-remote-user": "hal"}


def test_claims_not_passed_by_default(server):
    ids = identity_headers(upstream_headers(
        echo(server, "/app/noclaims/x", tok(user="alice", role="editor"))))
    assert ids == {"x-remote-user": "alice"}


def test_custom_header_prefix(server):
    h = upstream_headers(echo(server, "/app/custom/x", tok(role="user"),
                              headers={"X-Jwt-role": "admin",
                                       "X_JWT_Level": "99"}))
    # the default prefix is removed there too
    assert_no_spoof(h)
    ids = identity_headers(h)
    assert ids["x-jwt-role"] == "user"
    assert ids["x-jwt-sub"] == "alice"
    assert "x-jwt-level" not in ids
    assert not [k for k in ids if k.startswith("x-auth-claim")]


def test_open_location_is_scrubbed(server):
    h = upstream_headers(echo(server, "/app/open"))
    assert_no_spoof(h)
    assert identity_headers(h) == {}


def test_failed_authentication_is_scrubbed(server):
    """A refused request that reaches the application anyway (a proxied
    ErrorDocument) carries no spoofed identity."""
    for path, token in (("/app/protected/x", None),
                        ("/app/protected/x", "bad.token.here"),
                        ("/app/admin/x", tok(role="user"))):
        r = echo(server, path, token)
        # (the status is the upstream's: mod_proxy passes it on)
        body = r.json()
        assert body["path"] == "/err/401"
        assert_no_spoof(body["headers"])
        assert identity_headers(body["headers"]) == {}


def test_values_are_sanitised(server):
    long_value = "x" * 5000
    ids = identity_headers(upstream_headers(echo(
        server, "/app/protected/x",
        tok(user="alice", note="line1\r\nX-Injected: 1\tend\x7f",
            big=long_value,
            **{"odd name/é": "v", "https://example.com/roles": ["a"]}))))
    assert ids["x-auth-claim-note"] == "line1  X-Injected: 1 end "
    assert "x-auth-claim-big" not in ids
    assert ids["x-auth-claim-odd-name---"] == "v"       # é: 2 bytes
    assert ids["x-auth-claim-https---example-com-roles"] == '["a"]'
    assert "x-injected" not in ids


def test_optional_without_token(server):
    for token in (None, "garbage", tok(OTHER), tok(lifetime=-100)):
        h = upstream_headers(echo(server, "/app/optional/x", token))
        assert_no_spoof(h)
        assert identity_headers(h) == {}, token


def test_optional_with_token(server):
    ids = identity_headers(upstream_headers(
        echo(server, "/app/optional/x", tok(user="bob", role="r"))))
    assert ids["x-remote-user"] == "bob"
    assert ids["x-auth-claim-role"] == "r"
    # Off in a nested location: anonymous again
    ids = identity_headers(upstream_headers(
        echo(server, "/app/optional/off/x", tok(user="bob"))))
    assert ids == {}


def test_optional_access_log_and_no_401(server):
    mark = len(server.read("logs/access_log"))
    assert echo(server, "/app/optional/y", tok(user="carol")).status_code \
        == 200
    assert echo(server, "/app/optional/y", "bad").status_code == 200
    # httpd writes the access log line after the answer has gone out
    wait_until(lambda: server.read("logs/access_log")[mark:].count(
        '"GET /app/optional/y') >= 2, 10, 0.05, "both access log lines")
    log = server.read("logs/access_log")[mark:]
    assert ' carol "GET /app/optional/y' in log
    assert ' - "GET /app/optional/y' in log


def test_optional_cookie_csrf(server):
    """A cookie identifies a same-site request only: a cross-site POST
    goes through anonymously (it is not refused: nothing required a
    user), a same-origin one is authenticated."""
    c = tok(user="dave")
    ids = identity_headers(upstream_headers(
        echo(server, "/app/optional/x", method="POST", cookie=c,
             headers={"Origin": "http://evil.example"})))
    assert ids == {}
    ids = identity_headers(upstream_headers(
        echo(server, "/app/optional/x", method="POST", cookie=c,
             headers={"Origin": server.url("")})))
    assert ids["x-remote-user"] == "dave"
    ids = identity_headers(upstream_headers(
        echo(server, "/app/optional/x", cookie=c)))
    assert ids["x-remote-user"] == "dave"


def test_optional_and_required(server):
    """Optional On where a rule needs a user: a bad token is still 401,
    decided once."""
    assert echo(server, "/app/mixed/x", tok()).status_code == 200
    mark = server.log_mark()
    r = echo(server, "/app/mixed/x", tok(OTHER))
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == \
        'Bearer realm="app", error="invalid_token"'
    log = server.log_since(mark, wait_for="event=token_refused")
    assert log.count("event=token_refused") == 1
    assert echo(server, "/app/mixed/x").status_code == 401


def test_optional_and_a_claim_rule(server):
    """The rule decides as without Optional: 401 (not 403) for the wrong
    role, 401 without a token."""
    ids = identity_headers(upstream_headers(
        echo(server, "/app/mixed-claim/x", tok(user="gil", role="admin"))))
    assert ids["x-remote-user"] == "gil"
    assert echo(server, "/app/mixed-claim/x", tok(role="user")).status_code \
        == 401
    assert echo(server, "/app/mixed-claim/x").status_code == 401
    assert echo(server, "/app/mixed-claim/x", "bad").status_code == 401


def cgi_env(r):
    assert r.status_code == 200, (r.status_code, r.text)
    return dict(line.split("=", 1) for line in r.text.splitlines() if line)


def test_environment_for_cgi(server):
    env = cgi_env(echo(server, "/env-cgi", tok(user="erin", role="r")))
    assert env["REMOTE_USER"] == "erin"
    assert env["AUTH_TYPE"] == "backend"
    assert env["AUTH_BACKEND"] == "api"
    assert env["AUTH_CLAIM_role"] == "r"
    assert env["AUTH_CLAIM_sub"] == "erin"
    # spoofed headers never reach the CGI either
    assert not [k for k in env if "CLAIM" in k and k.startswith("HTTP_")]
    assert env["HTTP_X_REMOTE_USER"] == "erin"


def test_optional_environment_for_cgi(server):
    env = cgi_env(echo(server, "/opt-cgi", tok(user="fay", role="r")))
    assert env["REMOTE_USER"] == "fay"
    assert env["AUTH_TYPE"] == "backend"
    assert env["AUTH_BACKEND"] == "api"
    assert env["MY_role"] == "r"
    assert env["HTTP_X_AUTH_CLAIM_ROLE"] == "r"       # both
    assert env["HTTP_X_REMOTE_USER"] == "fay"
    env = cgi_env(echo(server, "/opt-cgi", "bad"))
    assert "REMOTE_USER" not in env
    assert not [k for k in env if k.startswith(("MY_", "AUTH_"))]
    assert "HTTP_X_REMOTE_USER" not in env
    assert "HTTP_X_AUTH_CLAIM_ROLE" not in env


@pytest.mark.parametrize("line,message", [
    ("AuthBackendPassClaims some", "must be none, env, headers or both"),
    ("AuthBackendClaimPrefix env 1X", "must start with a letter"),
    ("AuthBackendClaimPrefix env A-B", "must start with a letter"),
    ("AuthBackendClaimPrefix headers X", "at least two characters"),
    ("AuthBackendClaimPrefix headers X:Y", "at least two characters"),
    ("AuthBackendClaimPrefix cookie X-", "env|headers PREFIX"),
    ("AuthBackendUserHeader X:User", "is not a header name"),
    ("AuthBackendUserHeader cookie", "is a header of the request itself"),
    ("AuthBackendClaimPrefix headers Co", "Cookie would be one of them"),
    ("AuthBackendOptional maybe", "must be On or Off"),
])
def test_config_errors(httpd_config, line, message):
    h = httpd_config("<Location /x>\n%s\n</Location>\n" % line)
    r = h.check()
    assert r.returncode != 0
    assert message in r.stderr, r.stderr


@pytest.mark.parametrize("line", [
    "AuthBackendPassClaims both", "AuthBackendUserHeader X-User",
    "AuthBackendOptional On", "AuthBackendClaimPrefix env X_"])
def test_not_inside_backend(httpd_config, line):
    h = httpd_config("<AuthBackend a>\nAuthBackendTransport bearer\n"
                     "AuthBackendStrategy jwt secret=file:@ROOT@/s\n%s\n"
                     "</AuthBackend>\n" % line)
    h.write("s", SECRET, mode=0o600)
    r = h.check()
    assert r.returncode != 0
    assert "not allowed inside <AuthBackend>" in r.stderr, r.stderr
