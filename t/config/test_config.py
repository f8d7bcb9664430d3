"""Configuration errors fail `apache2 -t` with the file, the line and why.

DESIGN.md §2: unknown keys, bad values, a missing or empty secret, an
unreadable key file or an unknown backend name are configuration errors, and
`apache2 -t` must fail with the file, the line and what is wrong.  httpd
reports an error returned by a directive as

    AH00526: Syntax error on line N of FILE:
    <the module's message>

and the module's check_config hook (run after every section has been read,
also under -t) logs "FILE:LINE: message".  Every failing case below asserts
the nonzero exit, the file, the exact line (found in the generated file,
never hard-coded) and the specific reason; the valid cases assert
"Syntax OK".
"""

import os
import subprocess

import pytest

import conf
from conf import vhost
from config_check import (GOOD_STRATEGY, assert_check_error, assert_ok,
                          assert_syntax_error, backend, line_of, location)

# ---- option words ---------------------------------------------------------------

# id, transport, strategy, the directive in error, reasons
OPTION_ERRORS = [
    ("jwt-unknown-option", "bearer", GOOD_STRATEGY + " foo=1",
     "AuthBackendStrategy", ["AuthBackendStrategy jwt (backend 'api')",
                             "unknown option 'foo'"]),
    ("bearer-unknown-option", "bearer foo=1", GOOD_STRATEGY,
     "AuthBackendTransport", ["AuthBackendTransport bearer (backend 'api')",
                              "unknown option 'foo'"]),
    ("option-twice", "bearer", GOOD_STRATEGY + " lifetime=60 lifetime=120",
     "AuthBackendStrategy", ["option 'lifetime' is given more than once"]),
    ("word-without-equals", "bearer", GOOD_STRATEGY + " lifetime",
     "AuthBackendStrategy", ["expected key=value words, but option 2 has no key"]),
    ("word-without-equals-bearer", "bearer httponly", GOOD_STRATEGY,
     "AuthBackendTransport", ["expected key=value words, but option 1 has no key"]),
    ("cache-abc", "bearer", GOOD_STRATEGY + " cache=abc",
     "AuthBackendStrategy", ["cache must be a whole number from 0 to 65536"]),
    ("cache-too-big", "bearer", GOOD_STRATEGY + " cache=70000",
     "AuthBackendStrategy", ["cache must be a whole number from 0 to 65536"]),
    ("lifetime-abc", "bearer", GOOD_STRATEGY + " lifetime=abc",
     "AuthBackendStrategy", ["lifetime must be a whole number", "'abc'"]),
    ("lifetime-zero", "bearer", GOOD_STRATEGY + " lifetime=0",
     "AuthBackendStrategy", ["lifetime must be a whole number from 1 ",
                             "'0'"]),
    ("lifetime-negative", "bearer", GOOD_STRATEGY + " lifetime=-5",
     "AuthBackendStrategy", ["lifetime must be a whole number", "'-5'"]),
    ("leeway-abc", "bearer", GOOD_STRATEGY + " leeway=abc",
     "AuthBackendStrategy", ["leeway must be a whole number from 0 ",
                             "'abc'"]),
]


@pytest.mark.parametrize("transport, strategy, directive, reasons",
                         [case[1:] for case in OPTION_ERRORS],
                         ids=[case[0] for case in OPTION_ERRORS])
def test_bad_option_word(make, transport, strategy, directive, reasons):
    h = make(backend(transport=transport, strategy=strategy))
    assert_syntax_error(h, line_of(h, directive), *reasons)


@pytest.mark.parametrize("value", ["10", "abc"])
def test_login_max_body_bad_value(make, value):
    h = make(backend() + "<Location /login>\n"
             "    SetHandler auth-backend-login\n"
             "    AuthBackendProvider api\n"
             "    AuthBackendLoginMaxBody %s\n"
             "</Location>\n" % value)
    assert_syntax_error(h, line_of(h, "AuthBackendLoginMaxBody"),
                        "AuthBackendLoginMaxBody must be a whole number "
                        "from 64 to", "'%s'" % value)


# ---- secrets and keys -------------------------------------------------------------

