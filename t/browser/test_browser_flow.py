"""The browser flow: page loads go to the login page and API calls get their
401; the login form's next= is followed only to a path of this site; logout
sends a browser on; and the CSRF defence for cookie-authenticated requests,
logins and logouts (Origin, then Sec-Fetch-Site, then Referer)."""

import subprocess

import pytest

from harness import session
from tokens import fastapi_users_token

SECRET = "browser-secret-0123456789-abcdefghijklmnop"
CAROL_PW = "carol-Pa55word"

CHROME_NAV = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,"
              "image/avif,image/webp,image/apng,*/*;q=0.8",
    "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none",
    "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1"}
OLD_BROWSER_NAV = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,"
              "*/*;q=0.8"}
# reads the body (a CGI that does not breaks the connection of a POST)
ENV_CGI = """#!/bin/sh
cat >/dev/null
printf 'Content-Type: text/plain\\n\\n'
printf 'REMOTE_USER=%s\\nAUTH_BACKEND=%s\\n' "$REMOTE_USER" "$AUTH_BACKEND"
"""

FETCH = {"Accept": "*/*", "Sec-Fetch-Mode": "cors",
         "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "empty"}


@pytest.fixture(scope="module")
def server(httpd_factory):
    conf = """
<AuthBackend web>
    AuthBackendTransport cookie
    AuthBackendStrategy jwt secret=file:@ROOT@/secret lifetime=600
</AuthBackend>
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret lifetime=600
</AuthBackend>

ScriptAliasMatch "^/(site|plain|apifirst)/cgi/(.*)$" "@ROOT@/cgi/$2"
AliasMatch "^/(site|plain|siteq|sso|apifirst)/(.*)$" "@ROOT@/htdocs/$2"

<Location /site/>
    AuthType backend
    AuthName "site"
    AuthBackendProvider web api
    AuthBackendLoginURL /login.html
    AuthBackendTrustedOrigin https://trusted.example http://localhost:3000
    Require valid-user
</Location>
<Location /site/bob/>
    Require user bob
</Location>
<Location /siteq/>
    AuthType backend
    AuthName "siteq"
    AuthBackendProvider web
    AuthBackendLoginURL /login?app=siteq
    Require valid-user
</Location>
<Location /sso/>
    AuthType backend
    AuthName "sso"
    AuthBackendProvider web
    AuthBackendLoginURL https://sso.example/login
    Require valid-user
</Location>
<Location /plain/>
    AuthType backend
    AuthName "plain"
    AuthBackendProvider web
    Require valid-user
</Location>
<Location /apifirst/>
    AuthType backend
    AuthName "apifirst"
    AuthBackendProvider api web
    Require valid-user
</Location>

<LocationMatch "^/auth/[a-z]+/login$">
    SetHandler auth-backend-login
    AuthUserFile @ROOT@/users
    Require all granted
</LocationMatch>
<Location /auth/web/login>
    AuthBackendProvider web
    AuthBackendLoginURL /login.html
    AuthBackendTrustedOrigin https://trusted.example
</Location>
<Location /auth/dflt/login>
    AuthBackendProvider web
    AuthBackendLoginRedirect /site/home.html
</Location>
<Location /auth/api/login>
    AuthBackendProvider api
    AuthBackendLoginURL /login.html
</Location>

<LocationMatch "^/auth/[a-z]+/logout$">
    SetHandler auth-backend-logout
    Require all granted
</LocationMatch>
<Location /auth/web/logout>
    AuthBackendProvider web
    AuthBackendLogoutRedirect /bye.html
</Location>
<Location /auth/plain/logout>
    AuthBackendProvider web
</Location>
<Location /auth/api/logout>
    AuthBackendProvider api
    AuthBackendLogoutRedirect /bye.html
</Location>
"""
    h = httpd_factory(conf, start=False)
    h.write("cgi/env", ENV_CGI, mode=0o755)
    h.write("secret", SECRET, mode=0o600)
    h.write("users", subprocess.run(
        ["htpasswd", "-nb", "-s", "carol", CAROL_PW], check=True,
        capture_output=True, text=True).stdout)
    return h.start()


def self_origin(server):
    return "http://127.0.0.1:%d" % server.port


def cookie_token(user="carol"):
    return fastapi_users_token(SECRET, user=user)


def request(server, method, path, headers=None, cookie=None, data=None):
    headers = dict(headers or {})
    if cookie:
        headers["Cookie"] = "fastapiusersauth=" + cookie
    return session().request(method, server.url(path), headers=headers,
                             data=data, allow_redirects=False, timeout=20)


def assert_401_json(r):
    assert r.status_code == 401, (r.status_code, r.headers)
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"detail": "Unauthorized"}
    assert "Location" not in r.headers


