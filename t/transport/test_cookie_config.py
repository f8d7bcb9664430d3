"""Configuration of the cookie transport and of the browser-flow directives:
every mistake fails `apache2 -t` with the file, the line and the reason."""

import pytest

from config_check import (GOOD_STRATEGY, assert_ok, assert_syntax_error,
                         backend, line_of, location)


@pytest.fixture
def make(httpd_config):
    def _make(conf, **kw):
        h = httpd_config(conf, **kw)
        h.write("secret", "x" * 40, mode=0o600)
        return h
    return _make


COOKIE_ERRORS = [
    ("name-semicolon", "name=a;b", ["name 'a;b' is not a valid cookie name"]),
    ("name-ampersand", "name=a&b", ["name 'a&b' is not a valid cookie name"]),
    ("name-equals", "name=a=b", ["name 'a=b' is not a valid cookie name"]),
    ("name-empty", "name=", ["name '' is not a valid cookie name"]),
    ("name-space", '"name=a b"', ["name 'a b' is not a valid cookie name"]),
    ("name-separator", "name=a/b", ["is not a valid cookie name"]),
    ("max-age-word", "max-age=abc", ["max-age must be a whole number",
                                     "'abc'"]),
    ("max-age-zero", "max-age=0", ["max-age must be a whole number from 1 "]),
    ("max-age-negative", "max-age=-1", ["max-age must be a whole number"]),
    ("max-age-unit", "max-age=3600s", ["max-age must be a whole number"]),
    ("path-relative", "path=app", ["path 'app' must start with '/'"]),
    ("path-semicolon", "path=/a;b", ["path '/a;b' must start with '/'",
                                     "';'"]),
    ("domain-underscore", "domain=a_b.example", ["domain 'a_b.example' is "
                                                 "not a host name"]),
    ("domain-dash", "domain=-a.example", ["is not a host name"]),
    ("domain-empty-label", "domain=a..example", ["is not a host name"]),
    ("domain-port", "domain=example.com:80", ["is not a host name"]),
    ("secure-yes", "secure=yes", ["secure must be on or off, not 'yes'"]),
    ("httponly-1", "httponly=1", ["httponly must be on or off, not '1'"]),
    ("strip-true", "strip=true", ["strip must be on or off, not 'true'"]),
    ("samesite-bad", "samesite=sometimes",
     ["samesite must be lax, strict or none, not 'sometimes'"]),
    ("samesite-none-insecure", "samesite=none secure=off",
     ["samesite=none requires secure=on"]),
    ("secure-prefix", "name=__Secure-x secure=off",
     ["'__Secure-x' requires secure=on"]),
    ("host-prefix-domain", "name=__Host-x domain=example.com",
     ["'__Host-x' requires secure=on, path=/ and no domain"]),
    ("host-prefix-path", "name=__Host-x path=/app",
     ["requires secure=on, path=/ and no domain"]),
    ("unknown-option", "expires=3600", ["unknown option 'expires'"]),
    ("option-twice", "secure=on secure=off",
     ["option 'secure' is given more than once"]),
]


@pytest.mark.parametrize("options, reasons",
                         [case[1:] for case in COOKIE_ERRORS],
                         ids=[case[0] for case in COOKIE_ERRORS])
def test_bad_cookie_option(make, options, reasons):
    h = make(backend(transport="cookie " + options))
    assert_syntax_error(h, line_of(h, "AuthBackendTransport"),
                        "AuthBackendTransport cookie (backend 'api')",
                        *reasons)


@pytest.mark.parametrize("options", [
    "",
    "name=fastapiusersauth max-age= path=/ domain= secure=on httponly=on "
    "samesite=lax strip=on",
    "name=sess max-age=3600 path=/app domain=example.com secure=off "
    "httponly=off samesite=strict strip=off",
    "samesite=none", "samesite=NONE secure=on", "name=__Host-auth",
    "name=__Secure-auth domain=.example.com", "domain=127.0.0.1",
    "max-age=315360000"])
def test_valid_cookie_options(make, options):
    assert_ok(make(backend(transport="cookie " + options) +
                   location("/web/", "api")))


# ---- directives of the browser flow -------------------------------------------

URL_DIRECTIVES = ["AuthBackendLoginURL", "AuthBackendLoginRedirect",
                  "AuthBackendLogoutRedirect"]


@pytest.mark.parametrize("directive", URL_DIRECTIVES)
@pytest.mark.parametrize("url", [
    "login.html", "//evil.example/login", "/\\evil", "javascript:alert(1)",
    "ftp://example.com/", '"/login page"', "/%0d%0aX:1", "/%2F%2Fevil",
    "https://", "data:text/html,x"])
def test_bad_redirect_url(make, directive, url):
    h = make(backend() + location("/web/", "api",
                                  extra="    %s %s\n" % (directive, url)))
    assert_syntax_error(h, line_of(h, directive), directive,
                        "is neither a path of this site")


@pytest.mark.parametrize("directive", URL_DIRECTIVES)
@pytest.mark.parametrize("url", ["/login.html", "/login?app=1&x=%20y",
                                 "https://sso.example.com/login",
                                 "http://127.0.0.1:8080/"])
def test_good_redirect_url(make, directive, url):
    assert_ok(make(backend() + location(
        "/web/", "api", extra="    %s %s\n" % (directive, url))))


@pytest.mark.parametrize("origin", [
    "https://app.example/", "https://app.example/path", "null", "*",
    "app.example", "ftp://app.example", "https://user@app.example",
    "https://app.example?x", "https://app.example:99999",
    "https://app.example:0", "https://app.example:-1",
    # found by fuzz/fuzz_browser: hosts apr_uri_parse() cuts out of
    # mismatched brackets, which did not normalize to themselves
    "http://[::2]https://:8080", "http://[::1]x:80", "http://x]:80",
    "https://app%2eexample"])
def test_bad_trusted_origin(make, origin):
    h = make(backend() + location(
        "/web/", "api", extra="    AuthBackendTrustedOrigin %s\n" % origin))
    assert_syntax_error(h, line_of(h, "AuthBackendTrustedOrigin"),
                        "is not an origin: scheme://host[:port]")


def test_good_trusted_origins(make):
    assert_ok(make(backend() + location(
        "/web/", "api", extra="    AuthBackendTrustedOrigin "
        "https://app.example http://localhost:3000 https://[::1]:8443\n")))


@pytest.mark.parametrize("line", [
    "AuthBackendLoginURL /login.html", "AuthBackendLogoutRedirect /",
    "AuthBackendLoginRedirect /", "AuthBackendTrustedOrigin https://a.example"])
def test_browser_directives_not_inside_a_section(make, line):
    h = make("<AuthBackend api>\n    AuthBackendTransport cookie\n"
             "    AuthBackendStrategy %s\n    %s\n</AuthBackend>\n"
             % (GOOD_STRATEGY, line))
    assert_syntax_error(h, line_of(h, line), "not allowed inside "
                        "<AuthBackend>")
