"""The one builder of httpd configuration snippets for the tests.

Every piece is plain text with the harness placeholders (@ROOT@, @PORT@):
an <AuthBackend> section, a location protected by backends, the login and
logout handler locations, a virtual host.  Tests that deliberately write an
odd configuration (the configuration-error tests) write it by hand.

Directive lines are emitted in the order given; empty pieces are left out.
"""

import subprocess


def _lines(pieces):
    """The lines of PIECES (strings, each one or several directive lines),
    indented by four spaces."""
    out = []
    for piece in pieces:
        if not piece:
            continue
        for line in piece.rstrip("\n").split("\n"):
            out.append("    " + line if line else line)
    return out


def _section(open_tag, close_tag, pieces):
    return "\n".join([open_tag] + _lines(pieces) + [close_tag]) + "\n"


def backend(name="api", strategy=None, transport="bearer", extra=""):
    """<AuthBackend NAME> with AuthBackendTransport TRANSPORT and
    AuthBackendStrategy STRATEGY (either None: the line is left out) and
    EXTRA directives."""
    return _section(
        "<AuthBackend %s>" % name, "</AuthBackend>",
        ["AuthBackendTransport %s" % transport if transport is not None
         else "",
         "AuthBackendStrategy %s" % strategy if strategy is not None else "",
         extra])


def location(path, backends, *lines, name=None, authtype="backend",
             match=False):
    """A location protected by BACKENDS (one name, a space-separated list
    or a sequence, tried in that order): AuthType AUTHTYPE, AuthName NAME
    (None: no AuthName), AuthBackendProvider BACKENDS (AuthBasicProvider
    for AuthType Basic), then LINES in order (the Require rules and any
    other directives; "Require valid-user" when none are given).

    MATCH makes it a <LocationMatch "PATH">."""
    if not isinstance(backends, str):
        backends = " ".join(backends)
    if not lines:
        lines = ("Require valid-user",)
    provider = ("AuthBasicProvider" if authtype.lower() == "basic"
                else "AuthBackendProvider")
    head = ['AuthType %s' % authtype,
            'AuthName "%s"' % name if name is not None else "",
            "%s %s" % (provider, backends)]
    if match:
        return _section('<LocationMatch "%s">' % path, "</LocationMatch>",
                        head + list(lines))
    return _section("<Location %s>" % path, "</Location>", head + list(lines))


def login_location(path, backends, *lines, users="@ROOT@/users",
                   require="Require all granted", match=False):
    """The login handler (SetHandler auth-backend-login) at PATH for
    BACKENDS, checking passwords against the htpasswd file USERS (None: no
    AuthUserFile), then LINES, then REQUIRE ("" for none)."""
    if not isinstance(backends, str):
        backends = " ".join(backends)
    pieces = ["SetHandler auth-backend-login",
              "AuthBackendProvider %s" % backends,
              "AuthUserFile %s" % users if users is not None else ""]
    pieces += list(lines) + [require]
    if match:
        return _section('<LocationMatch "%s">' % path, "</LocationMatch>",
                        pieces)
    return _section("<Location %s>" % path, "</Location>", pieces)


def logout_location(path, backends, *lines, require="Require all granted"):
    """The logout handler (SetHandler auth-backend-logout) at PATH for
    BACKENDS, then LINES, then REQUIRE ("" for none)."""
    if not isinstance(backends, str):
        backends = " ".join(backends)
    return _section("<Location %s>" % path, "</Location>",
                    ["SetHandler auth-backend-logout",
                     "AuthBackendProvider %s" % backends]
                    + list(lines) + [require])


def vhost(body, address="127.0.0.1:@PORT@"):
    """BODY inside <VirtualHost ADDRESS>."""
    return "<VirtualHost %s>\n%s</VirtualHost>\n" % (address, body)


def htpasswd(*args):
    """A line of an AuthUserFile: `htpasswd -nb ARGS` (e.g. "-s", USER,
    PASSWORD)."""
    return subprocess.run(["htpasswd", "-nb", *args], check=True,
                          capture_output=True, text=True).stdout.strip()