# ---- page loads go to the login page, API calls get 401 -------------------------

NAVIGATIONS = [
    ("chrome", CHROME_NAV),
    ("old-browser-accept-only", OLD_BROWSER_NAV),
    ("navigate-with-json-accept", {"Sec-Fetch-Mode": "navigate",
                                   "Accept": "application/json"}),
    ("navigate-wildcard", {"Sec-Fetch-Mode": "navigate", "Accept": "*/*"}),
    ("accept-upper-case", {"Accept": "TEXT/HTML"}),
    ("html-over-json", {"Accept": "text/html, application/json;q=0.5"}),
    ("html-params", {"Accept": "text/html;level=1;q=0.9, "
                               "application/json;q=0.8"}),
    ("xhtml", {"Accept": "application/xhtml+xml"}),
]
API_CALLS = [
    ("fetch", FETCH),
    ("xhr", dict(OLD_BROWSER_NAV, **{"X-Requested-With": "XMLHttpRequest"})),
    ("xhr-navigate", dict(CHROME_NAV, **{"X-Requested-With": "x"})),
    ("cors-html", {"Sec-Fetch-Mode": "cors", "Accept": "text/html"}),
    ("no-cors-html", {"Sec-Fetch-Mode": "no-cors", "Accept": "text/html"}),
    ("same-origin-mode", {"Sec-Fetch-Mode": "same-origin",
                          "Accept": "text/html"}),
    ("json", {"Accept": "application/json"}),
    ("wildcard", {"Accept": "*/*"}),
    ("no-accept", {"Accept": None}),
    ("json-over-html", {"Accept": "text/html;q=0.5, application/json"}),
    ("html-equals-json", {"Accept": "text/html, application/json"}),
    ("html-q0", {"Accept": "text/html;q=0"}),
    ("html-bad-q", {"Accept": "text/html;q=2"}),
    ("text-wildcard", {"Accept": "text/*"}),
]


@pytest.mark.parametrize("headers", [c[1] for c in NAVIGATIONS],
                         ids=[c[0] for c in NAVIGATIONS])
def test_page_load_goes_to_the_login_page(server, headers):
    r = request(server, "GET", "/site/page.html", headers)
    assert r.status_code == 302
    assert r.headers["Location"] == "/login.html?next=%2Fsite%2Fpage.html"
    assert "Accept" in r.headers["Vary"]
    assert "Sec-Fetch-Mode" in r.headers["Vary"]


@pytest.mark.parametrize("headers", [c[1] for c in API_CALLS],
                         ids=[c[0] for c in API_CALLS])
def test_api_call_gets_401_json(server, headers):
    r = request(server, "GET", "/site/page.html", headers)
    assert_401_json(r)
    assert "Accept" in r.headers["Vary"]


def test_query_is_kept_in_next(server):
    r = request(server, "GET", "/site/a%20b/page.html?a=1&b=%2F", CHROME_NAV)
    assert r.headers["Location"] == \
        "/login.html?next=%2Fsite%2Fa%2520b%2Fpage.html%3Fa%3D1%26b%3D%252F"


def test_request_in_absolute_form(server):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.putrequest("GET", server.url("/site/page.html?x=1"),
                        skip_accept_encoding=True)
        conn.putheader("Accept", "text/html")
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == 302
        assert resp.getheader("Location") == \
            "/login.html?next=%2Fsite%2Fpage.html%3Fx%3D1"
    finally:
        conn.close()


def test_head_is_a_page_load_and_post_is_not(server):
    r = request(server, "HEAD", "/site/page.html", CHROME_NAV)
    assert r.status_code == 302
    assert r.headers["Location"] == "/login.html?next=%2Fsite%2Fpage.html"
    assert_401_json(request(server, "POST", "/site/page.html", CHROME_NAV))
    assert_401_json(request(server, "DELETE", "/site/page.html", CHROME_NAV))


