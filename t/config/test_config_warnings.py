"""Mistakes that `apache2 -t` accepts but every request would fail closed
on are warned about at -t with the file and the line, and -t still passes
(src/config/config_warn.c); an unknown option names the nearest known one
(src/common/options.c).

- AuthType one or two letters from backend ("bakend", "backends");
- AuthBackendProvider where AuthType is another one, or where a Require
  needs a user and no AuthType is set here, above or on a shorter path;
- not for the sections that use backends without AuthType backend (login
  and logout handlers, AuthBackendOptional), nor where AuthType backend
  comes from <Location /> for <Location /api>.
"""

import pytest

from config_check import (GOOD_STRATEGY, assert_ok, assert_syntax_error,
                          backend, line_of)

WARNING = "AuthBackendProvider in "


def warnings(h, out):
    return [ln for ln in out.splitlines() if h.conf_path + ":" in ln]


def assert_warned(h, text, *reasons):
    out = assert_ok(h)
    where = "%s:%d: " % (h.conf_path, line_of(h, text))
    logged = [ln for ln in out.splitlines() if where in ln]
    assert logged, "no warning at %r in:\n%s" % (where, out)
    for reason in reasons:
        assert any(reason in ln for ln in logged), out
    assert all("warn" in ln for ln in logged), out
    return out


@pytest.mark.parametrize("typo", ["bakend", "Backends", "backedn"])
def test_authtype_a_slip_from_backend(make, typo):
    h = make(backend() + "<Location /api>\n"
             "    AuthType %s\n"
             "    AuthName api\n"
             "    AuthBackendProvider api\n"
             "    Require valid-user\n"
             "</Location>\n" % typo)
    out = assert_warned(h, "AuthType %s" % typo,
                        "AuthType '%s' is no authentication type" % typo,
                        "did you mean 'AuthType backend'?")
    # one warning for the one mistake
    assert len(warnings(h, out)) == 1, out


def test_provider_where_authtype_is_another(make):
    h = make(backend() + "<Location /api>\n"
             "    AuthType Basic\n"
             "    AuthName api\n"
             "    AuthBackendProvider api\n"
             "    Require valid-user\n"
             "</Location>\n")
    assert_warned(h, "AuthBackendProvider api",
                  "AuthBackendProvider in <Location /api>, where AuthType "
                  "is Basic, not backend",
                  "add AuthType backend, or AuthBackendOptional on")


def test_provider_with_no_authtype_where_a_user_is_needed(make):
    h = make(backend() + "<VirtualHost *:80>\n"
             "<Directory /srv>\n"
             "    AuthBackendProvider api\n"
             "    Require valid-user\n"
             "</Directory>\n"
             "</VirtualHost>\n")
    assert_warned(h, "AuthBackendProvider api",
                  "<Directory /srv>, where AuthType is not set")


def test_authtype_inherited_from_outside(make):
    h = make(backend() + "<Location />\n"
             "    AuthType Basic\n"
             "</Location>\n"
             "<Location /api>\n"
             "    AuthBackendProvider api\n"
             "    Require valid-user\n"
             "</Location>\n")
    assert_warned(h, "AuthBackendProvider api", "where AuthType is Basic")


NO_WARNING = {
    "authtype-backend": "<Location /api>\n AuthType backend\n AuthName a\n"
                        " AuthBackendProvider api\n Require valid-user\n"
                        "</Location>\n",
    "from-a-shorter-path": "<Location />\n AuthType backend\n AuthName a\n"
                           "</Location>\n<Location /api>\n"
                           " AuthBackendProvider api\n Require valid-user\n"
                           "</Location>\n",
    "from-the-enclosing-section": "<Directory /srv>\n AuthType Backend\n"
                                  " AuthName a\n <Files x>\n"
                                  "  AuthBackendProvider api\n"
                                  "  Require valid-user\n </Files>\n"
                                  "</Directory>\n",
    "login-handler": "<Location /login>\n SetHandler auth-backend-login\n"
                     " AuthBackendProvider api\n AuthUserFile /dev/null\n"
                     " Require all granted\n</Location>\n",
    "logout-handler": "<Location /logout>\n SetHandler auth-backend-logout\n"
                      " AuthBackendProvider api\n Require all granted\n"
                      "</Location>\n",
    "optional": "<Location /pub>\n AuthBackendProvider api\n"
                " AuthBackendOptional on\n Require all granted\n"
                "</Location>\n",
    "anonymous-require": "<Location /pub>\n AuthBackendProvider api\n"
                         " Require all granted\n</Location>\n",
    "other-authtype": "<Location /x>\n AuthType Digest\n</Location>\n",
}


@pytest.mark.parametrize("section", NO_WARNING.values(), ids=NO_WARNING)
def test_no_warning(make, section):
    h = make(backend() + section)
    out = assert_ok(h)
    assert warnings(h, out) == [], out


# id, transport, strategy, the directive, the option, the suggestion
SUGGESTIONS = [
    ("jwt-lifetme", "bearer", GOOD_STRATEGY + " lifetme=60",
     "AuthBackendStrategy", "lifetme", "lifetime"),
    ("jwt-audiance", "bearer", GOOD_STRATEGY + " audiance=x",
     "AuthBackendStrategy", "audiance", "audience"),
    ("cookie-secur", "cookie secur=off", GOOD_STRATEGY,
     "AuthBackendTransport", "secur", "secure"),
    ("cookie-case", "cookie HttpOnly=off", GOOD_STRATEGY,
     "AuthBackendTransport", "HttpOnly", "httponly"),
]


@pytest.mark.parametrize("transport, strategy, directive, option, near",
                         [c[1:] for c in SUGGESTIONS],
                         ids=[c[0] for c in SUGGESTIONS])
def test_unknown_option_names_the_nearest(make, transport, strategy,
                                          directive, option, near):
    h = make(backend(transport=transport, strategy=strategy))
    assert_syntax_error(h, line_of(h, directive),
                        "unknown option '%s'; did you mean '%s'?"
                        % (option, near))


@pytest.mark.parametrize("transport, strategy", [
    ("bearer", GOOD_STRATEGY + " foo=1"),       # nothing near
    ("bearer", GOOD_STRATEGY + " ttl=1"),       # short: too many are near
    ("bearer secure=off", GOOD_STRATEGY),       # bearer has only strip=
])
def test_unknown_option_far_from_any(make, transport, strategy):
    h = make(backend(transport=transport, strategy=strategy))
    out = assert_syntax_error(h, line_of(h, "AuthBackend" + (
        "Strategy" if "=1" in strategy else "Transport")), "unknown option")
    assert "did you mean" not in out