# id, strategy, extra files, reasons (all on the AuthBackendStrategy line)
SECRET_ERRORS = [
    ("hs256-without-secret", "jwt lifetime=60", None,
     ["HS256 needs secret=file:PATH"]),
    ("secret-empty", "jwt secret=", None, ["secret is empty"]),
    ("secret-file-missing", "jwt secret=file:@ROOT@/no-such-secret", None,
     ["secret: cannot read", "/no-such-secret"]),
    ("secret-file-empty", "jwt secret=file:@ROOT@/empty-secret",
     {"empty-secret": "\n"}, ["secret:", "/empty-secret is empty"]),
    ("secret-file-directory", "jwt secret=file:@ROOT@/htdocs", None,
     ["secret:", "/htdocs is not a regular file"]),
    ("secret-env-unset", "jwt secret=env:UNSET_VAR_XYZ", None,
     ["environment variable UNSET_VAR_XYZ is unset or empty"]),
    ("secret-env-no-name", "jwt secret=env:", None,
     ["env: needs a variable name"]),
    ("algorithm-none", GOOD_STRATEGY + " algorithm=none", None,
     ["algorithm 'none' is not supported", "HS256"]),
    ("algorithm-unknown", GOOD_STRATEGY + " algorithm=FOO", None,
     ["algorithm 'FOO' is not supported"]),
    ("rs256-with-secret", GOOD_STRATEGY + " algorithm=RS256", None,
     ["secret= is for HS* algorithms", "RS256 takes private-key="]),
    ("hs256-with-private-key", GOOD_STRATEGY +
     " private-key=file:@KEYS@/rsa.key", None,
     ["private-key= and public-key= are for RS*, PS*, ES* and EdDSA",
      "HS256 takes secret="]),
    ("rs256-without-key", "jwt algorithm=RS256", None,
     ["RS256 needs private-key=file:PATH", "public-key=file:PATH"]),
    ("rs256-with-ec-key", "jwt algorithm=RS256 "
     "private-key=file:@KEYS@/ec256.key", None,
     ["private-key is not an RSA key, which RS256 needs"]),
    ("es256-with-p384-key", "jwt algorithm=ES256 "
     "private-key=file:@KEYS@/ec384.key", None,
     ["private-key is not an EC key on curve prime256v1, which ES256 needs"]),
    ("es256-with-p384-public-key", "jwt algorithm=ES256 "
     "public-key=file:@KEYS@/ec384.pub", None,
     ["public-key is not an EC key on curve prime256v1"]),
    ("not-a-key-pair", "jwt algorithm=RS256 private-key=file:@KEYS@/rsa.key "
     "public-key=file:@KEYS@/rsa2.pub", None,
     ["private-key and public-key are not a key pair"]),
    ("private-key-bare-path", "jwt algorithm=RS256 "
     "private-key=@KEYS@/rsa.key", None,
     ["private-key takes file:PATH or env:VAR", "private-key=file:"]),
    ("public-key-garbage", "jwt algorithm=RS256 "
     "public-key=file:@ROOT@/garbage.pub", {"garbage.pub": "not a key\n"},
     ["public-key: file:", "/garbage.pub holds no PEM public key"]),
    ("private-key-is-public", "jwt algorithm=RS256 "
     "private-key=file:@KEYS@/rsa.pub", None,
     ["holds no unencrypted PEM private key"]),
]


@pytest.mark.parametrize("strategy, files, reasons",
                         [case[1:] for case in SECRET_ERRORS],
                         ids=[case[0] for case in SECRET_ERRORS])
def test_bad_secret_or_key(make, monkeypatch, strategy, files, reasons):
    monkeypatch.delenv("UNSET_VAR_XYZ", raising=False)
    h = make(backend(strategy=strategy), files=files)
    assert_syntax_error(h, line_of(h, "AuthBackendStrategy"),
                        "AuthBackendStrategy jwt (backend 'api')", *reasons)


@pytest.mark.parametrize("strategy", [
    GOOD_STRATEGY + " algorithm=hs256",
    GOOD_STRATEGY + " algorithm=HS256 lifetime=60 leeway=0 issuer=me "
    "audience=a audience=b",
    "jwt algorithm=RS256 private-key=file:@KEYS@/rsa.key",
    "jwt algorithm=RS256 private-key=file:@KEYS@/rsa.key "
    "public-key=file:@KEYS@/rsa.pub",
    "jwt algorithm=ES256 private-key=file:@KEYS@/ec256.key",
    "jwt algorithm=ES384 private-key=file:@KEYS@/ec384.key",
    "jwt algorithm=ES512 private-key=file:@KEYS@/ec521.key",
    "jwt secret=env:MAB_TEST_SECRET",
], ids=["hs256-lower-case", "all-jwt-options", "rs256-private-key",
        "rs256-key-pair", "es256-p256", "es384-p384", "es512-p521",
        "secret-from-env"])