def test_refused_cookie_also_goes_to_the_login_page(server):
    expired = fastapi_users_token(SECRET, lifetime=-60)
    r = request(server, "GET", "/site/page.html", CHROME_NAV, cookie=expired)
    assert r.status_code == 302


def test_login_url_with_a_query_and_an_absolute_one(server):
    r = request(server, "GET", "/siteq/x", CHROME_NAV)
    assert r.headers["Location"] == "/login?app=siteq&next=%2Fsiteq%2Fx"
    r = request(server, "GET", "/sso/x", CHROME_NAV)
    assert r.headers["Location"] == \
        "https://sso.example/login?next=%2Fsso%2Fx"


def test_an_unsafe_path_is_not_offered_as_next(server):
    r = request(server, "GET", "/site/%0d%0aSet-Cookie:%20x=1", CHROME_NAV)
    assert r.status_code == 302
    assert r.headers["Location"] == "/login.html"
    assert "x=1" not in r.headers.get("Set-Cookie", "")


def test_without_login_url_a_page_load_gets_401(server):
    assert_401_json(request(server, "GET", "/plain/page.html", CHROME_NAV))
    assert "Vary" not in request(server, "GET", "/plain/page.html",
                                 CHROME_NAV).headers


def test_authenticated_but_not_authorized_is_not_sent_to_login(server):
    # carol is logged in; sending her to the login page would loop
    r = request(server, "GET", "/site/bob/page.html", CHROME_NAV,
                cookie=cookie_token())
    assert_401_json(r)
    r = request(server, "GET", "/site/data.json", CHROME_NAV,
                cookie=cookie_token())
    assert r.status_code == 200


# ---- next= after login ------------------------------------------------------

def login(server, path="/auth/web/login", next=None, data=None,
          headers=None, password=CAROL_PW):
    h = {"Origin": self_origin(server), "Accept": "*/*"}
    h.update(headers or {})
    if data is None:
        data = [("username", "carol"), ("password", password)]
        if next is not None:
            data.append(("next", next))
    return session().post(server.url(path), data=data, headers=h,
                          allow_redirects=False, timeout=20)


GOOD_NEXT = ["/", "/site/page.html", "/site/page.html?a=1&b=%2F",
             "/site/caf%C3%A9", "/a%20b", "/site/x#top", "/javascript:x",
             "/site/%2e%2e/x", "/site/./page.html", "/site/a/../page.html",
             "/a/..", "/site/x?to=/.//evil"]

BAD_NEXT = [
    "//evil.example", "//evil.example/path", "///evil.example",
    "https://evil.example", "http://evil.example/", "HTTPS://evil.example",
    "https:/evil.example", "http:evil.example", "evil.example", "./x",
    "/\\evil.example", "\\\\evil.example", "\\/evil.example",
    "/\\/evil.example", "%2F%2Fevil", "%2F%2Fevil.example", "/%2F%2Fevil",
    "/%2f/evil.example", "/%5Cevil.example", "/%5cevil", "/%2F%5Cevil",
    "/%252F%252Fevil.example", "/%25252F%25252Fevil.example",
    "/%2525252F%2525252Fevil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/x\r\nSet-Cookie: evil=1", "/x\nLocation: https://evil.example",
    "/x\rX: 1", "/%0d%0aSet-Cookie:%20evil=1",
    "/%0D%0ALocation:%20https://evil.example", "/%0a", "/%250d%250a",
    "\t//evil.example", "/\t/evil.example", "//\tevil.example",
    "/%09/evil.example", "/%09%2Fevil.example", " /evil", "/ /evil",
    "/evil ", "\n/evil", "/%00", "/x%00y", "/%", "/%zz", "/%2",
    "/\u00e9", "/\x7f", "/" + "a" * 5000,
    # a browser removes dot segments: each of these becomes "//evil..."
    "/.//evil.example", "/..//evil.example", "/a/..//evil.example",
    "/x/.././/evil.example", "/././/evil", "/.//", "/%2e//evil.example",
    "/%2E%2E//evil.example", "/.%2e//evil", "/%252e//evil.example",
]


@pytest.mark.parametrize("target", GOOD_NEXT)
def test_next_to_a_path_of_this_site_is_followed(server, target):
    r = login(server, next=target)
    assert r.status_code == 303, r.text
    assert r.headers["Location"] == target
    assert r.headers["Set-Cookie"].startswith("fastapiusersauth=")
    assert r.headers["Cache-Control"] == "no-store"
    assert r.content == b""


