"""Hostile requests, written byte for byte on a socket, against protected
locations (bearer JWT, cookie JWT, bearer dbd/SQLite with opaque tokens)
and the login handler: oversized headers and bodies; NUL, control and
non-UTF-8 bytes in the Authorization and Cookie headers, the URL and the
form fields; hundreds of cookies; repeated Authorization headers and form
fields; chunked, slow, mistyped and multipart login bodies; HTTP/1.0,
HTTP/0.9 and absolute-form requests; path tricks.

Each must get a clear 4xx (JSON where the module answers), never the
protected content; nothing the client sent (a <script> marker, CR/LF, a
token, a password) comes back unescaped in a header or body; no child
crashes; and a normal login and use still work afterwards.
"""

import os
import pwd
import socket
import subprocess
import threading
import time
from urllib.parse import quote

import pytest

import raw_http
from tokens import fastapi_users_token

SECRET = "hostile-secret-0123456789-abcdefghijklmn"
PASSWORD = "hostile-Pa55word"
MARK = b"<script>alert(1)</script>"
INJECT = b"\r\nX-Injected: 1"
FORM = "application/x-www-form-urlencoded"
HELLO = b"<p>hello</p>"

CONF = """
DBDriver sqlite3
DBDParams "@ROOT@/db/tokens.sqlite"
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend web>
    AuthBackendTransport cookie secure=off
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend db>
    AuthBackendTransport bearer
    AuthBackendStrategy dbd create-table=on
</AuthBackend>
<LocationMatch "^/(api|web|db)/">
    AuthType backend
    AuthName "hostile"
    Require valid-user
</LocationMatch>
<Location /api/>
    AuthBackendProvider api
</Location>
<Location /web/>
    AuthBackendProvider web
    AuthBackendLoginURL /login.html
</Location>
<Location /db/>
    AuthBackendProvider db
</Location>
<LocationMatch "^/login/(api|web|db)$">
    SetHandler auth-backend-login
    AuthUserFile @ROOT@/users
    Require all granted
</LocationMatch>
<Location /login/api>
    AuthBackendProvider api
</Location>
<Location /login/web>
    AuthBackendProvider web
</Location>
<Location /login/db>
    AuthBackendProvider db
</Location>
<Location /logout/api>
    SetHandler auth-backend-logout
    AuthBackendProvider api
    Require all granted
</Location>
AliasMatch "^/(api|web|db)/(.*)$" "@ROOT@/htdocs/$2"
# httpd answers TRACE before any authentication, echoing the request
TraceEnable off
"""

WWW = pwd.getpwnam("www-data") if os.geteuid() == 0 else None


def users_file():
    return subprocess.run(["htpasswd", "-nbs", "alice", PASSWORD], check=True,
                          capture_output=True, text=True).stdout


def make_server(httpd_factory, extra="", modules=()):
    h = httpd_factory(CONF + extra, start=False,
                      modules=["dbd"] + list(modules))
    h.write("secret", SECRET, mode=0o600)
    h.write("users", users_file())
    h.write("htdocs/login.html", "<form></form>\n")
    os.makedirs(h.path("db"))
    if WWW:
        os.chown(h.path("db"), WWW.pw_uid, WWW.pw_gid)
    h.tokens = TOKENS
    return h.start()


@pytest.fixture(scope="module")
def server(httpd_factory):
    return make_server(httpd_factory)


# ---- requests and checks -----------------------------------------------------

def req(server, method, target, headers=(), body=b"", **kw):
    return raw_http.request(server.port, method, target, headers, body, **kw)


def form(**fields):
    return "&".join("%s=%s" % (k, quote(v, safe="")) for k, v in
                    fields.items()).encode()


def login_body(user="alice", password=PASSWORD):
    return form(username=user, password=password)


