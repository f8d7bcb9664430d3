"""Identity header names across the configuration (issue #16, items 2
and 5): every user header and claim header prefix named anywhere -- server,
<Location>, .htaccess -- is removed from every request, so a nested
AuthBackendUserHeader adds to the scrub and never switches the server's
off; claims whose names collide for the application are not passed at
all; and a user header that a claim could write is a configuration
error."""

import pytest

from config_check import assert_check_error, line_of
from harness import session
from tokens import fastapi_users_token

SECRET = "identity-names-secret-0123456789-abcdefgh"

CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
env | grep -E '^(AUTH_CLAIM_|REMOTE_USER=|HTTP_X)' | sort
"""


def conf(upstream):
    return """
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret
</AuthBackend>
AuthBackendUserHeader X-Remote-User

ProxyPass /app/ http://127.0.0.1:%(up)d/
<Location /app/other>
    AuthType backend
    AuthName "app"
    AuthBackendProvider api
    # another name here: X-Remote-User must still be removed
    AuthBackendUserHeader X-Other-User
    Require valid-user
</Location>
<Location /app/jwt>
    AuthType backend
    AuthName "app"
    AuthBackendProvider api
    AuthBackendClaimPrefix headers X-Jwt-
    AuthBackendPassClaims headers
    Require valid-user
</Location>
<Location /app/claims>
    AuthType backend
    AuthName "app"
    AuthBackendProvider api
    AuthBackendPassClaims both
    Require valid-user
</Location>
<Location /app/role-admin>
    AuthType backend
    AuthName "app"
    AuthBackendProvider api
    AuthBackendPassClaims headers
    Require token-claim role admin
</Location>

<Directory @ROOT@/htdocs/ht>
    AllowOverride AuthConfig
    Options +ExecCGI
    AddHandler cgi-script .cgi
</Directory>
""" % {"up": upstream}


@pytest.fixture(scope="module")
def server(httpd_factory, upstream):
    h = httpd_factory(conf(upstream.port), start=False,
                      modules=["proxy", "proxy_http"])
    h.write("secret", SECRET, mode=0o600)
    h.write("htdocs/ht/.htaccess", "AuthBackendUserHeader X-Ht-User\n")
    h.write("htdocs/ht/env.cgi", CGI, mode=0o755)
    h.write("htdocs/ht/sub/.htaccess",
            "AuthType backend\nAuthName ht\nAuthBackendProvider api\n"
            "AuthBackendUserHeader X-Sub-User\nRequire valid-user\n")
    h.write("htdocs/ht/sub/env.cgi", CGI, mode=0o755)
    h.write("htdocs/ht/bad/.htaccess",
            "AuthType backend\nAuthName ht\nAuthBackendProvider api\n"
            "AuthBackendClaimPrefix headers X-Ht-\n"
            "AuthBackendPassClaims headers\nRequire valid-user\n")
    h.write("htdocs/ht/bad/env.cgi", CGI, mode=0o755)
    h.write("htdocs/ht/same/.htaccess",
            "AuthBackendUserHeader X-Same-User\n"
            "AuthBackendClaimPrefix headers X-Same-\n")
    h.write("htdocs/ht/same/env.cgi", CGI, mode=0o755)
    h.write("htdocs/ht/server/.htaccess",
            "AuthBackendClaimPrefix headers X_Remote_\n")
    h.write("htdocs/ht/server/env.cgi", CGI, mode=0o755)
    return h.start()


def tok(**claims):
    return fastapi_users_token(SECRET, **claims)


def get(h, path, token=None, headers=None):
    hd = dict(headers or {})
    if token:
        hd["Authorization"] = "Bearer " + token
    return session().get(h.url(path), headers=hd)


def upstream_headers(r):
    assert r.status_code == 200, (r.status_code, r.text)
    return {k.lower(): v for k, v in r.json()["headers"]}


def cgi_env(r):
    assert r.status_code == 200, (r.status_code, r.text)
    return dict(line.split("=", 1) for line in r.text.splitlines() if line)


SPOOF = {"X-Remote-User": "admin", "X-Other-User": "admin",
         "X_Jwt_Role": "admin", "X-Ht-User": "admin", "X-Sub-User": "admin",
         "X-Kept": "kept"}


def test_a_nested_user_header_keeps_the_servers_removed(server):
    """The attack of issue #16 item 2: a location that names another user
    header, a valid token for alice, and X-Remote-User: admin sent by the
    client."""
    h = upstream_headers(get(server, "/app/other/x", tok(user="alice"),
                             SPOOF))
    assert h["x-other-user"] == "alice"
    assert "x-remote-user" not in h
    assert "x-jwt-role" not in h
    assert h["x-kept"] == "kept"


def test_every_name_is_removed_everywhere(server):
    """A name given in one location is removed on every other one,
    protected or open: the application behind them may trust it.  (Those
    of a .htaccess file are removed below its directory only: httpd reads
    it for those requests alone.)"""
    spoof = dict(SPOOF)
    del spoof["X-Ht-User"], spoof["X-Sub-User"]
    for path, token in (("/app/open", None), ("/app/jwt/x", tok()),
                        ("/app/other/x", None)):
        r = get(server, path, token, spoof)
        if path == "/app/other/x":
            assert r.status_code == 401
            continue
        h = upstream_headers(r)
        assert [k for k in h if h[k] == "admin"] == [], path
        assert h["x-kept"] == "kept"


def test_htaccess_names_add_up(server):
    """A .htaccess below another one: its user header, its parent's and
    the server's are all removed."""
    env = cgi_env(get(server, "/ht/sub/env.cgi", tok(user="bob"), SPOOF))
    assert env["HTTP_X_SUB_USER"] == "bob"
    assert env["HTTP_X_KEPT"] == "kept"
    assert "HTTP_X_HT_USER" not in env
    assert "HTTP_X_REMOTE_USER" not in env
    assert "HTTP_X_OTHER_USER" not in env
    env = cgi_env(get(server, "/ht/env.cgi", None, SPOOF))
    assert [k for k in env if env[k] == "admin"] == ["HTTP_X_SUB_USER"], env