@pytest.mark.parametrize("target", BAD_NEXT)
def test_next_anywhere_else_is_not_followed(server, target):
    mark = server.log_mark()
    r = login(server, next=target)
    assert r.status_code == 204, (target, r.status_code, r.headers)
    assert "Location" not in r.headers
    assert r.headers["Set-Cookie"].startswith("fastapiusersauth=")
    assert "is not a path of this site: ignored" in server.log_since(
        mark, "ignored")


def test_next_given_twice_or_empty_is_not_followed(server):
    r = login(server, data=[("username", "carol"), ("password", CAROL_PW),
                            ("next", "/a"), ("next", "/b")])
    assert r.status_code == 204
    assert "Location" not in r.headers
    r = login(server, next="")
    assert r.status_code == 204


def test_configured_default_when_next_is_missing_or_refused(server):
    for target in (None, "//evil.example", "https://evil.example"):
        r = login(server, "/auth/dflt/login", next=target)
        assert r.status_code == 303, target
        assert r.headers["Location"] == "/site/home.html"
    r = login(server, "/auth/dflt/login", next="/site/other.html")
    assert r.headers["Location"] == "/site/other.html"


def test_bearer_login_ignores_next(server):
    r = login(server, "/auth/api/login", next="/site/page.html")
    assert r.status_code == 200
    assert "access_token" in r.json()
    assert "Location" not in r.headers


def test_failed_login_from_the_form_goes_back_to_it(server):
    form_post = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin",
                 "Accept": CHROME_NAV["Accept"]}
    r = login(server, next="/site/page.html?x=1", password="wrong",
              headers=form_post)
    assert r.status_code == 303
    assert r.headers["Location"] == ("/login.html?error=LOGIN_BAD_CREDENTIALS"
                                     "&next=%2Fsite%2Fpage.html%3Fx%3D1")
    assert "Set-Cookie" not in r.headers
    r = login(server, next="//evil.example", password="wrong",
              headers=form_post)
    assert r.headers["Location"] == "/login.html?error=LOGIN_BAD_CREDENTIALS"
    # an API client gets fastapi-users' answer
    r = login(server, next="/site/page.html", password="wrong")
    assert r.status_code == 400
    assert r.json() == {"detail": "LOGIN_BAD_CREDENTIALS"}


# ---- logout --------------------------------------------------------------------

CLEAR = ('fastapiusersauth=""; HttpOnly; Max-Age=0; Path=/; SameSite=lax; '
         'Secure')


def logout(server, path="/auth/web/logout", headers=None, cookie=None,
           bearer=None):
    h = {"Origin": self_origin(server)}
    h.update(headers or {})
    if bearer:
        h["Authorization"] = "Bearer " + bearer
    return request(server, "POST", path, h, cookie=cookie)


def test_logout_sends_a_browser_on(server):
    r = logout(server, headers={"Sec-Fetch-Mode": "navigate",
                                "Accept": CHROME_NAV["Accept"]},
               cookie=cookie_token())
    assert r.status_code == 303
    assert r.headers["Location"] == "/bye.html"
    assert r.raw.headers.getlist("Set-Cookie") == [CLEAR]


def test_logout_answers_an_api_client_with_204(server):
    r = logout(server, headers=FETCH, cookie=cookie_token())
    assert r.status_code == 204
    assert r.raw.headers.getlist("Set-Cookie") == [CLEAR]
    r = logout(server, "/auth/plain/logout", headers=CHROME_NAV,
               cookie=cookie_token())
    assert r.status_code == 204
    r = logout(server, "/auth/api/logout", headers=FETCH,
               bearer=cookie_token())
    assert r.status_code == 204


def test_logout_of_a_browser_already_logged_out(server):
    expired = fastapi_users_token(SECRET, lifetime=-60)
    for cookie in (None, expired):
        r = logout(server, headers=CHROME_NAV, cookie=cookie)
        assert r.status_code == 303
        assert r.headers["Location"] == "/bye.html"
        assert r.raw.headers.getlist("Set-Cookie") == [CLEAR]
        assert_401_json(logout(server, headers=FETCH, cookie=cookie))