def assert_clean(r):
    """Nothing the client sent comes back unescaped: no script marker, no
    header made of injected CR/LF, only printable header lines."""
    assert b"<script" not in r.raw.lower(), r
    assert r.header("X-Injected") is None, r
    for line in r.head.split(b"\r\n")[1:]:
        assert b":" in line, r
        assert all(c >= 0x20 or c == 0x09 for c in line), r
        assert b"\n" not in line and b"\r" not in line
    assert HELLO not in r.body, "protected content was served"


def assert_4xx(r, allowed):
    """A 4xx of ALLOWED (None: an HTTP/0.9 answer, a body alone)."""
    assert r.status in allowed, r
    assert r.status is None or 400 <= r.status < 500, r
    assert_clean(r)
    if r.header("Content-Type") == "application/json":
        r.json()                       # the module's answers are JSON


def assert_401(r, refused=True, realm="hostile"):
    assert r.status == 401, r
    assert r.header("Content-Type") == "application/json"
    assert r.json() == {"detail": "Unauthorized"}
    challenge = r.header("WWW-Authenticate")
    if challenge is not None:          # bearer locations only
        assert challenge.startswith('Bearer realm="%s"' % realm)
        assert ('error="invalid_token"' in challenge) == refused
    assert_clean(r)


def post_login(server, body, ctype=FORM, path="/login/api", headers=(),
               **kw):
    h = list(headers)
    if ctype is not None:
        h.append(("Content-Type", ctype))
    return req(server, "POST", path, h, body, **kw)


def json_login(server, path="/login/api"):
    r = post_login(server, login_body(), path=path)
    assert r.status == 200, r
    return r.json()["access_token"]


TOKENS = []


def good_token():
    t = fastapi_users_token(SECRET)
    TOKENS.append(t)
    return t


def bearer(token):
    return [("Authorization", "Bearer " + token)]


# ---- oversized headers and bodies ----------------------------------------------

@pytest.mark.parametrize("path,method", [("/api/index.html", "GET"),
                                         ("/db/index.html", "GET"),
                                         ("/login/api", "POST")])
def test_authorization_over_limit_request_field_size(server, path, method):
    value = b"Bearer " + b"A" * 9000 + MARK
    r = req(server, method, path, [("Authorization", value),
                                   ("Content-Type", FORM)],
            login_body() if method == "POST" else b"")
    assert_4xx(r, (400,))
    assert b"AAAAAAAAAAAAAAAA" not in r.raw


def test_cookie_over_limit_request_field_size(server):
    r = req(server, "GET", "/web/index.html",
            [("Cookie", b"fastapiusersauth=" + b"A" * 9000)])
    assert_4xx(r, (400,))


def test_too_many_header_fields(server):
    headers = [("X-H%d" % i, MARK) for i in range(150)]
    assert_4xx(req(server, "GET", "/api/index.html", headers), (400,))


def test_request_line_over_limit(server):
    r = req(server, "GET", b"/api/" + b"a" * 9000 + b"%3Cscript%3E")
    assert_4xx(r, (414,))


def test_large_body_at_protected_location_is_not_waited_for(server):
    """A 10 MB body announced but never sent: the answer is 401 at once,
    not after reading (or waiting for) the body."""
    for headers in ([("Content-Length", str(10 << 20))],
                    [("Transfer-Encoding", "chunked")]):
        data = raw_http.build("POST", "/api/index.html", headers)
        t = time.monotonic()
        r = raw_http.Response(raw_http.send(server.port, data, timeout=15))
        # httpd's Timeout here is 10 s: waiting for the body would show
        assert time.monotonic() - t < 5
        assert_401(r, refused=False)
        assert r.header("Connection") == "close"


def test_large_body_sent_to_protected_location(server):
    r = req(server, "POST", "/api/index.html",
            [("Content-Type", "application/octet-stream")],
            MARK * 40000, timeout=30)
    assert_401(r, refused=False)


def test_login_body_over_limit_by_content_length(server):
    r = post_login(server, login_body() + b"&x=" + b"a" * 20000)
    assert_4xx(r, (413,))
    assert r.json() == {"detail": "Request Entity Too Large"}


