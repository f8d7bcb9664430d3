"""Transport `cookie` (DESIGN.md §2, reference/fastapi-users.md §2.2): the
same options, defaults and Set-Cookie headers as fastapi-users'
CookieTransport, exact-name reading through httpd's util_cookies, refusal of
ambiguous duplicates, and the cookie kept away from the application.

The expected headers are written out literally (as observed on fastapi-users)
and also produced by Starlette's Response.set_cookie, called the way
fastapi-users' CookieTransport calls it."""

import http.client
import re
import subprocess
import uuid

import jwt
import pytest
from starlette.responses import Response

import conf
from conf import htpasswd
from harness import session
from tokens import fastapi_users_decode, fastapi_users_token

SECRET = "cookie-secret-0123456789-abcdefghijklmnop"
CAROL_PW = "carol-Pa55word"

COOKIES_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
printf 'REMOTE_USER=%s\\n' "${REMOTE_USER-}"
printf 'AUTH_BACKEND=%s\\n' "${AUTH_BACKEND-}"
printf 'HTTP_COOKIE=%s\\n' "${HTTP_COOKIE-<unset>}"
"""

# name -> (AuthBackendTransport options, fastapi-users CookieTransport
# arguments for the same cookie)
BACKENDS = {
    "defaults": ("", {}),
    "agedomain": ("max-age=3600 domain=example.com",
                  {"cookie_max_age": 3600, "cookie_domain": "example.com"}),
    "relaxed": ("name=session path=/app secure=off httponly=off "
                "samesite=strict",
                {"cookie_name": "session", "cookie_path": "/app",
                 "cookie_secure": False, "cookie_httponly": False,
                 "cookie_samesite": "strict"}),
    "crosssite": ("name=__Host-auth samesite=None",
                  {"cookie_name": "__Host-auth", "cookie_samesite": "none"}),
    "dotdomain": ("domain=.example.org max-age=60 samesite=STRICT "
                  "httponly=off",
                  {"cookie_domain": ".example.org", "cookie_max_age": 60,
                   "cookie_samesite": "strict", "cookie_httponly": False}),
    "noage": ("max-age= domain= secure=on httponly=on strip=on", {}),
}


def fastapi_users_cookie(token, cookie_name="fastapiusersauth",
                         cookie_max_age=None, cookie_path="/",
                         cookie_domain=None, cookie_secure=True,
                         cookie_httponly=True, cookie_samesite="lax"):
    """The Set-Cookie headers of fastapi-users' CookieTransport: login with
    TOKEN (None: logout), as _set_login_cookie/_set_logout_cookie make
    them with Starlette."""
    response = Response(status_code=204)
    response.set_cookie(cookie_name, token if token is not None else "",
                        max_age=cookie_max_age if token is not None else 0,
                        path=cookie_path, domain=cookie_domain,
                        secure=cookie_secure, httponly=cookie_httponly,
                        samesite=cookie_samesite)
    return [v.decode() for k, v in response.raw_headers
            if k == b"set-cookie"]


@pytest.fixture(scope="module")
def server(httpd_factory):
    parts = ["""
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret lifetime=600
</AuthBackend>
<AuthBackend web>
    AuthBackendTransport cookie
    AuthBackendStrategy jwt secret=file:@ROOT@/secret lifetime=600
</AuthBackend>
<AuthBackend keep>
    AuthBackendTransport cookie name=keep strip=off
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend named>
    AuthBackendTransport cookie name=Session_1
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>

ScriptAliasMatch "^/(web|keep|mixed|named|web2)/cgi/(.*)$" "@ROOT@/cgi/$2"
AliasMatch "^/(web|keep|mixed|named|web2)/(.*)$" "@ROOT@/htdocs/$2"
DirectoryIndex index.html

<Location /web/>
    AuthType backend
    AuthName "web"
    AuthBackendProvider web
    Require valid-user
    ErrorDocument 404 /web2/data.json
</Location>
<Location /web2/>
    AuthType backend
    AuthName "web2"
    AuthBackendProvider web
    Require valid-user
</Location>
<Location /keep/>
    AuthType backend
    AuthName "keep"
    AuthBackendProvider keep
    Require valid-user
</Location>
<Location /named/>
    AuthType backend
    AuthName "named"
    AuthBackendProvider named
    Require valid-user