def test_valid_strategy(make, monkeypatch, strategy):
    monkeypatch.setenv("MAB_TEST_SECRET", "y" * 40)
    h = make(backend(strategy=strategy) + location("/api", "api"))
    out = assert_ok(h)
    assert "auth_backend:" not in out, "unexpected warning:\n" + out


def test_public_key_only_warns_that_it_cannot_issue(make):
    h = make(backend(strategy="jwt algorithm=RS256 "
                     "public-key=file:@KEYS@/rsa.pub") + location("/api", "api"))
    out = assert_ok(h)
    assert "%s:%d: backend 'api' has a public-key only: it verifies tokens " \
           "but cannot issue them" % (h.conf_path,
                                      line_of(h, "AuthBackendStrategy")) in out


LITERAL_SECRET = "Lit3ral-S3cret-Value-0123456789abcdefXYZ"


def test_short_secret_warns(make):
    h = make(backend(strategy=GOOD_STRATEGY + " algorithm=HS512")
             + location("/api", "api"))
    out = assert_ok(h)
    assert "%s:%d: backend 'api': the secret has 40 bytes; HS512 wants at " \
           "least 64" % (h.conf_path, line_of(h, "AuthBackendStrategy")) in out


def test_literal_secret_warns_and_is_never_shown(make):
    h = make(backend(strategy="jwt secret=" + LITERAL_SECRET)
             + location("/api", "api"))
    out = assert_ok(h)
    assert "%s:%d: backend 'api': secret is written literally" % (
        h.conf_path, line_of(h, "AuthBackendStrategy")) in out
    assert "secret=file:PATH" in out and "secret=env:VAR" in out
    assert LITERAL_SECRET not in out
    assert LITERAL_SECRET not in h.error_log()


@pytest.mark.parametrize("mistake", ["foo=1", "lifetime=abc", "lifetime",
                                     "algorithm=RS256"])
def test_literal_secret_not_in_error(make, mistake):
    h = make(backend(strategy="jwt secret=%s %s" % (LITERAL_SECRET, mistake)))
    out = assert_syntax_error(h, line_of(h, "AuthBackendStrategy"))
    assert LITERAL_SECRET not in out


def test_secret_after_a_stray_space_is_not_shown(make):
    """`secret= VALUE` (a typo) leaves VALUE as a word without a key: the
    error must not quote it back."""
    h = make(backend(strategy="jwt secret= " + LITERAL_SECRET))
    out = assert_syntax_error(h, line_of(h, "AuthBackendStrategy"),
                              "option 2 has no key",
                              "is there a space after '='?")
    assert LITERAL_SECRET not in out


def test_private_key_without_file_prefix_is_not_shown(make):
    h = make(backend(strategy="jwt algorithm=RS256 private-key="
                     + LITERAL_SECRET))
    out = assert_syntax_error(h, line_of(h, "AuthBackendStrategy"),
                              "private-key takes file:PATH or env:VAR")
    assert LITERAL_SECRET not in out