def test_login_body_over_limit_announced_only(server):
    data = raw_http.build("POST", "/login/api",
                          [("Content-Type", FORM),
                           ("Content-Length", str(1 << 30))])
    r = raw_http.Response(raw_http.send(server.port, data))
    assert_4xx(r, (413,))


def test_chunked_login_body_over_limit(server):
    body = login_body() + b"&x=" + b"a" * 20000
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]),
                                         body[i:i + 1000])
                      for i in range(0, len(body), 1000)) + b"0\r\n\r\n"
    r = post_login(server, chunks, headers=[("Transfer-Encoding", "chunked")])
    assert_4xx(r, (413,))
    assert r.json() == {"detail": "Request Entity Too Large"}


@pytest.mark.parametrize("length", [b"99999999999999999999999", b"-1",
                                    b"12abc", b"1, 2", b"0x10"])
def test_bad_content_length(server, length):
    r = post_login(server, login_body(),
                   headers=[("Content-Length", length)], length=False)
    assert_4xx(r, (400, 413))


# ---- NUL, control characters and non-UTF-8 in headers ---------------------------

AUTHORIZATION = [
    ("nul", b"Bearer abc\x00def"),
    ("nul-first", b"\x00Bearer abc"),
    ("ctl", b"Bearer \x01\x02abc"),
    ("del", b"Bearer abc\x7fdef"),
    ("escape", b"Bearer \x1b[31mred\x1b[0m"),
    ("vt-only", b"Bearer \x0b"),
    ("non-utf8", b"Bearer \xff\xfe\xfd"),
    ("overlong-utf8", b"Bearer \xc0\xaf\xc0\xafetc"),
    ("utf8", "Bearer \u00e9\u20ac".encode()),
    ("script", b"Bearer " + MARK),
    ("quote-backslash", b'Bearer a"b\\c'),
    ("basic-non-utf8", b"Basic \xff\xfe"),
    ("opaque-with-nul", b"Bearer " + b"A" * 20 + b"\x00" + b"A" * 22),
    ("opaque-punctuation", b"Bearer " + b"!" * 43),
    ("opaque-44", b"Bearer " + b"A" * 44),
    ("jwt-with-nul", b"Bearer eyJhbGciOiJIUzI1NiJ9\x00.e30.x"),
]


@pytest.mark.parametrize("where", ["api", "db"])
@pytest.mark.parametrize("name,value", AUTHORIZATION,
                         ids=[a[0] for a in AUTHORIZATION])
def test_hostile_authorization_header(server, where, name, value):
    r = req(server, "GET", "/%s/index.html" % where,
            [("Authorization", value)])
    assert_4xx(r, (400, 401))
    if r.status == 401:
        assert_401(r, refused=not value.startswith(b"Basic"))


COOKIES = [
    ("nul", b"fastapiusersauth=abc\x00def"),
    ("ctl", b"fastapiusersauth=\x01abc"),
    ("del", b"fastapiusersauth=a\x7fb"),
    ("non-utf8", b"fastapiusersauth=\xff\xfe"),
    ("script", b"fastapiusersauth=" + MARK),
    ("quoted-script", b'fastapiusersauth="' + MARK + b'"'),
    ("name-non-utf8", b"\xff\xfe=1; fastapiusersauth=abc"),
    ("no-value", b"fastapiusersauth"),
    ("semicolons", b";;;;fastapiusersauth=;;;"),
    ("comma-split", b"fastapiusersauth=a,fastapiusersauth=b"),
]


@pytest.mark.parametrize("name,value", COOKIES, ids=[c[0] for c in COOKIES])
def test_hostile_cookie_header(server, name, value):
    r = req(server, "GET", "/web/index.html", [("Cookie", value)])
    assert_4xx(r, (400, 401))
    if r.status == 401:
        assert_401(r)


# ---- the URL ----------------------------------------------------------------------