</Location>
<Location /mixed/>
    AuthType backend
    AuthName "mixed"
    AuthBackendProvider api web
    Require valid-user
</Location>

<LocationMatch "^/auth/[a-z0-9]+/login$">
    SetHandler auth-backend-login
    AuthUserFile @ROOT@/users
    Require all granted
</LocationMatch>
<LocationMatch "^/auth/[a-z0-9]+/logout$">
    SetHandler auth-backend-logout
    Require all granted
</LocationMatch>
<Location /auth/web/login>
    AuthBackendProvider web
</Location>
<Location /auth/web/logout>
    AuthBackendProvider web
</Location>
"""]
    for name, (options, _) in BACKENDS.items():
        parts.append(
            conf.backend(name, "jwt secret=file:@ROOT@/secret",
                         transport="cookie " + options)
            # the handlers come from the LocationMatch above
            + "<Location /auth/%s/login>\n    AuthBackendProvider %s\n"
              "</Location>\n" % (name, name)
            + "<Location /auth/%s/logout>\n    AuthBackendProvider %s\n"
              "</Location>\n" % (name, name))
    h = httpd_factory("".join(parts), start=False,
                      loglevel="debug auth_backend:trace8")
    h.write("cgi/cookies", COOKIES_CGI, mode=0o755)
    h.write("secret", SECRET, mode=0o600)
    h.write("users", htpasswd("-s", "carol", CAROL_PW) + "\n")
    return h.start()


# every token this file sees; none of them may reach the error log
SEEN_TOKENS = []


def origin(server):
    return {"Origin": "http://127.0.0.1:%d" % server.port}


def login(server, backend="web", **kw):
    headers = origin(server)
    headers.update(kw.pop("headers", {}))
    r = session().post(server.url("/auth/%s/login" % backend),
                       data={"username": "carol", "password": CAROL_PW},
                       headers=headers, allow_redirects=False, timeout=20,
                       **kw)
    return r


def set_cookies(r):
    """The Set-Cookie headers of R, one string each, as sent."""
    return r.raw.headers.getlist("Set-Cookie")


def token_of(r, name="fastapiusersauth"):
    [header] = set_cookies(r)
    m = re.match(re.escape(name) + r"=([A-Za-z0-9_.-]+);", header)
    assert m, header
    SEEN_TOKENS.append(m.group(1))
    return m.group(1)


def get(server, path, cookie=None, **kw):
    headers = kw.pop("headers", {})
    if cookie is not None:
        headers["Cookie"] = cookie
    return session().get(server.url(path), headers=headers,
                         allow_redirects=False, timeout=20, **kw)


def raw_get(server, path, *headers):
    """GET with headers given as (name, value) pairs, repeats allowed."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.putrequest("GET", path)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def env_of(text):
    return dict(line.split("=", 1) for line in text.splitlines()
                if "=" in line)


# ---- login and logout headers ------------------------------------------------

def test_login_is_204_with_fastapi_users_default_cookie(server):
    r = login(server)
    assert r.status_code == 204, r.text
    assert r.content == b""
    token = token_of(r)
    expected = "fastapiusersauth=%s; HttpOnly; Path=/; SameSite=lax; Secure" \
        % token
    assert set_cookies(r) == [expected]
    assert set_cookies(r) == fastapi_users_cookie(token)
    assert "Expires" not in set_cookies(r)[0]
    assert r.headers["Cache-Control"] == "no-store"
    # the token is what fastapi-users' JWTStrategy reads
    assert fastapi_users_decode(token, SECRET)["sub"] == "carol"


def test_logout_clears_with_the_same_attributes(server):
    token = token_of(login(server))
    r = session().post(server.url("/auth/web/logout"), headers=dict(
        origin(server), Cookie="fastapiusersauth=" + token),
        allow_redirects=False, timeout=20)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert set_cookies(r) == [
        'fastapiusersauth=""; HttpOnly; Max-Age=0; Path=/; SameSite=lax; '
        'Secure']
    assert set_cookies(r) == fastapi_users_cookie(None)


