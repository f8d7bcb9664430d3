"""Shared caches and answers made for a user (issue #16 item 7), with a
real mod_cache in front (mod_cache_disk, quick handler on, which answers from the cache before any authentication):

- an answer whose identity came from a token is never stored, even when
  the application calls it public (strip=on took the Authorization header
  that mod_cache would have refused to cache on), and carries
  Cache-Control: private for the caches further down the line;
- an AuthBackendOptional location's answers vary by the token headers,
  so an anonymous one is never served to a logged-in user either;
- answers without an identity are cached as before."""

import os

import pytest

from harness import session
from tokens import fastapi_users_token

SECRET = "shared-cache-secret-0123456789-abcdefghij"

# an application that calls every answer public: the worst case
PAGE_CGI = """#!/bin/sh
body="user=$REMOTE_USER"
printf 'Content-Type: text/plain\\n'
printf 'Content-Length: %d\\n' $((${#body} + 1))
printf 'Cache-Control: public, max-age=300\\n\\n'
printf '%s\\n' "$body"
"""

CACHES = {
    # (mod_cache_socache does not store a CGI's answer at all here)
    "disk": ("cache_disk", "CacheRoot @ROOT@/cache\nCacheDirLevels 1\n"
                           "CacheDirLength 1\n"),
}


def conf(kind):
    return """
%(store)s
CacheEnable %(kind)s /
CacheHeader on
CacheLock off
<AuthBackend web>
    AuthBackendTransport cookie secure=off
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend api>
    AuthBackendTransport bearer strip=on
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
ScriptAlias /opt/ "@ROOT@/cgi/"
ScriptAlias /prot/ "@ROOT@/cgi/"
ScriptAlias /open/ "@ROOT@/cgi/"
<Location /opt/>
    AuthBackendProvider web api
    AuthBackendOptional On
    Require all granted
</Location>
<Location /prot/>
    AuthType backend
    AuthName "prot"
    AuthBackendProvider web api
    Require valid-user
</Location>
""" % {"store": CACHES[kind][1], "kind": kind}


@pytest.fixture(scope="module", params=sorted(CACHES))
def server(request, httpd_factory):
    h = httpd_factory(conf(request.param), start=False,
                      modules=["cache", CACHES[request.param][0],
                               "socache_shmcb"])
    h.write("secret", SECRET, mode=0o600)
    h.write("cgi/page", PAGE_CGI, mode=0o755)
    h.write("cache/.keep", "")
    os.chmod(h.path("cache"), 0o777)        # httpd's user writes there
    return h.start()


def get(h, path, cookie=None, bearer=None):
    headers = {}
    if cookie:
        headers["Cookie"] = "fastapiusersauth=" + cookie
    if bearer:
        headers["Authorization"] = "Bearer " + bearer
    return session().get(h.url(path), headers=headers)


def tok(user):
    return fastapi_users_token(SECRET, user=user)


def test_answers_without_identity_are_cached(server):
    """The cache works: an open location's answer is stored and served."""
    assert get(server, "/open/page?a").headers["X-Cache"].startswith("MISS")
    r = get(server, "/open/page?a")
    assert r.headers["X-Cache"].startswith("HIT"), r.headers
    assert "private" not in r.headers["Cache-Control"]


@pytest.mark.parametrize("how", ["cookie", "bearer"])
def test_optional_location(server, how):
    path = "/opt/page?" + how
    r = get(server, path, **{how: tok("alice")})
    assert r.text == "user=alice\n"
    assert "private" in r.headers.get("Cache-Control", "")
    assert {"cookie", "authorization"} <= {
        v.strip().lower() for v in r.headers["Vary"].split(",")}
    # the anonymous client is not served alice's page
    r = get(server, path)
    assert r.text == "user=\n", r.headers
    # ... and alice is not served the anonymous page once it is cached
    get(server, path)
    r = get(server, path, **{how: tok("alice")})
    assert r.text == "user=alice\n", r.headers


@pytest.mark.parametrize("how", ["cookie", "bearer"])
def test_protected_location(server, how):
    path = "/prot/page?" + how
    r = get(server, path, **{how: tok("bob")})
    assert r.text == "user=bob\n"
    assert "private" in r.headers["Cache-Control"]
    assert not r.headers.get("X-Cache", "").startswith("HIT")
    # quick handler: a stored page would be served before authentication
    r = get(server, path)
    assert r.status_code == 401, (r.headers, r.text)
    r = get(server, path, **{how: tok("carol")})
    assert r.text == "user=carol\n"