URLS = [
    b"/api/\x00", b"/api/%00", b"/api/index.html%00", b"/api/\x01x",
    b"/api/\x7f", b"/api/\xff\xfe", b"/api/%ff%fe", b"/api/%c0%af",
    b"/api/%3Cscript%3Ealert(1)%3C/script%3E", b"/api/" + MARK,
    b"/api/%0d%0aX-Injected:%201", b"/api/\r\nX-Injected: 1",
    b"/api/index.html?<script>", b"/api/index.html?%0d%0aX-Injected:%201",
    # the protected file must not be reached around the Location
    b"/api//index.html", b"//api/index.html", b"/./api/index.html",
    b"/x/../api/index.html", b"/api/./index.html", b"/%61pi/index.html",
    b"/api/%2e/index.html", b"/x/%2e%2e/api/index.html",
    b"/api%2findex.html", b"/api/index.html/.", b"/api/index.html%20",
    b"/api/index.html;x=1", b"/api\\index.html",
    b"/db/%00", b"/db/\xff", b"/web/%0d%0a", b"/web/\x01",
    b"/login/api%00", b"/login/api/../api",
]


@pytest.mark.parametrize("target", URLS, ids=[repr(u)[2:-1] for u in URLS])
def test_hostile_url(server, target):
    r = req(server, "GET", target)
    # a raw CR/LF ends the request line early: "GET /api/" is HTTP/0.9
    assert_4xx(r, (400, 401, 403, 404, 405) + ((None,) if b"\r" in target
                                               else ()))
    if r.status == 401:
        assert_401(r, refused=False)


def test_hostile_url_redirect_to_login_page_is_encoded(server):
    """A page load at a cookie location goes to the login page with next=
    (the URL as sent): CR/LF and markup in it stay encoded."""
    for target in (b"/web/%0d%0aX-Injected:%201", b"/web/%3Cscript%3E",
                   b"/web/x?a=%0d%0aX-Injected:%201&b=%3Cscript%3E"):
        r = req(server, "GET", target, [("Accept", "text/html")])
        assert r.status == 302, r
        assert_clean(r)
        assert r.header("Location").startswith("/login.html")


# ---- form fields -----------------------------------------------------------------

FORMS = [
    ("username-nul", b"username=ali%00ce&password=" + PASSWORD.encode(),
     422, "username"),
    ("username-raw-nul", b"username=ali\x00ce&password=" + PASSWORD.encode(),
     422, "username"),
    ("username-ctl", b"username=%01alice&password=x", 422, "username"),
    ("username-crlf", b"username=alice%0d%0aX-Injected:%201&password=x", 422,
     "username"),
    ("username-non-utf8", b"username=%ff%fe&password=x", 422, "username"),
    ("username-raw-non-utf8", b"username=\xff\xfe&password=x", 422,
     "username"),
    ("username-overlong", b"username=%c0%af&password=x", 422, "username"),
    ("password-nul", b"username=alice&password=" + PASSWORD.encode()
     + b"%00x", 422, "password"),
    ("grant-type-script", b"username=alice&password=x&grant_type="
     + quote(MARK).encode(), 422, "grant_type"),
    ("username-script", b"username=" + quote(MARK).encode()
     + b"&password=x", 400, None),
    ("password-script", b"username=alice&password=" + quote(MARK).encode(),
     400, None),
    ("username-dup", login_body() + b"&username=bob", 422, "username"),
    ("username-dup-same", login_body() + b"&username=alice", 422,
     "username"),
    ("password-dup", login_body() + b"&password=" + PASSWORD.encode(), 422,
     "password"),
    ("grant-type-dup", login_body() + b"&grant_type=password&grant_type="
     b"password", 422, "grant_type"),
    ("empty-fields", b"username=&password=", 422, "username"),
    ("no-equals", b"username&password", 422, "username"),
    ("only-separators", b"&&&&==&&", 422, "username"),
    ("bad-percent", b"username=%zz&password=%", 422, "password"),
    ("plus-and-space", b"username=al+ice&password=x", 400, None),
]