def test_max_age_and_domain_as_fastapi_users_writes_them(server):
    r = login(server, "agedomain")
    token = token_of(r)
    assert set_cookies(r) == [
        "fastapiusersauth=%s; Domain=example.com; HttpOnly; Max-Age=3600; "
        "Path=/; SameSite=lax; Secure" % token]


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_every_option_gives_fastapi_users_headers(server, backend):
    options, transport = BACKENDS[backend]
    name = transport.get("cookie_name", "fastapiusersauth")
    r = login(server, backend)
    assert r.status_code == 204, r.text
    token = token_of(r, name)
    assert set_cookies(r) == fastapi_users_cookie(token, **transport)

    r = session().post(server.url("/auth/%s/logout" % backend),
                       headers=dict(origin(server),
                                    Cookie="%s=%s" % (name, token)),
                       allow_redirects=False, timeout=20)
    assert r.status_code == 204, r.text
    assert set_cookies(r) == fastapi_users_cookie(None, **transport)


def test_logout_without_cookie_is_401_without_challenge(server):
    r = session().post(server.url("/auth/web/logout"), headers=origin(server),
                       timeout=20)
    assert r.status_code == 401
    assert r.json() == {"detail": "Unauthorized"}
    assert "WWW-Authenticate" not in r.headers
    assert set_cookies(r) == []


# ---- reading -----------------------------------------------------------------

def test_cookie_authenticates_without_a_challenge_on_401(server):
    token = token_of(login(server))
    r = get(server, "/web/cgi/cookies", "fastapiusersauth=" + token)
    assert r.status_code == 200, r.text
    env = env_of(r.text)
    assert (env["REMOTE_USER"], env["AUTH_BACKEND"]) == ("carol", "web")

    r = get(server, "/web/data.json")
    assert r.status_code == 401
    assert r.json() == {"detail": "Unauthorized"}
    assert r.headers["Content-Type"] == "application/json"
    assert "WWW-Authenticate" not in r.headers


def test_fastapi_users_jwt_in_the_cookie_is_accepted(server):
    user = str(uuid.uuid4())
    token = fastapi_users_token(SECRET, user=user)
    SEEN_TOKENS.append(token)
    r = get(server, "/web/cgi/cookies", "fastapiusersauth=" + token)
    assert r.status_code == 200, r.text
    assert env_of(r.text)["REMOTE_USER"] == user


@pytest.mark.parametrize("cookie", [
    "Fastapiusersauth=%s", "FASTAPIUSERSAUTH=%s", "xfastapiusersauth=%s",
    "fastapiusersauth2=%s", "fastapiusersaut=%s", "session=%s",
    "fastapiusersauth =%s"])
def test_only_the_exact_name_is_read(server, cookie):
    token = token_of(login(server))
    assert get(server, "/web/data.json",
               cookie % token).status_code == 401


def test_other_cookies_around_it_do_not_matter(server):
    token = token_of(login(server))
    for cookie in ("a=1; fastapiusersauth=%s; b=2",
                   "fastapiusersauth=%s;theme=dark",
                   "a=1;   fastapiusersauth=%s   ;b=2"):
        assert get(server, "/web/data.json",
                   cookie % token).status_code == 200, cookie


def test_configured_name_is_read(server):
    token = fastapi_users_token(SECRET)
    SEEN_TOKENS.append(token)
    assert get(server, "/named/data.json",
               "Session_1=" + token).status_code == 200
    assert get(server, "/named/data.json",
               "fastapiusersauth=" + token).status_code == 401
    assert get(server, "/named/data.json",
               "session_1=" + token).status_code == 401


def test_quoted_value_is_read_as_starlette_reads_it(server):
    token = token_of(login(server))
    assert get(server, "/web/data.json",
               'fastapiusersauth="%s"' % token).status_code == 200


@pytest.mark.parametrize("value", ["", '""', "   "])
def test_empty_cookie_is_no_cookie(server, value):
    mark = server.log_mark()
    assert get(server, "/web/data.json",
               "fastapiusersauth=" + value).status_code == 401
    assert "no token for /web/data.json" in server.log_since(
        mark, "no token")


@pytest.mark.parametrize("value", ["not a token", "abc,def", "tok\\en",
                                   "a\"b", "%s=x"])
def test_malformed_value_is_refused_and_not_logged(server, value):
    mark = server.log_mark()
    assert get(server, "/web/data.json",
               "fastapiusersauth=" + value).status_code == 401
    log = server.log_since(mark, "malformed token in cookie")
    if value != "abc,def":          # util_cookies splits at the comma
        assert "malformed token in cookie fastapiusersauth" in log
        assert value not in log


