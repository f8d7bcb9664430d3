#!/usr/bin/python3
"""Writes the named seeds of the corpora fuzz/corpus/<harness>/ and the
dictionaries fuzz/dict/ (both committed; run this again after changing a
seed here).  Tokens are signed with the secrets the fuzz fixture writes
into its sandbox (fuzz/fuzz.h) and expire in 2100, so the valid ones get
through to the claims.  Other files in the corpora (inputs that found a bug,
inputs merged from a campaign; see README, Fuzzing) are left alone."""

import base64
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = b"fuzz-hs256-secret-0123456789abcdef"
SECRET512 = b"fuzz-hs512-secret-0123456789abcdef0123456789abcdef0123456789abcd"
EXP = 4102444800            # 2100-01-01
AUD = ["fastapi-users:auth"]
FORM = "Content-Type: application/x-www-form-urlencoded\n"
OPAQUE = "q3Z9cD0yT2xqV3J4Y2R0bE5hR1ZvYm5KcGJtYzBOREE"


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def text(obj):
    return obj if isinstance(obj, str) else json.dumps(obj,
                                                       separators=(",", ":"))


def token(payload, header=None, secret=SECRET, digest="sha256", sig=None):
    header = header or {"alg": "HS512" if digest == "sha512" else "HS256",
                        "typ": "JWT"}
    signing_input = "%s.%s" % (b64(text(header)), b64(text(payload)))
    if sig is None:
        sig = b64(hmac.new(secret, signing_input.encode(),
                           getattr(hashlib, digest)).digest())
    return signing_input + "." + sig


def claims(**extra):
    c = {"sub": "alice", "aud": AUD, "exp": EXP}
    c.update(extra)
    return {k: v for k, v in c.items() if v is not None}


VALID = token(claims())


def sqlite_header(journal_mode):
    """The first 100 bytes of a real SQLite database file."""
    import sqlite3
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.sqlite")
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=%s" % journal_mode)
        db.execute("CREATE TABLE t (x)")
        db.commit()
        db.close()
        with open(path, "rb") as f:
            return f.read(100)


SQLITE_HEADER = sqlite_header("delete")
SQLITE_WAL_HEADER = sqlite_header("wal")
VALID512 = token(claims(iss="https://issuer.example", aud=["other"]),
                 secret=SECRET512, digest="sha512")