@pytest.mark.parametrize("name,body,status,field", FORMS,
                         ids=[f[0] for f in FORMS])
def test_hostile_form_fields(server, name, body, status, field):
    r = post_login(server, body)
    assert_4xx(r, (status,))
    assert r.header("Content-Type") == "application/json"
    detail = r.json()["detail"]
    if status == 422:
        assert field in [d["loc"][1] for d in detail], detail
        for d in detail:
            assert set(d) <= {"type", "loc", "msg", "input"}
            assert d.get("input") is None       # values are not echoed
    elif status == 400 and name != "bad-percent":
        assert detail == "LOGIN_BAD_CREDENTIALS"


# ---- hundreds of cookies, repeated headers -----------------------------------

def cookie_jar(n, token=None, at=None):
    pairs = ["c%d=%s" % (i, "v" * 5) for i in range(n)]
    if token:
        pairs.insert(n // 2 if at is None else at, "fastapiusersauth=" + token)
    return "; ".join(pairs)


def test_hundreds_of_cookies(server):
    t = good_token()
    r = req(server, "GET", "/web/index.html",
            [("Cookie", cookie_jar(400, t))])
    assert r.status == 200 and HELLO in r.body, r
    assert_401(req(server, "GET", "/web/index.html",
                   [("Cookie", cookie_jar(400))]), refused=False)


def test_cookie_in_many_cookie_headers(server):
    t = good_token()
    headers = [("Cookie", "c%d=v" % i) for i in range(90)]
    headers.insert(45, ("Cookie", "fastapiusersauth=" + t))
    r = req(server, "GET", "/web/index.html", headers)
    assert r.status == 200 and HELLO in r.body, r


def test_hundreds_of_copies_of_the_token_cookie(server):
    t = good_token()
    # the same value many times is still one token ...
    same = "; ".join(["fastapiusersauth=" + t] * 30)
    r = req(server, "GET", "/web/index.html", [("Cookie", same)])
    assert r.status == 200, r
    # ... but different values cannot be told apart: refused
    mixed = "; ".join(["fastapiusersauth=" + t]
                      + ["fastapiusersauth=x%d" % i for i in range(300)])
    assert_401(req(server, "GET", "/web/index.html", [("Cookie", mixed)]))


@pytest.mark.parametrize("values", [
    ["Bearer GOOD", "Bearer GOOD"],
    ["Bearer GOOD", "Bearer garbage"],
    ["Bearer garbage", "Bearer GOOD"],
    ["Bearer GOOD", "Basic YWxpY2U6eA=="],
    ["Bearer GOOD"] * 50,
], ids=["same", "good-bad", "bad-good", "bearer-basic", "fifty"])
def test_repeated_authorization_headers(server, values):
    t = good_token()
    headers = [("Authorization", v.replace("GOOD", t)) for v in values]
    r = req(server, "GET", "/api/index.html", headers)
    # fifty merged copies exceed LimitRequestFieldSize: httpd's 400
    assert_4xx(r, (400, 401) if len(values) > 10 else (401,))
    if r.status == 401:
        assert_401(r)


def test_repeated_authorization_headers_at_login_and_logout(server):
    t = good_token()
    r = post_login(server, login_body(),
                   headers=[("Authorization", "Bearer " + t)] * 2)
    assert r.status == 200, r       # login ignores Authorization
    r = req(server, "POST", "/logout/api", [("Authorization", "Bearer " + t),
                                            ("Authorization", "Bearer x")])
    assert_401(r, realm="api")


# ---- chunked, mistyped and multipart login bodies ---------------------------------

def chunked(body, size):
    return b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + size]),
                                      body[i:i + size])
                    for i in range(0, len(body), size)) + b"0\r\n\r\n"