def test_expired_and_forged_tokens_are_refused(server):
    expired = fastapi_users_token(SECRET, lifetime=-10)
    forged = fastapi_users_token("another-secret-0123456789-abcdefghijkl")
    for token in (expired, forged):
        assert get(server, "/web/data.json",
                   "fastapiusersauth=" + token).status_code == 401


# ---- duplicates --------------------------------------------------------------

def test_two_different_values_are_refused(server):
    good = token_of(login(server))
    other = fastapi_users_token(SECRET, user="mallory")
    SEEN_TOKENS.append(other)
    mark = server.log_mark()
    for cookie in ("fastapiusersauth=%s; fastapiusersauth=%s" % (good, other),
                   "fastapiusersauth=%s; fastapiusersauth=%s" % (other, good),
                   "fastapiusersauth=%s; a=1; fastapiusersauth=junk" % good):
        assert get(server, "/web/data.json", cookie).status_code == 401, \
            cookie
    log = server.log_since(mark, "sent more than once")
    assert "auth_backend: event=token_refused reason=duplicate " \
        "client=127.0.0.1 backend=web detail=\"cookie fastapiusersauth sent " \
        "more than once with different values\"" in log
    assert good not in log and other not in log


def test_duplicates_in_two_cookie_headers_are_refused(server):
    good = token_of(login(server))
    status, _ = raw_get(server, "/web/data.json",
                        ("Cookie", "fastapiusersauth=" + good),
                        ("Cookie", "fastapiusersauth=x" + good))
    assert status == 401
    status, _ = raw_get(server, "/web/data.json",
                        ("Cookie", "a=1"),
                        ("Cookie", "fastapiusersauth=" + good))
    assert status == 200


def test_the_same_value_twice_is_one_token(server):
    # util_cookies only calls a name ambiguous when its values differ: two
    # copies of one value leave nothing to guess
    good = token_of(login(server))
    assert get(server, "/web/data.json",
               "fastapiusersauth=%s; fastapiusersauth=%s" % (good, good)) \
        .status_code == 200


def test_bad_cookie_does_not_block_a_good_bearer(server):
    good = token_of(login(server))
    r = get(server, "/mixed/cgi/cookies",
            "fastapiusersauth=junk; fastapiusersauth=" + good,
            headers={"Authorization": "Bearer " + good})
    assert r.status_code == 200
    assert env_of(r.text)["AUTH_BACKEND"] == "api"


# ---- the application never sees the cookie -----------------------------------

def test_cookie_is_stripped_before_the_application(server):
    token = token_of(login(server))
    r = get(server, "/web/cgi/cookies",
            "a=1; fastapiusersauth=%s; b=2" % token)
    assert r.status_code == 200
    assert env_of(r.text)["HTTP_COOKIE"] == "a=1; b=2"
    assert token not in r.text

    r = get(server, "/web/cgi/cookies", "fastapiusersauth=" + token)
    assert env_of(r.text)["HTTP_COOKIE"] == "<unset>"