# ---- CSRF: cookie-authenticated unsafe requests --------------------------------

SELF = "http://127.0.0.1:@PORT@"
CSRF_CASES = [
    # id, headers, allowed
    ("origin-same", {"Origin": SELF}, True),
    ("origin-same-upper-case", {"Origin": SELF.upper()}, True),
    ("origin-other", {"Origin": "https://evil.example"}, False),
    ("origin-null", {"Origin": "null"}, False),
    ("origin-other-port", {"Origin": "http://127.0.0.1:1"}, False),
    ("origin-other-scheme", {"Origin": SELF.replace("http:", "https:")},
     False),
    ("origin-other-host-name", {"Origin": SELF.replace("127.0.0.1",
                                                       "localhost")}, False),
    ("origin-with-path", {"Origin": SELF + "/x"}, False),
    ("origin-lookalike", {"Origin": SELF + ".evil.example"}, False),
    ("origin-userinfo", {"Origin": SELF + "@evil.example"}, False),
    ("origin-empty", {"Origin": ""}, False),
    ("origin-trusted", {"Origin": "https://trusted.example"}, True),
    ("origin-trusted-default-port", {"Origin": "https://trusted.example:443"},
     True),
    ("origin-trusted-other-scheme", {"Origin": "http://trusted.example"},
     False),
    ("origin-trusted-second", {"Origin": "http://localhost:3000"}, True),
    ("origin-trusted-subdomain", {"Origin": "https://a.trusted.example"},
     False),
    ("nothing", {}, False),
    ("fetch-site-same-origin", {"Sec-Fetch-Site": "same-origin"}, True),
    ("fetch-site-same-site", {"Sec-Fetch-Site": "same-site"}, False),
    ("fetch-site-cross-site", {"Sec-Fetch-Site": "cross-site"}, False),
    ("fetch-site-none", {"Sec-Fetch-Site": "none"}, False),
    ("origin-beats-fetch-site", {"Origin": "https://evil.example",
                                 "Sec-Fetch-Site": "same-origin"}, False),
    ("referer-same", {"Referer": SELF + "/site/form.html?x=1"}, True),
    ("referer-other", {"Referer": "https://evil.example/page"}, False),
    ("referer-trusted", {"Referer": "https://trusted.example/app"}, True),
    ("referer-lookalike", {"Referer": "http://127.0.0.1.evil.example/"},
     False),
    ("referer-not-a-url", {"Referer": "about:blank"}, False),
    # a browser reads these as evil.example's: "\\" ends the authority
    ("referer-backslash-userinfo",
     {"Referer": "http://evil.example\\@127.0.0.1:@PORT@/"}, False),
    # no browser sends userinfo in a Referer
    ("referer-userinfo", {"Referer": "http://u:p@127.0.0.1:@PORT@/"}, False),
    ("fetch-site-beats-referer", {"Sec-Fetch-Site": "cross-site",
                                  "Referer": SELF + "/"}, False),
    ("origin-beats-referer", {"Origin": "null", "Referer": SELF + "/"},
     False),
]


def fill(server, headers):
    return {k: v.replace("@PORT@", str(server.port))
            for k, v in headers.items()}


@pytest.mark.parametrize("headers, allowed", [c[1:] for c in CSRF_CASES],
                         ids=[c[0] for c in CSRF_CASES])
def test_csrf_on_a_protected_location(server, headers, allowed):
    r = request(server, "POST", "/site/cgi/env", fill(server, headers),
                cookie=cookie_token(), data={"a": "1"})
    if allowed:
        assert r.status_code == 200, r.text
        assert "REMOTE_USER=carol" in r.text
    else:
        assert r.status_code == 403, r.text
        assert r.headers["Content-Type"] == "application/json"
        assert r.json() == {"detail": "Forbidden"}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE",
                                    "PROPPATCH", "MKCOL"])
def test_every_unsafe_method_is_checked(server, method):
    cookie = cookie_token()
    r = request(server, method, "/site/cgi/env",
                {"Origin": "https://evil.example"}, cookie=cookie)
    assert r.status_code == 403
    r = request(server, method, "/site/cgi/env",
                {"Origin": self_origin(server)}, cookie=cookie)
    assert r.status_code != 403


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_safe_methods_are_not_checked(server, method):
    r = request(server, method, "/site/cgi/env",
                {"Origin": "https://evil.example",
                 "Sec-Fetch-Site": "cross-site"}, cookie=cookie_token())
    assert r.status_code == 200


