"""HTTP/1.1 "Upgrade: h2c" (curl --http2 on plain http) with strip=on
(issue #16 item 12).  mod_http2 answers the upgraded request as stream 1,
which it builds from the HTTP/1.1 request's headers once that request's
hooks have run; a token taken out of them before then left stream 1
without it (401 for a logged-in user).  The token must still reach
stream 1, and never the application of an HTTP/1.1 request that is not
upgraded after all."""

import subprocess

import pytest

from tokens import fastapi_users_token

SECRET = "h2c-upgrade-secret-0123456789-abcdefghijk"

COOKIES_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
printf 'REMOTE_USER=%s\\n' "$REMOTE_USER"
printf 'HTTP_COOKIE=%s\\n' "$HTTP_COOKIE"
printf 'HTTP_AUTHORIZATION=%s\\n' "$HTTP_AUTHORIZATION"
printf 'SERVER_PROTOCOL=%s\\n' "$SERVER_PROTOCOL"
"""


def conf(upstream):
    return """
Protocols h2c http/1.1
<AuthBackend web>
    AuthBackendTransport cookie secure=off
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend api>
    AuthBackendTransport bearer strip=on
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
ScriptAlias /cgi-web/ "@ROOT@/cgi/"
ScriptAlias /cgi-api/ "@ROOT@/cgi/"
ScriptAlias /cgi-opt/ "@ROOT@/cgi/"
ProxyPass /app/ http://127.0.0.1:%(up)d/
ProxyPass /app-unset/ http://127.0.0.1:%(up)d/
<LocationMatch "^/(cgi-web|cgi-api|app|app-unset)/">
    AuthType backend
    AuthName "h2c"
    AuthBackendProvider web api
    CGIPassAuth On
    Require valid-user
</LocationMatch>
<Location /cgi-opt/>
    AuthBackendProvider web api
    AuthBackendOptional On
    Require all granted
</Location>
<Location /app-unset/>
    # runs after this module's fixups: the upgrade it expected is not made
    RequestHeader unset Upgrade
</Location>
""" % {"up": upstream}


@pytest.fixture(scope="module")
def server(httpd_factory, upstream):
    h = httpd_factory(conf(upstream.port), modules=["http2", "proxy",
                                                    "proxy_http"],
                      start=False)
    h.write("cgi/cookies", COOKIES_CGI, mode=0o755)
    h.write("secret", SECRET, mode=0o600)
    return h.start()


def curl(h, path, *args):
    """(HTTP version, status, body) of one curl request."""
    out = subprocess.run(["curl", "-s", "-w", "\n%{http_version} %{http_code}",
                          *args, h.url(path)],
                         capture_output=True, text=True, timeout=30)
    body, _, last = out.stdout.rpartition("\n")
    version, status = last.split()
    return version, int(status), body


def env_of(body):
    return dict(line.split("=", 1) for line in body.splitlines() if "=" in line)


@pytest.mark.parametrize("path", ["/cgi-web/cookies", "/cgi-opt/cookies"])
def test_upgraded_cookie_request(server, path):
    token = fastapi_users_token(SECRET, user="alice")
    version, status, body = curl(server, path, "--http2", "-H",
                                 "Cookie: a=1; fastapiusersauth=" + token)
    assert (version, status) == ("2", 200), body
    env = env_of(body)
    assert env["SERVER_PROTOCOL"] == "HTTP/2.0"
    assert env["REMOTE_USER"] == "alice"
    # stream 1 took it out as any request does
    assert env["HTTP_COOKIE"] == "a=1"


def test_upgraded_bearer_request(server):
    token = fastapi_users_token(SECRET, user="bob")
    version, status, body = curl(server, "/cgi-api/cookies", "--http2", "-H",
                                 "Authorization: Bearer " + token)
    assert (version, status) == ("2", 200), body
    env = env_of(body)
    assert env["REMOTE_USER"] == "bob"
    assert env["HTTP_AUTHORIZATION"] == ""


def test_prior_knowledge_still_works(server):
    token = fastapi_users_token(SECRET, user="carol")
    version, status, body = curl(server, "/cgi-web/cookies",
                                 "--http2-prior-knowledge", "-H",
                                 "Cookie: fastapiusersauth=" + token)
    assert (version, status) == ("2", 200), body
    assert env_of(body)["REMOTE_USER"] == "carol"


def upstream_saw(body):
    import json
    return {k.lower(): v for k, v in json.loads(body)["headers"]}


@pytest.mark.parametrize("path,args", [
    # mod_http2 does not upgrade a request with a body: HTTP/1.1 answers
    ("/app/x", ["-d", "a=1"]),
    # the Upgrade header is gone by the time the handler runs
    ("/app-unset/x", []),
])
def test_a_request_not_upgraded_reaches_the_application_without_it(
        server, path, args):
    token = fastapi_users_token(SECRET, user="dave")
    for header in ("Cookie: a=1; fastapiusersauth=" + token,
                   "Authorization: Bearer " + token):
        version, status, body = curl(server, path, "--http2", "-H", header,
                                     "-H", "Origin: " + server.url(""),
                                     *args)
        assert (version, status) == ("1.1", 200), body
        seen = upstream_saw(body)
        assert token not in body
        assert "authorization" not in seen
        assert seen.get("cookie", "a=1") == "a=1"