CORPORA = {
    "fuzz_token": {
        "empty": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v",
        "foobar": "Zm9vYmFy", "url-alphabet": "-_8", "padding": "Zg==",
        "spare-bits": "Zh", "length-1-mod-4": "Z", "opaque": OPAQUE,
        "jwt": VALID, "b64token": "abc.DEF-_~+/", "inner-equals": "ab=c",
        "space": "a b", "bytes": b"\x00\xff\xfb\xef\x10",
    },
    "fuzz_bearer": {
        "valid": "Bearer " + VALID,
        "case-and-space": "bearer   " + VALID + "  ",
        "tab": "Bearer\t" + VALID,
        "basic": "Basic dXNlcjpwYXNz",
        "empty": "Bearer", "empty-space": "Bearer ",
        "space-inside": "Bearer abc def",
        "two-headers": "Bearer %s\nBearer %s" % (VALID, VALID),
        "padding": "Bearer abc==",
        "opaque": "Bearer " + OPAQUE,
        "negotiate": "Negotiate YIIB",
        "expired": "Bearer " + token(claims(exp=1)),
        "bearerx": "Bearerx " + VALID,
    },
    "fuzz_cookie": {
        "valid": "fastapiusersauth=" + VALID,
        "among-others": "a=1; fastapiusersauth=%s; b=2" % VALID,
        "quoted": 'fastapiusersauth="%s"' % VALID,
        "empty": "fastapiusersauth=",
        "different-values": "fastapiusersauth=abc\nfastapiusersauth=def",
        "same-value-twice": "fastapiusersauth=abc; fastapiusersauth=abc",
        "rfc2109": "$Version=1; fastapiusersauth=%s; $Path=/; other=x"
                   % VALID,
        "cookie2": "Cookie2:fastapiusersauth=" + OPAQUE,
        "space-inside": "fastapiusersauth=a b",
        "comma": "other=1, fastapiusersauth=" + OPAQUE,
        "prefix-name": "fastapiusersauthx=1; xfastapiusersauth=2",
        "tossing": "fastapiusersauth=%s\nCookie2:fastapiusersauth=%s"
                   % (OPAQUE, VALID),
    },
    "fuzz_login": {
        "granted": "0" + FORM + "\nusername=alice&password=correct+horse",
        "wrong-password": "0" + FORM + "\nusername=alice&password=wrong",
        "unknown-user": "0" + FORM
                        + "\nusername=bob&password=x&grant_type=password",
        "duplicate": "0" + FORM + "\nusername=alice&username=alice"
                     "&password=correct%20horse",
        "missing": "0" + FORM + "\nusername=&password=",
        "nul": "0" + FORM + "\nusername=al%00ice&password=correct+horse",
        "control": "0" + FORM + "\nusername=al%0Aice&password=x",
        "bad-utf8": "0" + FORM + "\nusername=%FF%FE&password=x",
        "utf8": "0" + FORM + "\nusername=%C3%A9l%C3%A8ve&password=x",
        "grant-type": "0" + FORM + "\ngrant_type=client_credentials"
                      "&username=alice&password=correct+horse",
        "oauth2-extras": "0" + FORM + "\nusername=alice&password=correct+"
                         "horse&scope=a+b&client_id=c&client_secret=d",
        "charset": "0Content-Type: application/x-www-form-urlencoded; "
                   "charset=utf-8\n\nusername=alice&password=correct+horse",
        "text-plain": "0Content-Type: text/plain\n\nusername=alice",
        "no-content-type": "0\nusername=alice&password=correct+horse",
        "content-length": "8" + FORM + "Content-Length: 100000\n\n",
        "too-large": "8" + FORM + "\nusername=alice&password=" + "x" * 80,
        "provider-error": "4" + FORM + "\nusername=error&password=x",
        "cookie": "1" + FORM + "Origin: http://localhost\n\nusername=alice"
                  "&password=correct+horse&next=/dashboard",
        "cookie-browser": "3" + FORM + "Origin: http://localhost\n"
                          "Sec-Fetch-Mode: navigate\nAccept: text/html\n\n"
                          "username=alice&password=correct+horse"
                          "&next=/account%3Fx%3D1",
        "cookie-browser-failed": "3" + FORM + "Origin: http://localhost\n"
                                 "Sec-Fetch-Mode: navigate\n\nusername=alice"
                                 "&password=wrong&next=/a%2Fb",
        "cookie-open-redirect": "3" + FORM + "Origin: http://localhost\n\n"
                                "username=alice&password=correct+horse"
                                "&next=//evil.example",
        "cookie-cross-site": "1" + FORM + "Origin: https://evil.example\n\n"
                             "username=alice&password=correct+horse",
        "cookie-same-site": "5" + FORM + "Sec-Fetch-Site: same-origin\n\n"
                            "username=alice&password=correct+horse",
        "cookie-referer": "1" + FORM + "Referer: http://localhost/login\n\n"
                          "username=alice&password=correct+horse",
        "cookie-no-origin": "1" + FORM + "\nusername=alice&password=x",
    },
    "fuzz_jwt": {
        "valid": VALID,
        "valid-hs512": VALID512,
        "string-aud": token(claims(aud="fastapi-users:auth")),
        "expired": token(claims(exp=1)),
        "no-exp": token(claims(exp=None)),
        "exp-string": token(claims(exp="4102444800")),
        "nbf-future": token(claims(nbf=EXP)),
        "iat-future": token(claims(iat=EXP)),
        "wrong-aud": token(claims(aud=["someone-else"])),
        "aud-number": token(claims(aud=[1])),
        "sub-control": token(claims(sub="al\u0001ice")),
        "sub-missing": token(claims(sub=None)),
        "duplicate-sub": token('{"sub":"alice","sub":"bob","aud":'
                               '["fastapi-users:auth"],"exp":%d}' % EXP),
        "payload-array": token("[1,2]"),
        "alg-none": token(claims(), header={"alg": "none"}, sig=""),
        "alg-lower": token(claims(), header={"alg": "hs256"}),
        "alg-rs256": token(claims(), header={"alg": "RS256"}),
        "alg-es256": token(claims(), header={"alg": "ES256"}),
        "crit": token(claims(), header={"alg": "HS256", "crit": ["exp"]}),
        "kid-jku": token(claims(), header={"alg": "HS256", "kid": "../x",
                                           "jku": "http://127.0.0.1/k"}),
        "bad-signature": VALID[:-2] + "AA",
        "no-signature": VALID.rsplit(".", 1)[0] + ".",
        "non-canonical": VALID[:-1] + chr(ord(VALID[-1]) ^ 1),
        "two-segments": "a.b", "dots": "..", "four-segments": "a.b.c.d",
        "opaque": OPAQUE,
    },
    "fuzz_jwt_claims": {
        "valid": "0" + text(claims()),
        "string-aud": "0" + text(claims(aud="fastapi-users:auth")),
        "fraction-nbf-iat": "0" + text(claims(exp=EXP + 0.5, nbf=0, iat=1)),
        "hs512-issuer": "1" + text(claims(iss="https://issuer.example",
                                          aud=["x", "other"])),
        "hs512-no-issuer": "1" + text(claims(aud=["other"])),
        "expired": "0" + text(claims(exp=1)),
        "exp-string": "0" + text(claims(exp="soon")),
        "exp-null": "0" + text(claims(exp=None)),
        "wrong-aud": "0" + text(claims(aud=["other"])),
        "aud-not-string": "0" + text(claims(aud=["fastapi-users:auth", 7])),
        "empty-sub": "0" + text(claims(sub="")),
        "sub-number": "0" + text(claims(sub=5)),
        "sub-nul": "0" + text(claims(sub="a\u0000b")),
        "sub-control": "0" + text(claims(sub="a\u007fb")),
        "long-sub": "0" + text(claims(sub="a" * 1025)),
        "duplicate": '0{"sub":"alice","aud":["fastapi-users:auth"],'
                     '"exp":%d,"exp":1}' % EXP,
        "huge-number": "0" + text(claims(exp=1e300)),
        "big-integer": '0{"sub":"alice","aud":["fastapi-users:auth"],'
                       '"exp":99999999999999999999999}',
        "not-object": '0["sub","alice"]',
        "nbf-future": "0" + text(claims(nbf=EXP)),
        "header-crit": '2{"alg":"HS256","crit":["exp"]}\n' + text(claims()),
        "header-none": '2{"alg":"none"}\n' + text(claims()),
        "header-kid": '2{"alg":"HS256","kid":"k","jku":"http://127.0.0.1/"}'
                      '\n' + text(claims()),
        "header-hs512": '3{"alg":"HS512","typ":"JWT"}\n'
                        + text(claims(iss="https://issuer.example")),
    },
    "fuzz_options": {
        "bearer": "Tbearer",
        "bearer-option": "Tbearer realm=x",
        "cookie": "Tcookie",
        "cookie-all": "Tcookie name=session max-age=3600 path=/app "
                      "domain=.example.com samesite=strict secure=on "
                      "httponly=off strip=off",
        "cookie-host": "Tcookie name=__Host-id path=/ domain=",
        "cookie-samesite-none": "Tcookie samesite=none secure=off",
        "cookie-bad-name": "Tcookie name=a;b",
        "jwt-file": "Sjwt secret=file:secret.txt",
        "jwt-literal": "Sjwt secret=literal-secret-value-long-enough-0123",
        "jwt-all": "Sjwt algorithm=HS512 secret=file:secret512.txt "
                   "lifetime=60 leeway=10 cache=0 issuer=https://i "
                   "audience=a audience=b",
        "jwt-env": "Sjwt secret=env:HOME",
        "jwt-rs256": "Sjwt algorithm=RS256 private-key=file:rsa.pem",
        "jwt-rs256-public": "Sjwt algorithm=RS256 public-key=file:rsa-pub.pem",
        "jwt-es256-pair": "Sjwt algorithm=ES256 private-key=file:ec256.pem "
                          "public-key=file:ec256-pub.pem",
        "jwt-wrong-curve": "Sjwt algorithm=ES384 private-key=file:ec256.pem",
        "jwt-key-confusion": "Sjwt algorithm=HS256 public-key=file:rsa-pub.pem",
        "jwt-quoted": 'Sjwt "secret=quoted \\" value" \'lifetime=7\'',
        "jwt-overflow": "Sjwt lifetime=99999999999999999999 "
                        "secret=file:secret.txt",
        "jwt-outside": "Sjwt secret=file:/etc/passwd",
        "jwt-above": "Sjwt secret=file:../secret.txt",
        "jwt-no-key": "Sjwt =x",
        "dbd": "Sdbd table=accesstoken lifetime=3600 purge-interval=60 "
               "create-table=on",
        "dbd-select": 'Sdbd select="SELECT user_id FROM t WHERE token = %s '
                      'AND created_at >= %pDz"',
        "dbd-blob": "Sdbd delete=%pDb",
        "unknown": "Sredis url=redis://127.0.0.1",
    },
    "fuzz_browser": {
        "root": "/", "path-query": "/dashboard?x=1",
        "protocol-relative": "//evil.example", "backslash": "/\\evil",
        "encoded-slashes": "/%2F%2Fevil", "double-encoded": "/%252F%252Fevil",
        "encoded-backslash": "/%5Cevil", "crlf": "/a%0d%0aSet-Cookie:x",
        "tab": "/\t/evil", "nul": "/a%00", "bad-escape": "/a%zz",
        "utf8": "/caf\u00e9", "space": "/a b",
        "origin": "http://localhost", "origin-port": "http://localhost:80",
        "origin-case": "HTTPS://App.Example", "trusted": "https://app.example",
        "url": "https://app.example:443/path?q#f",
        "ipv6": "http://[::1]:8080", "userinfo": "http://user:pw@host",
        "null": "null", "port-range": "http://h:99999", "port-zero": "http://h:0",
        "other-scheme": "ftp://localhost",
        "accept-browser": "text/html,application/xhtml+xml,application/xml;"
                          "q=0.9,*/*;q=0.8",
        "accept-api": "application/json, text/html;q=0.5",
        "accept-q": "text/html;q=0.001, application/json;q=0",
        "navigate": "navigate", "navigate-space": " navigate x",
        "absolute-form": "http://localhost/private?a=1",
    },
    "fuzz_claims": {
        "flat": 'role\n{"sub":"alice","role":"admin"}',
        "dotted-name": 'https://example.com/roles\n'
                       '{"https://example.com/roles":["a","b"]}',
        "nested": 'realm_access.roles\n{"realm_access":{"roles":["admin",1]}}',
        "empty-part": 'a..b\n{"a":{"":{"b":1}}}', "trailing-dot": 'a.\n{"a":{}}',
        "number": 'n\n{"n":1.5e300}', "bool": 'ok\n{"ok":true}',
        "null": 'x\n{"x":null}', "deep": 'a.b.c.d\n{"a":{"b":{"c":{"d":"e"}}}}',
        "not-object": 'a\n[1,2,3]', "escapes": 'u\n{"u":"caf\\u00e9\\n"}',
        "flag-yes": "YES", "flag-off": "off", "flag-t": "t",
    },
    "fuzz_throttle": {
        "user": "Alice", "user-utf8": "Jos\u00e9", "ipv4": "192.0.2.1",
        "ipv6": "2001:db8::1", "ipv6-full": "2001:0db8:0000:0000:0000:ff00:0042:8329",
        "mapped": "::ffff:192.0.2.1", "loopback6": "::1",
        "period": "60", "period-s": "60s", "period-m": "15m", "period-h": "1h",
        "period-day": "86400", "period-over": "25h", "period-zero": "0",
        "period-leading-zeros": "0000001m", "period-huge": "99999999999999999999",
    },
    "fuzz_sqlite_header": {
        "rollback": SQLITE_HEADER, "wal": SQLITE_WAL_HEADER,
        "short": SQLITE_HEADER[:39], "magic-only": SQLITE_HEADER[:16],
        "bad-version": SQLITE_HEADER[:18] + b"\x03\x03" + SQLITE_HEADER[20:],
        "created-at": "2026-12-03 13:17:39.123456",
        "leap-day": "2024-02-29 23:59:59.999999",
        "not-leap": "2100-02-29 00:00:00.000000",
        "epoch": "1970-01-01 00:00:00.000000",
        "before-epoch": "1969-12-31 23:59:59.999999",
        "iso-t": "2026-12-03T13:17:39.123456",
    },
    "fuzz_origin": {
        "post-own": "POST\n\nhttp://localhost",
        "post-trusted": "POST\nhttps://app.example\nhttps://app.example:443",
        "post-foreign": "POST\n\nhttps://evil.example",
        "post-null": "POST\n\nnull",
        "fetch-site": "PUT\n\n\nsame-origin",
        "fetch-cross": "DELETE\n\n\ncross-site",
        "referer": "POST\n\n\n\nhttp://localhost/form?secret=1",
        "referer-foreign": "POST\n\n\n\nhttps://evil.example/a?token=x",
        "get": "GET\n\nhttps://evil.example",
        "nothing": "PATCH",
        "bad-trusted": "POST\nhttps://app.example/path\nhttps://app.example",
    },
}