def test_root_only_secret_file_is_read_at_config_time(make):
    """The children run as www-data: a 0600 root file works only because
    the module reads it while httpd parses its configuration, as root."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    h = make(backend() + location("/api", "api"))
    st = os.stat(h.path("secret"))
    assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600)
    as_child = subprocess.run(["runuser", "-u", "www-data", "--", "cat",
                               h.path("secret")], capture_output=True)
    assert as_child.returncode != 0, "www-data can read the secret file"
    assert_ok(h)


# ---- transport and strategy lines -----------------------------------------------


@pytest.mark.parametrize("transport, strategy, directive, reasons", [
    ("foo", GOOD_STRATEGY, "AuthBackendTransport",
     ["unknown transport 'foo'", "known: bearer, cookie"]),
    ("bearer", "foo lifetime=1", "AuthBackendStrategy",
     ["unknown strategy 'foo'", "known: dbd, jwt, redis"]),
], ids=["unknown-transport", "unknown-strategy"])
def test_unknown_type(make, transport, strategy, directive, reasons):
    h = make(backend(transport=transport, strategy=strategy))
    assert_syntax_error(h, line_of(h, directive), *reasons)


@pytest.mark.parametrize("directive", ["AuthBackendTransport bearer",
                                       "AuthBackendStrategy " + GOOD_STRATEGY])
@pytest.mark.parametrize("where", ["server", "location"])
def test_section_line_outside_section(make, directive, where):
    if where == "server":
        conf = directive + "\n"
    else:
        conf = "<Location /api>\n    %s\n</Location>\n" % directive
    h = make(conf)
    name = directive.split()[0]
    assert_syntax_error(h, line_of(h, name),
                        name + " is only allowed inside <AuthBackend")


# ---- <AuthBackend> sections ----------------------------------------------------


def test_section_without_transport(make):
    h = make(backend(transport=None))
    assert_syntax_error(h, line_of(h, "<AuthBackend api>"),
                        "<AuthBackend api> needs an AuthBackendTransport line")


def test_section_without_strategy(make):
    h = make(backend(strategy=None))
    assert_syntax_error(h, line_of(h, "<AuthBackend api>"),
                        "<AuthBackend api> needs an AuthBackendStrategy line")


def test_transport_given_twice(make):
    h = make("<AuthBackend api>\n"
             "    AuthBackendTransport bearer\n"
             "    AuthBackendStrategy %s\n"
             "    AuthBackendTransport bearer\n"
             "</AuthBackend>\n" % GOOD_STRATEGY)
    assert_syntax_error(h, line_of(h, "AuthBackendTransport", occurrence=2),
                        "AuthBackendTransport is given twice in "
                        "<AuthBackend api>")


def test_strategy_given_twice(make):
    h = make(backend().replace("</AuthBackend>",
                                "    AuthBackendStrategy jwt\n</AuthBackend>"))
    assert_syntax_error(h, line_of(h, "AuthBackendStrategy", occurrence=2),
                        "AuthBackendStrategy is given twice in "
                        "<AuthBackend api>")


@pytest.mark.parametrize("name, reason", [
    ("", "<AuthBackend> needs a name"),
    (" a b", "<AuthBackend> takes exactly one name"),
    (" a/b", "<AuthBackend a/b>: a backend name is 1 to 64 letters"),
    (" " + "n" * 65, "a backend name is 1 to 64 letters"),
], ids=["no-name", "two-names", "slash", "too-long"])
def test_section_bad_name(make, name, reason):
    h = make("<AuthBackend%s>\n"
             "    AuthBackendTransport bearer\n"
             "    AuthBackendStrategy %s\n"
             "</AuthBackend>\n" % (name, GOOD_STRATEGY))
    assert_syntax_error(h, line_of(h, "<AuthBackend"), reason)


def test_longest_name_is_accepted(make):
    name = "n" * 64
    assert_ok(make(backend(name) + location("/api", name)))


def test_section_defined_twice(make):
    h = make(backend() + backend())
    first = line_of(h, "<AuthBackend api>", occurrence=1)
    assert_syntax_error(h, line_of(h, "<AuthBackend api>", occurrence=2),
                        "<AuthBackend api> is already defined at %s:%d"
                        % (h.conf_path, first))


def test_section_defined_twice_in_one_vhost(make):
    h = make(vhost(backend() + backend()))
    first = line_of(h, "<AuthBackend api>", occurrence=1)
    assert_syntax_error(h, line_of(h, "<AuthBackend api>", occurrence=2),
                        "already defined at %s:%d" % (h.conf_path, first))


def test_section_inside_location(make):
    h = make("<Location /api>\n%s</Location>\n" % backend())
    assert_syntax_error(h, line_of(h, "<AuthBackend api>"),
                        "<AuthBackend not allowed in <Location> context")


# ---- AuthBackendProvider: backend names ---------------------------------------


def test_unknown_backend(make):
    h = make(backend() + location("/api", "x"))
    assert_check_error(h, line_of(h, "AuthBackendProvider x"),
                       "AuthBackendProvider: unknown backend 'x'",
                       "<AuthBackend x>")


def test_unknown_backend_after_known_one(make):
    h = make(backend() + location("/api", "api", "x"))
    assert_check_error(h, line_of(h, "AuthBackendProvider api x"),
                       "unknown backend 'x'")


def test_unknown_backend_on_second_provider_line(make):
    h = make(backend() + location(
        "/api", "api", extra="    AuthBackendProvider x\n"))
    assert_check_error(h, line_of(h, "AuthBackendProvider x"),
                       "unknown backend 'x'")


def test_backend_defined_after_its_use(make):
    assert_ok(make(location("/api", "api") + backend()))


def test_vhost_backend_in_vhost_location(make):
    assert_ok(make(vhost(location("/v", "vb") + backend("vb"))))


def test_main_backend_in_vhost_location(make):
    assert_ok(make(backend() + vhost(location("/v", "api"))))


def test_vhost_backend_not_visible_in_main_server(make):
    h = make(vhost(backend("vb") + location("/v", "vb"))
             + location("/m", "vb"))
    in_vhost = line_of(h, "AuthBackendProvider vb", occurrence=1)
    in_main = line_of(h, "AuthBackendProvider vb", occurrence=2)
    out = assert_check_error(h, in_main, "unknown backend 'vb'")
    # the vhost's own location is fine
    assert out.count("unknown backend") == 1, out
    assert "%s:%d:" % (h.conf_path, in_vhost) not in out


def test_vhost_backend_unknown_in_other_vhost(make):
    h = make(vhost(backend("vb")) + vhost(location("/w", "vb")))
    assert_check_error(h, line_of(h, "AuthBackendProvider vb"),
                       "unknown backend 'vb'", "or in this virtual host")


def test_vhost_overrides_main_backend(make):
    h = make(backend() + location("/api", "api")
             + vhost(backend(strategy="jwt algorithm=ES256 "
                             "private-key=file:@KEYS@/ec256.key")
                     + location("/v", "api")))
    assert_ok(h)


def test_provider_inside_section(make):
    h = make(backend().replace("</AuthBackend>",
                               "    AuthBackendProvider api\n</AuthBackend>"))
    assert_syntax_error(h, line_of(h, "AuthBackendProvider"),
                        "AuthBackendProvider is not allowed inside "
                        "<AuthBackend>")


@pytest.mark.parametrize("name", ["a/b", "n" * 65])
def test_provider_bad_name(make, name):
    h = make(backend() + location("/api", name))
    assert_syntax_error(h, line_of(h, "AuthBackendProvider"),
                        "is not a backend name")


# ---- AuthBackendLoginProvider -----------------------------------------------------

ALIAS = ("<AuthnProviderAlias file myalias>\n"
         "    AuthUserFile @ROOT@/htpasswd\n"
         "</AuthnProviderAlias>\n")


def login_location(provider):
    return conf.login_location("/auth/jwt/login", "api",
                               "AuthBackendLoginProvider %s" % provider,
                               "AuthUserFile @ROOT@/htpasswd", users=None,
                               require="")


def test_login_provider_unknown(make):
    h = make(backend() + login_location("nosuch"))
    assert_syntax_error(h, line_of(h, "AuthBackendLoginProvider"),
                        "unknown authn provider 'nosuch'",
                        "<AuthnProviderAlias> before this line")


def test_login_provider_file(make):
    assert_ok(make(backend() + login_location("file")))


def test_login_provider_alias_defined_before(make):
    assert_ok(make(backend() + ALIAS + login_location("myalias")))


def test_login_provider_alias_defined_after(make):
    h = make(backend() + login_location("myalias") + ALIAS)
    assert_syntax_error(h, line_of(h, "AuthBackendLoginProvider"),
                        "unknown authn provider 'myalias'")


def test_login_provider_inside_section(make):
    h = make(backend().replace(
        "</AuthBackend>", "    AuthBackendLoginProvider file\n</AuthBackend>"))
    assert_syntax_error(h, line_of(h, "AuthBackendLoginProvider"),
                        "AuthBackendLoginProvider is not allowed inside "
                        "<AuthBackend>")


# ---- a complete configuration ---------------------------------------------------


def test_complete_valid_configuration(make):
    conf = (
        backend("api", strategy=GOOD_STRATEGY + " lifetime=3600 leeway=30")
        + backend("rsa", strategy="jwt algorithm=RS256 "
                  "private-key=file:@KEYS@/rsa.key lifetime=600")
        + backend("ec", strategy="jwt algorithm=ES256 "
                  "private-key=file:@KEYS@/ec256.key "
                  "public-key=file:@KEYS@/ec256.pub audience=svc")
        + location("/api", "api", "rsa", "ec")
        + location("/rsa", "rsa")
        + ALIAS
        + "<Location /auth/jwt/login>\n"
          "    SetHandler auth-backend-login\n"
          "    AuthBackendProvider api\n"
          "    AuthBackendLoginProvider myalias file\n"
          "    AuthUserFile @ROOT@/htpasswd\n"
          "    AuthBackendLoginMaxBody 4096\n"
          "</Location>\n"
          "<Location /auth/jwt/logout>\n"
          "    SetHandler auth-backend-logout\n"
          "    AuthBackendProvider api\n"
          "</Location>\n"
        + vhost(backend("api", strategy="jwt algorithm=ES512 "
                        "private-key=file:@KEYS@/ec521.key")
                + backend("local")
                + location("/v", "api", "local", "rsa")))
    h = make(conf)
    out = assert_ok(h)
    assert "auth_backend:" not in out, "unexpected warning:\n" + out