def test_chunked_login_works(server):
    r = post_login(server, chunked(login_body(), 7),
                   headers=[("Transfer-Encoding", "chunked")])
    assert r.status == 200, r
    t = r.json()["access_token"]
    r = req(server, "GET", "/api/index.html", bearer(t))
    assert r.status == 200 and HELLO in r.body


@pytest.mark.parametrize("body", [
    b"zz\r\nusername=alice\r\n0\r\n\r\n",                # bad chunk size
    b"5\r\nusername=alice\r\n0\r\n\r\n",                 # size too small
    b"ffffffffffffffffffff\r\nx\r\n0\r\n\r\n",           # size overflows
    b"-5\r\nabcde\r\n0\r\n\r\n",                         # negative size
], ids=["bad-size", "short-size", "huge-size", "negative-size"])
def test_malformed_chunked_login(server, body):
    r = post_login(server, body, headers=[("Transfer-Encoding", "chunked")])
    assert_4xx(r, (400, 413))


@pytest.mark.parametrize("te", ["identity", "chunked, gzip", "x-unknown",
                                "gzip"])
def test_unsupported_transfer_encoding(server, te):
    r = post_login(server, chunked(login_body(), 10),
                   headers=[("Transfer-Encoding", te)])
    assert r.status in (400, 411, 415, 501), r
    assert_clean(r)


@pytest.mark.parametrize("ctype", [
    None, "text/plain", "application/json", "application/x-www-form-urlenc",
    "application/x-www-form-urlencodedX", "text/" + MARK.decode(),
    "multipart/form-data", "application/xml", "*/*", "",
])
def test_wrong_content_type_is_415(server, ctype):
    r = post_login(server, login_body(), ctype=ctype)
    assert_4xx(r, (415,))
    assert r.json() == {"detail": "Unsupported Media Type"}


def test_json_login_body_is_415(server):
    r = post_login(server, b'{"username":"alice","password":"%s"}'
                   % PASSWORD.encode(), ctype="application/json")
    assert_4xx(r, (415,))


def test_multipart_login_body_is_415(server):
    boundary = b"----hostile" + b"x" * 10
    body = b"".join(b"--%s\r\nContent-Disposition: form-data; name=\"%s\""
                    b"\r\n\r\n%s\r\n" % (boundary, k, v)
                    for k, v in ((b"username", b"alice"),
                                 (b"password", PASSWORD.encode())))
    body += b"--%s--\r\n" % boundary
    r = post_login(server, body, ctype="multipart/form-data; boundary="
                   + boundary.decode())
    assert_4xx(r, (415,))


@pytest.mark.parametrize("ctype", [FORM, FORM + "; charset=utf-8",
                                   FORM.upper(), " " + FORM + " ; q=1"])
def test_form_content_types_that_are_accepted(server, ctype):
    r = post_login(server, login_body(), ctype=ctype)
    assert r.status == 200, r


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "FOO",
                                    "OPTIONS"])
def test_login_with_other_methods_is_405(server, method):
    r = req(server, method, "/login/api", [("Content-Type", FORM)],
            login_body())
    assert_4xx(r, (405,))
    assert r.header("Allow") == "POST"


# ---- HTTP versions, absolute-form and odd request lines ----------------------------

def test_http_1_0_without_host(server):
    r = req(server, "GET", "/api/index.html", version="HTTP/1.0", host=None)
    assert_401(r, refused=False)
    t = good_token()
    r = req(server, "GET", "/api/index.html", bearer(t), version="HTTP/1.0",
            host=None)
    assert r.status == 200 and HELLO in r.body
    r = post_login(server, login_body(), version="HTTP/1.0", host=None)
    assert r.status == 200 and "access_token" in r.json()


def test_http_1_1_without_host_is_400(server):
    assert_4xx(req(server, "GET", "/api/index.html", host=None), (400,))


def test_http_0_9_gets_no_protected_content(server):
    raw = raw_http.send(server.port, b"GET /api/index.html\r\n")
    assert HELLO not in raw
    assert b"<script" not in raw.lower()


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/1.2", b"HTTP/9.9",
                                     b"HTTPS/1.1", b"HTTP/1.1 x", b"http/1.1"])