DICTS = {
    "jwt": ['"alg"', '"typ"', '"JWT"', '"HS256"', '"HS512"', '"none"',
            '"crit"', '"kid"', '"exp"', '"nbf"', '"iat"', '"aud"', '"sub"',
            '"iss"', '"fastapi-users:auth"', '"https://issuer.example"',
            "4102444800", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"],
    "login": ["username=", "password=", "grant_type=password", "next=",
              "&", "%00", "+", FORM.strip(), "Content-Length: ",
              "Origin: http://localhost", "Sec-Fetch-Site: same-origin",
              "Sec-Fetch-Mode: navigate", "Accept: text/html", "alice",
              "correct+horse", "Referer: "],
    "cookie": ["fastapiusersauth=", "$Version=1", "$Path=/", "Cookie2:",
               ";", ",", '"'],
    "options": ["secret=", "file:", "env:", "algorithm=", "lifetime=",
                "leeway=", "cache=", "issuer=", "audience=", "private-key=",
                "public-key=", "name=", "max-age=", "path=", "domain=",
                "samesite=", "secure=", "httponly=", "strip=", "table=",
                "purge-interval=", "create-table=", "select=", "insert=",
                "delete=", "purge=", "%s", "%pDz", "rsa.pem", "ec256.pem",
                "secret.txt", "RS256", "ES256", "HS512"],
    "claims": ["{", "}", "[", "]", ":", ",", '"', ".", "true", "null",
               "1e308", "\\u0000", "realm_access.roles", "yes", "off"],
    "throttle": ["::ffff:", "::", ":", ".", "0000", "s", "m", "h", "86400"],
    "sqlite": ["SQLite format 3",
               "2026-12-03 13:17:39.123456", "-02-29", " 23:59:59", "1970"],
    "browser": ["//", "/\\", "%2F", "%5C", "%25", "%0d%0a", "http://",
                "https://", "localhost", ":80", "text/html", "q=",
                "navigate", "application/json"],
}


def main():
    for harness, seeds in CORPORA.items():
        d = os.path.join(HERE, "corpus", harness)
        os.makedirs(d, exist_ok=True)
        for name, seed in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(seed if isinstance(seed, bytes) else seed.encode())
    os.makedirs(os.path.join(HERE, "dict"), exist_ok=True)
    for name, words in DICTS.items():
        with open(os.path.join(HERE, "dict", name + ".dict"), "w") as f:
            for w in words:
                f.write('"%s"\n' % w.replace("\\", "\\\\").replace('"', '\\"'))


if __name__ == "__main__":
    main()
