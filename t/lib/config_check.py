"""Checks of `apache2 -t` results, shared by the configuration-error tests
(t/config, t/transport, t/strategy/*): the exact line of a syntax error or
of a check_config message, and "Syntax OK"."""

import re

import conf

SECRET_FILE = "@ROOT@/secret"
GOOD_STRATEGY = "jwt secret=file:" + SECRET_FILE


def backend(name="api", transport="bearer", strategy=GOOD_STRATEGY):
    """An <AuthBackend> section (a valid JWT one unless told otherwise);
    transport/strategy None leave the line out."""
    return conf.backend(name, strategy=strategy, transport=transport)


def location(path, *backends, extra=""):
    """A <Location> protected by BACKENDS (tried in that order), named
    after PATH."""
    return conf.location(path, backends, extra, "Require valid-user",
                         name=path.strip("/") or "root")


def line_of(h, text, occurrence=None):
    """1-based line number of the line of h's config file containing TEXT.

    Without OCCURRENCE the text must be on exactly one line."""
    with open(h.conf_path) as f:
        found = [n for n, line in enumerate(f, 1) if text in line]
    if occurrence is None:
        assert len(found) == 1, "%r is on lines %s" % (text, found)
        return found[0]
    return found[occurrence - 1]


def output(result):
    return result.stdout + result.stderr


def assert_syntax_error(h, line, *reasons):
    """-t fails on LINE of h's config with a message holding all REASONS."""
    r = h.check()
    out = output(r)
    assert r.returncode != 0, out
    assert "Syntax OK" not in out
    m = re.search(r"Syntax error on line (\d+) of (.*):\n(.*)", out)
    assert m, out
    assert (int(m.group(1)), m.group(2)) == (line, h.conf_path), out
    for reason in reasons:
        assert reason in m.group(3), out
    return out


def assert_check_error(h, line, *reasons):
    """-t fails with a check_config line "FILE:LINE: ..." holding REASONS."""
    r = h.check()
    out = output(r)
    assert r.returncode != 0, out
    assert "Syntax OK" not in out
    where = "%s:%d: " % (h.conf_path, line)
    logged = [ln for ln in out.splitlines() if where in ln]
    assert logged, "no %r in:\n%s" % (where, out)
    for reason in reasons:
        assert any(reason in ln.split(where, 1)[1] for ln in logged), out
    return out


def assert_ok(h):
    r = h.check()
    out = output(r)
    assert r.returncode == 0, out
    assert "Syntax OK" in out
    return out