def test_odd_protocol_versions(server, version):
    raw = raw_http.send(server.port, b"GET /api/index.html " + version
                        + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert HELLO not in raw
    if raw.startswith(b"HTTP/"):
        assert_4xx(raw_http.Response(raw), (400, 401, 505))


def test_absolute_form_uri(server):
    url = "http://127.0.0.1:%d/api/index.html" % server.port
    assert_401(req(server, "GET", url), refused=False)
    r = req(server, "GET", url, bearer(good_token()))
    assert r.status == 200 and HELLO in r.body


@pytest.mark.parametrize("url", [
    "http://evil.example/api/index.html",
    "http://user:pw@127.0.0.1/api/index.html",
    "https://127.0.0.1/api/index.html",
    "http://127.0.0.1/%61pi/index.html",
    "http://127.0.0.1/x/../api/index.html",
    "ftp://127.0.0.1/api/index.html",
    "http://127.0.0.1:99999/api/index.html",
])
def test_absolute_form_uri_does_not_get_around_the_location(server, url):
    r = req(server, "GET", url)
    assert_4xx(r, (400, 401, 404))


def test_absolute_form_login(server):
    r = post_login(server, login_body(),
                   path="http://127.0.0.1:%d/login/api" % server.port)
    assert r.status == 200, r


def test_other_methods_at_a_protected_location(server):
    for method in ("FOO", "TRACE", "PROPFIND", "DELETE"):
        r = req(server, method, "/api/index.html",
                [("Authorization", b"Bearer " + MARK)])
        assert_4xx(r, (401, 403, 405, 501))


# ---- cookie login: next= and login CSRF with hostile values -----------------------

def test_cookie_login_next_with_crlf_and_markup(server):
    origin = "http://127.0.0.1:%d" % server.port
    for nxt in ("/%0d%0aX-Injected:%201", "\r\nX-Injected: 1",
                "/" + MARK.decode(), "//evil.example/", "/\\evil"):
        body = login_body() + b"&next=" + quote(nxt, safe="").encode()
        r = post_login(server, body, path="/login/web",
                       headers=[("Origin", origin)])
        assert r.status in (204, 303), r
        assert_clean(r)
        assert "evil" not in (r.header("Location") or "")
    # a path with markup is followed, encoded as RFC 3986 wants it
    r = post_login(server, login_body() + b"&next=" + quote(
        "/a<b>\"c{|}^`").encode(), path="/login/web",
        headers=[("Origin", origin)])
    assert r.status == 303, r
    assert r.header("Location") == "/a%3Cb%3E%22c%7B%7C%7D%5E%60"


@pytest.mark.parametrize("origin", [MARK, b"http://evil.example",
                                    b"\xff\xfe", b"null",
                                    b"http://127.0.0.1\x01"])
def test_cookie_login_with_hostile_origin(server, origin):
    r = post_login(server, login_body(), path="/login/web",
                   headers=[("Origin", origin)])
    assert_4xx(r, (400, 403))


# ---- slow bodies and headers -----------------------------------------------------

SLOW = """
Timeout 3
RequestReadTimeout header=3 body=3,MinRate=500
ThreadsPerChild 4
MaxRequestWorkers 4
MaxSpareThreads 4
"""


@pytest.fixture(scope="module")
def slow_server(httpd_factory):
    return make_server(httpd_factory, extra=SLOW, modules=["reqtimeout"])


class Trickler(threading.Thread):
    """Sends HEAD (bytes) at once, then BODY one byte per second; records
    what came back and when the server ended it."""

    def __init__(self, port, head, body=b"", rate=1.0):
        super().__init__(daemon=True)
        self.port, self.head, self.body, self.rate = port, head, body, rate
        self.answer = b""
        self.took = None

    def run(self):
        t = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port),
                                      timeout=30) as s:
            try:
                s.sendall(self.head)
                for i in range(len(self.body)):
                    s.sendall(self.body[i:i + 1])
                    s.settimeout(1.0 / self.rate)
                    try:
                        data = s.recv(65536)
                        if not data:
                            break
                        self.answer += data
                        break
                    except socket.timeout:
                        continue
                s.settimeout(30)
                while True:
                    data = s.recv(65536)
                    if not data:
                        break
                    self.answer += data
            except OSError:
                pass
        self.took = time.monotonic() - t


