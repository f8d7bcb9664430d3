"""The bearer transport's strip= option (issue #16 item 8): by default the
Authorization header reaches the application (a proxied one, or a CGI
with CGIPassAuth On), as applications that read it rely on; strip=on takes
it out once authentication is decided, and the internal redirects that
authenticate again still find the token."""

import pytest

from harness import session
from tokens import fastapi_users_token

SECRET = "bearer-strip-secret-0123456789-abcdefghij"


def conf(upstream):
    return """
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend hide>
    AuthBackendTransport bearer strip=on
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret
</AuthBackend>
AuthBackendUserHeader X-Remote-User

ProxyPass /app/ http://127.0.0.1:%(up)d/
<LocationMatch "^/app/(keep|strip|both|redirected)/">
    AuthType backend
    AuthName "app"
    Require valid-user
</LocationMatch>
<Location /app/keep/>
    AuthBackendProvider api
</Location>
<Location /app/strip/>
    AuthBackendProvider hide
</Location>
<Location /app/both/>
    # one backend of the location with strip=on is enough
    AuthBackendProvider api hide
</Location>
<Location /app/redirected/>
    AuthName "other"
    AuthBackendProvider hide
</Location>

<Location /app/opt/>
    AuthBackendProvider hide
    AuthBackendOptional On
    Require all granted
</Location>

Alias /files @ROOT@/htdocs
<Location /files>
    AuthType backend
    AuthName "files"
    AuthBackendProvider hide
    Require valid-user
    # an internal redirect to a location that authenticates again
    ErrorDocument 404 /app/redirected/missing
</Location>

ScriptAlias /keep-cgi @ROOT@/cgi/env
ScriptAlias /strip-cgi @ROOT@/cgi/env
<LocationMatch "^/(keep|strip)-cgi">
    AuthType backend
    AuthName "cgi"
    CGIPassAuth On
    Require valid-user
</LocationMatch>
<Location /keep-cgi>
    AuthBackendProvider api
</Location>
<Location /strip-cgi>
    AuthBackendProvider hide
</Location>
""" % {"up": upstream}


@pytest.fixture(scope="module")
def server(httpd_factory, upstream):
    h = httpd_factory(conf(upstream.port), start=False,
                      modules=["proxy", "proxy_http"])
    h.write("secret", SECRET, mode=0o600)
    return h.start()


def get(h, path, token, scheme="Bearer"):
    return session().get(h.url(path),
                         headers={"Authorization": scheme + " " + token})


def upstream_headers(r):
    assert r.status_code == 200, (r.status_code, r.text)
    return {k.lower(): v for k, v in r.json()["headers"]}


def test_the_header_reaches_the_application_by_default(server):
    t = fastapi_users_token(SECRET, user="alice")
    h = upstream_headers(get(server, "/app/keep/x", t))
    assert h["authorization"] == "Bearer " + t
    assert h["x-remote-user"] == "alice"


@pytest.mark.parametrize("path", ["/app/strip/x", "/app/both/x"])
def test_strip_on_takes_it_out(server, path):
    t = fastapi_users_token(SECRET, user="bob")
    h = upstream_headers(get(server, path, t))
    assert "authorization" not in h
    assert h["x-remote-user"] == "bob"


def test_an_internal_redirect_still_finds_the_token(server):
    t = fastapi_users_token(SECRET, user="carol")
    r = get(server, "/files/missing.html", t)
    assert r.json()["path"] == "/redirected/missing"
    h = upstream_headers(r)
    assert "authorization" not in h
    assert h["x-remote-user"] == "carol"


def test_optional_location_and_other_schemes(server):
    """AuthBackendOptional takes the bearer header out as well, a refused
    one included; another scheme is not this transport's and stays."""
    t = fastapi_users_token(SECRET, user="erin")
    h = upstream_headers(get(server, "/app/opt/x", t))
    assert "authorization" not in h
    assert h["x-remote-user"] == "erin"
    h = upstream_headers(get(server, "/app/opt/x", "bad.token.value"))
    assert "authorization" not in h and "x-remote-user" not in h
    h = upstream_headers(get(server, "/app/opt/x", "dXNlcjpwdw==", "Basic"))
    assert h["authorization"] == "Basic dXNlcjpwdw=="


def test_cgi(server):
    t = fastapi_users_token(SECRET, user="dave")
    r = get(server, "/keep-cgi", t)
    assert "HTTP_AUTHORIZATION=Bearer " + t in r.text.splitlines()
    r = get(server, "/strip-cgi", t)
    assert r.status_code == 200, r.text
    assert "REMOTE_USER=dave" in r.text.splitlines()
    assert "HTTP_AUTHORIZATION=" in r.text.splitlines()


def test_bad_value_fails_t(httpd_config):
    h = httpd_config("""
<AuthBackend api>
    AuthBackendTransport bearer strip=maybe
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret
</AuthBackend>
""")
    h.write("secret", SECRET, mode=0o600)
    r = h.check()
    assert r.returncode != 0
    assert "AuthBackendTransport bearer (backend 'api'): strip must be on " \
        "or off, not 'maybe'" in r.stderr, r.stderr