def test_bearer_requests_are_not_checked(server):
    token = cookie_token()
    r = request(server, "POST", "/site/cgi/env",
                {"Origin": "https://evil.example",
                 "Authorization": "Bearer " + token})
    assert r.status_code == 200
    assert "AUTH_BACKEND=api" in r.text
    # with both, the first backend of the location decides
    r = request(server, "POST", "/site/cgi/env",
                {"Origin": "https://evil.example",
                 "Authorization": "Bearer " + token}, cookie=token)
    assert r.status_code == 403
    r = request(server, "POST", "/apifirst/cgi/env",
                {"Origin": "https://evil.example",
                 "Authorization": "Bearer " + token}, cookie=token)
    assert r.status_code == 200


def test_unauthenticated_cross_site_request_is_a_plain_401(server):
    assert_401_json(request(server, "POST", "/site/cgi/env",
                            {"Origin": "https://evil.example"}))


def test_refusal_is_logged_without_the_referer_path(server):
    mark = server.log_mark()
    request(server, "POST", "/site/cgi/env",
            {"Referer": "https://evil.example/p?session=s3cr3t"},
            cookie=cookie_token())
    # httpd's default ErrorLogFormat appends ", referer: ..." to every
    # line of a request; the module's own text has only the origin
    log = server.log_since(mark, "cross-site request forgery")
    log = "".join(line.split(", referer: ")[0] for line in log.splitlines())
    assert "auth_backend: event=csrf_refused reason=foreign_referer " \
        "client=127.0.0.1 user=\"carol\" action=request detail=\"POST " \
        "/site/cgi/env refused as a possible cross-site request forgery: no " \
        "Origin, and the Referer is from https://evil.example:443\"" in log
    assert "s3cr3t" not in log


# ---- CSRF at the login and logout handlers -------------------------------------

HANDLER_CASES = [
    ("origin-same", {"Origin": SELF}, True),
    ("origin-other", {"Origin": "https://evil.example"}, False),
    ("origin-null", {"Origin": "null"}, False),
    ("nothing", {}, False),
    ("fetch-site-same-origin", {"Sec-Fetch-Site": "same-origin"}, True),
    ("fetch-site-cross-site", {"Sec-Fetch-Site": "cross-site"}, False),
    ("referer-same", {"Referer": SELF + "/login.html"}, True),
    ("referer-other", {"Referer": "https://evil.example/"}, False),
]


@pytest.mark.parametrize("headers, allowed", [c[1:] for c in HANDLER_CASES],
                         ids=[c[0] for c in HANDLER_CASES])
def test_login_csrf(server, headers, allowed):
    r = session().post(server.url("/auth/web/login"),
                       data={"username": "carol", "password": CAROL_PW},
                       headers=fill(server, headers), allow_redirects=False,
                       timeout=20)
    if allowed:
        assert r.status_code == 204
        assert "Set-Cookie" in r.headers
    else:
        assert r.status_code == 403
        assert r.json() == {"detail": "Forbidden"}
        assert "Set-Cookie" not in r.headers


def test_login_from_a_trusted_origin(server):
    r = login(server, headers={"Origin": "https://trusted.example"})
    assert r.status_code == 204


def test_bearer_login_is_not_checked(server):
    r = login(server, "/auth/api/login",
              headers={"Origin": "https://evil.example"})
    assert r.status_code == 200


@pytest.mark.parametrize("headers, allowed", [c[1:] for c in HANDLER_CASES],
                         ids=[c[0] for c in HANDLER_CASES])
def test_logout_csrf(server, headers, allowed):
    r = request(server, "POST", "/auth/plain/logout",
                fill(server, headers), cookie=cookie_token())
    if allowed:
        assert r.status_code == 204
        assert r.raw.headers.getlist("Set-Cookie") == [CLEAR]
    else:
        assert r.status_code == 403
        assert r.json() == {"detail": "Forbidden"}
        assert "Set-Cookie" not in r.headers


def test_bearer_logout_is_not_checked(server):
    r = request(server, "POST", "/auth/api/logout",
                {"Origin": "https://evil.example",
                 "Authorization": "Bearer " + cookie_token()})
    assert r.status_code == 204