def test_htaccess_prefix_over_a_user_header_is_refused(server):
    """X-Ht- in .htaccess would let a claim write X-Ht-User of the parent
    directory: the request fails closed, with the reason in the log."""
    mark = server.log_mark()
    r = get(server, "/ht/bad/env.cgi", tok(user="bob"), SPOOF)
    assert r.status_code == 500
    log = server.log_since(mark, wait_for="X-Ht-User")
    assert "AuthBackendUserHeader X-Ht-User starts with the claim header " \
        "prefix X-Ht-" in log


@pytest.mark.parametrize("path,message", [
    ("/ht/same/env.cgi", "AuthBackendClaimPrefix headers X-Same-: the "
     "AuthBackendUserHeader X-Same-User (%s/htdocs/ht/same/.htaccess:1) "
     "starts with it"),
    ("/ht/server/env.cgi", "AuthBackendClaimPrefix headers X_Remote_: the "
     "AuthBackendUserHeader X-Remote-User (%s/conf/httpd.conf:"),
])
def test_htaccess_overlap_is_refused_when_read(server, path, message):
    """Within one .htaccess, or with the server configuration: the file
    is refused as it is read (500), whether the request has a token or
    not."""
    mark = server.log_mark()
    assert get(server, path, None, SPOOF).status_code == 500
    log = server.log_since(mark, wait_for="starts with it")
    assert message % server.root in log, log


# ---- item 5: names that collide ----------------------------------------------

def test_colliding_claims_are_not_passed(server):
    """role and ROLE become the same header and the same environment
    variable: neither reaches the application, whichever comes first."""
    for claims in ({"role": "user", "ROLE": "admin"},
                   {"ROLE": "admin", "role": "user"},
                   {"r-le": "user", "r_le": "admin", "r.le": "x"}):
        h = upstream_headers(get(server, "/app/claims/x",
                                 tok(user="carol", **claims)))
        assert h["x-remote-user"] == "carol"
        assert h["x-auth-claim-sub"] == "carol"
        assert not [k for k in h if k in ("x-auth-claim-role",
                                          "x-auth-claim-r-le")], h


def test_colliding_claims_are_logged(server):
    mark = server.log_mark()
    get(server, "/app/claims/x", tok(role="user", ROLE="admin"))
    log = server.log_since(mark, wait_for="not passed")
    assert "claims ROLE and role are not passed to the application: " \
        "their names are the same there" in log \
        or "claims role and ROLE are not passed to the application: " \
        "their names are the same there" in log, log
    assert "admin" not in log


def test_a_colliding_claim_does_not_grant_a_claim_rule(server):
    """Require reads the exact name: role=user is refused, and the
    application sees no role at all."""
    assert get(server, "/app/role-admin/x",
               tok(role="user", ROLE="admin")).status_code == 401
    h = upstream_headers(get(server, "/app/role-admin/x",
                             tok(role="admin", Role="user")))
    assert "x-auth-claim-role" not in h


def test_claims_that_do_not_collide_pass(server):
    h = upstream_headers(get(server, "/app/claims/x",
                             tok(role="user", roles="a")))
    assert h["x-auth-claim-role"] == "user"
    assert h["x-auth-claim-roles"] == "a"


# ---- configuration -------------------------------------------------------------

BACKEND = """
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret
</AuthBackend>
"""


@pytest.mark.parametrize("prefix_line,user_line,first", [
    # the prefix after the header, in another location, and before it
    ("AuthBackendClaimPrefix headers X-Id-",
     "AuthBackendUserHeader X-Id-User", "user"),
    ("AuthBackendClaimPrefix headers x_remote_",
     "AuthBackendUserHeader X-Remote-User", "prefix"),
])
def test_user_header_under_a_claim_prefix_fails_t(httpd_config, prefix_line,
                                                  user_line, first):
    a = "<Location /a>\n%s\n</Location>\n" % user_line
    b = "<Location /b>\n%s\nAuthBackendPassClaims headers\n</Location>\n" \
        % prefix_line
    h = httpd_config(BACKEND + (a + b if first == "user" else b + a))
    h.write("secret", SECRET, mode=0o600)
    assert_check_error(h, line_of(h, user_line),
                       "starts with the claim header prefix",
                       ":%d)" % line_of(h, prefix_line))


def test_user_header_under_the_default_prefix_fails_t(httpd_config):
    h = httpd_config("AuthBackendUserHeader X-Auth-Claim-User\n")
    r = h.check()
    assert r.returncode != 0
    assert "Syntax error on line %d" % line_of(h, "X-Auth-Claim-User") \
        in r.stderr
    assert "starts with the default claim header prefix X-Auth-Claim-" \
        in r.stderr, r.stderr