def slow_login_head(length=200):
    return raw_http.build("POST", "/login/api",
                          [("Content-Type", FORM),
                           ("Content-Length", str(length))])


def test_slow_login_bodies_are_cut_off_and_workers_released(slow_server):
    """Six clients (more than the 4 workers) trickle a login body at a
    byte a second: RequestReadTimeout cuts each off within seconds, and
    the server then serves logins again."""
    body = login_body() + b"&x=" + b"a" * 150
    clients = [Trickler(slow_server.port, slow_login_head(len(body)), body)
               for _ in range(6)]
    for c in clients:
        c.start()
    for c in clients:
        c.join(30)
    for c in clients:
        assert c.took is not None and c.took < 15, c.took
        # the login handler cannot read the form: its JSON 400
        r = raw_http.Response(c.answer)
        assert_4xx(r, (400, 408))
    # all workers are free again: four logins at once all succeed promptly
    results = []

    def one():
        t = time.monotonic()
        r = post_login(slow_server, login_body())
        results.append((r.status, time.monotonic() - t))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert [s for s, _ in results] == [200] * 4, results
    assert max(d for _, d in results) < 5, results


def test_stalled_login_body_is_cut_off(slow_server):
    head = slow_login_head(50)
    c = Trickler(slow_server.port, head)
    c.start()
    c.join(30)
    assert c.took is not None and c.took < 12, c.took
    assert_4xx(raw_http.Response(c.answer), (400, 408))


def test_slow_headers_are_cut_off(slow_server):
    head = b"POST /login/api HTTP/1.1\r\n"
    c = Trickler(slow_server.port, head,
                 b"Host: 127.0.0.1\r\nX-Slow: " + b"s" * 40)
    c.start()
    c.join(60)
    assert c.took is not None and c.took < 15, c.took
    assert_4xx(raw_http.Response(c.answer), (408,))


def test_slow_server_still_healthy(slow_server):
    t = json_login(slow_server)
    r = req(slow_server, "GET", "/api/index.html", bearer(t))
    assert r.status == 200 and HELLO in r.body
    assert_no_crash_and_no_secrets(slow_server)


# ---- afterwards -----------------------------------------------------------------

def assert_no_crash_and_no_secrets(h):
    log = h.error_log() + h.read("logs/stdout")
    for bad in ("exit signal", "Segmentation fault", "AH00052", "AH00060"):
        assert bad not in log, bad
    text = log.encode("latin-1", "replace")
    assert PASSWORD.encode() not in text
    assert SECRET.encode() not in text


def test_server_is_healthy_afterwards(server):
    for path, backend in (("/api/index.html", "api"), ("/db/index.html",
                                                        "db")):
        t = json_login(server, "/login/" + backend)
        TOKENS.append(t)
        r = req(server, "GET", path, bearer(t))
        assert r.status == 200 and HELLO in r.body, r
    r = post_login(server, login_body(), path="/login/web",
                   headers=[("Origin", "http://127.0.0.1:%d" % server.port)])
    assert r.status == 204, r
    cookie = r.header("Set-Cookie").split(";")[0]
    r = req(server, "GET", "/web/index.html", [("Cookie", cookie)])
    assert r.status == 200 and HELLO in r.body
    assert_no_crash_and_no_secrets(server)
    log = server.error_log()
    for t in server.tokens:
        for part in t.split("."):
            if len(part) >= 16:
                assert part not in log, "a token is in the log"