def test_cookie_is_stripped_when_another_backend_wins(server):
    token = token_of(login(server))
    r = get(server, "/mixed/cgi/cookies",
            "fastapiusersauth=%s; theme=dark" % token,
            headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200
    env = env_of(r.text)
    assert env["AUTH_BACKEND"] == "api"
    # util_cookies keeps the space that followed the removed pair
    assert env["HTTP_COOKIE"].strip() == "theme=dark"


def test_every_copy_is_stripped_when_they_disagree(server):
    token = token_of(login(server))
    status, text = raw_get(
        server, "/mixed/cgi/cookies",
        ("Authorization", "Bearer " + token),
        ("Cookie", "fastapiusersauth=%s; x=1, fastapiusersauth=other" % token),
        ("Cookie", "y=2; fastapiusersauth=third"))
    assert status == 200
    env = env_of(text)
    assert env["AUTH_BACKEND"] == "api"
    assert "fastapiusersauth" not in env["HTTP_COOKIE"]
    assert set(re.split(r"[;,] *", env["HTTP_COOKIE"])) == {"x=1", "y=2"}


def test_strip_off_lets_the_application_see_it(server):
    token = fastapi_users_token(SECRET)
    SEEN_TOKENS.append(token)
    r = get(server, "/keep/cgi/cookies", "a=1; keep=" + token)
    assert r.status_code == 200
    assert env_of(r.text)["HTTP_COOKIE"] == "a=1; keep=" + token


def test_internal_redirect_still_authenticates(server):
    # the 404 ErrorDocument is an internal redirect into another protected
    # location; it copies the request's headers, where the cookie no longer
    # is, and must authenticate with the token taken out of them
    token = token_of(login(server))
    r = get(server, "/web/missing.html", "fastapiusersauth=" + token)
    assert r.status_code == 404
    assert r.text == '{"ok":true}\n'
    assert get(server, "/web/missing.html").status_code == 401


def test_directory_index_subrequest(server):
    token = token_of(login(server))
    r = get(server, "/web/", "fastapiusersauth=" + token)
    assert r.status_code == 200
    assert r.text == "<p>hello</p>\n"


# ---- many requests on one connection (src/cookie_memo.c) ----------------------
# A connection remembers what util_cookies found in its last Cookie header;
# every answer must be the one a fresh parse of the header gives.

def one_connection(server, *requests):
    """(path, [(header, value), ...]) requests sent one after the other on
    one keep-alive connection; their (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    out, sock = [], None
    try:
        for path, headers in requests:
            conn.putrequest("GET", path)
            for name, value in headers:
                conn.putheader(name, value)
            conn.endheaders()
            resp = conn.getresponse()
            out.append((resp.status, resp.read().decode()))
            # the next request must go on this very connection
            assert not resp.will_close
            assert sock is None or conn.sock is sock
            sock = conn.sock
        return out
    finally:
        conn.close()


def test_same_cookie_header_on_one_connection(server):
    token = token_of(login(server))
    header = [("Cookie", "a=1; fastapiusersauth=%s; b=2" % token)]
    answers = one_connection(server, *[("/web/cgi/cookies", header)] * 4)
    for status, text in answers:
        assert status == 200
        env = env_of(text)
        assert env["REMOTE_USER"] == "carol"
        assert env["HTTP_COOKIE"] == "a=1; b=2"
    alone = [("Cookie", "fastapiusersauth=" + token)]
    for status, text in one_connection(server, *[("/web/cgi/cookies",
                                                  alone)] * 3):
        assert status == 200
        assert env_of(text)["HTTP_COOKIE"] == "<unset>"


def test_changed_cookie_header_on_one_connection(server):
    token = token_of(login(server))
    forged = fastapi_users_token("another-secret-0123456789-abcdefghijk")
    SEEN_TOKENS.append(forged)
    good = "a=1; fastapiusersauth=" + token
    steps = [
        (good, 200, "a=1"),
        (good, 200, "a=1"),
        ("a=1; fastapiusersauth=" + forged, 401, None),
        (good, 200, "a=1"),
        ("a=2; fastapiusersauth=" + token, 200, "a=2"),
        ("a=2", 401, None),
        # the remembered header and more: a second, different copy
        ("a=2; fastapiusersauth=%s; fastapiusersauth=x" % token, 401, None),
        ("a=2; fastapiusersauth=" + token, 200, "a=2"),
        ("a=2; fastapiusersauth=" + token[:-1], 401, None),
        ("a=2; fastapiusersauth=" + token, 200, "a=2"),
    ]
    answers = one_connection(
        server, *[("/web/cgi/cookies", [("Cookie", c)]) for c, _, _ in steps])
    for (cookie, want, kept), (status, text) in zip(steps, answers):
        assert status == want, cookie
        if kept:
            assert env_of(text)["HTTP_COOKIE"] == kept


def test_two_cookie_headers_after_one_on_one_connection(server):
    token = token_of(login(server))
    one = ("Cookie", "fastapiusersauth=" + token)
    answers = one_connection(
        server,
        ("/web/cgi/cookies", [one]),
        ("/web/cgi/cookies", [one, ("Cookie", "fastapiusersauth=x")]),
        ("/web/cgi/cookies", [one, ("Cookie2", "fastapiusersauth=x")]),
        ("/web/cgi/cookies", [one, ("Cookie", "c=3")]))
    assert [status for status, _ in answers] == [200, 401, 401, 200]
    assert "fastapiusersauth" not in env_of(answers[3][1])["HTTP_COOKIE"]


def test_each_backend_reads_its_own_cookie_on_one_connection(server):
    token = token_of(login(server))
    web_only = [("Cookie", "fastapiusersauth=%s; keep=" % token)]
    keep_too = [("Cookie", "keep=%s; fastapiusersauth=x" % token)]
    answers = one_connection(
        server,
        ("/web/cgi/cookies", web_only),
        ("/keep/cgi/cookies", web_only),      # an empty keep= cookie
        ("/web/cgi/cookies", web_only),
        ("/keep/cgi/cookies", keep_too),
        ("/web/cgi/cookies", keep_too),       # web's cookie is junk
        ("/keep/cgi/cookies", keep_too))
    assert [status for status, _ in answers] == [200, 401, 200, 200, 401, 200]
    # strip=off: the application sees the header as sent
    assert env_of(answers[5][1])["HTTP_COOKIE"] == keep_too[0][1]
    # from the memo, exactly what util_cookies leaves (the space after ';')
    assert env_of(answers[0][1])["HTTP_COOKIE"] == " keep="
    assert env_of(answers[2][1])["HTTP_COOKIE"] == " keep="


def test_redirects_and_subrequests_on_one_connection(server):
    token = token_of(login(server))
    cookie = [("Cookie", "fastapiusersauth=" + token)]
    answers = one_connection(server, ("/web/missing.html", cookie),
                             ("/web/missing.html", cookie),
                             ("/web/", cookie), ("/web/", cookie),
                             ("/web/missing.html", []))
    assert answers[:4] == [(404, '{"ok":true}\n')] * 2 \
        + [(200, "<p>hello</p>\n")] * 2
    assert answers[4][0] == 401


@pytest.fixture(scope="module")
def h2_server(httpd_factory):
    """The cookie backend behind HTTP/2 (h2c): the streams of one
    connection run on several threads at once."""
    h = httpd_factory("""
Protocols h2c http/1.1
<AuthBackend web>
    AuthBackendTransport cookie
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
ScriptAlias /web/cgi/ "@ROOT@/cgi/"
<Location /web/>
    AuthType backend
    AuthName "web"
    AuthBackendProvider web
    Require valid-user
</Location>
""", modules=["http2"], start=False)
    h.write("cgi/cookies", COOKIES_CGI, mode=0o755)
    h.write("secret", SECRET, mode=0o600)
    return h.start()


def test_http2_streams_of_one_connection(h2_server, tmp_path):
    # streams of one connection, in parallel, alternating between users and
    # a forged token: each answer must be the one of its own header (an
    # HTTP/2 stream never uses the connection memo: its threads would
    # share it; what this checks is that cookies still work there)
    users = ["alice", "bob", None] * 8
    args = ["curl", "-s", "--http2-prior-knowledge", "-Z",
            "--parallel-max", "12"]
    for i, user in enumerate(users):
        token = fastapi_users_token(SECRET if user else "forged-secret-"
                                    "0123456789abcdefghijklmnop",
                                    user=user or "mallory")
        SEEN_TOKENS.append(token)
        args += ["-H", "Cookie: a=%d; fastapiusersauth=%s" % (i, token),
                 "-o", str(tmp_path / str(i)),
                 "-w", "%{url_effective} %{http_version} %{http_code} "
                 "%{num_connects}\n",
                 h2_server.url("/web/cgi/cookies?%d" % i)]
        if i + 1 < len(users):
            args.append("--next")
    out = subprocess.run(args, capture_output=True, text=True, timeout=60)
    answers = {}
    connects = 0
    for line in out.stdout.splitlines():
        url, version, status, n = line.split()
        answers[int(url.rsplit("?", 1)[1])] = (version, status)
        connects += int(n)
    assert len(answers) == len(users), out
    assert connects == 1            # one connection for all of them
    for i, user in enumerate(users):
        body = (tmp_path / str(i)).read_text()
        if user:
            assert answers[i] == ("2", "200"), body
            env = env_of(body)
            assert env["REMOTE_USER"] == user
            assert env["HTTP_COOKIE"] == "a=%d" % i
        else:
            assert answers[i] == ("2", "401"), body
            assert '"detail"' in body


# ---- last: nothing secret in the log -------------------------------------------

def test_no_token_in_the_error_log(server):
    log = server.error_log()
    assert SEEN_TOKENS
    assert "fastapiusersauth=" not in log
    for token in SEEN_TOKENS:
        assert token not in log
        assert token.split(".")[2] not in log
