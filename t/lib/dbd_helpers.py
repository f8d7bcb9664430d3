"""Shared by the dbd strategy tests: configuration pieces, the three HTTP
operations, and timestamps written the way fastapi-users writes them."""

import os
import pwd
import re
import secrets
import subprocess
from datetime import datetime, timedelta, timezone

import conf
from harness import session

PASSWORD = "dbd-Pa55word"

# SQLAlchemy's SQLite DATETIME storage format (fastapi-users' created_at)
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
SQLITE_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


def endpoints(name):
    """A protected location, a login and a logout location for backend
    NAME: /NAME/api/..., /NAME/env (REMOTE_USER), /NAME/login,
    /NAME/logout."""
    return (conf.location("^/%s/(api|env)" % name, name, name=name,
                          match=True)
            + conf.login_location("/%s/login" % name, name)
            + conf.logout_location("/%s/logout" % name, name))


ALIASES = """
AliasMatch "^/[^/]+/api/(.*)$" "@ROOT@/htdocs/$1"
ScriptAliasMatch "^/[^/]+/env$" "@ROOT@/cgi/env"
"""


def backend(name, options=""):
    return conf.backend(name, "dbd %s" % options) + endpoints(name)


def users_file(*names):
    out = []
    for n in names:
        out.append(subprocess.run(["htpasswd", "-nbs", n, PASSWORD],
                                  check=True, capture_output=True,
                                  text=True).stdout.strip())
    return "\n".join(out) + "\n"


def login(h, name, user):
    r = session().post(h.url("/%s/login" % name),
                       data={"username": user, "password": PASSWORD})
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json"
    token = r.json()["access_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), token
    return token


def get(h, path, token):
    return session().get(h.url(path),
                         headers={"Authorization": "Bearer " + token})


def whoami(h, name, token):
    """REMOTE_USER seen by a CGI behind backend NAME, or the response."""
    r = get(h, "/%s/env" % name, token)
    if r.status_code != 200:
        return r
    env = dict(line.split("=", 1) for line in r.text.splitlines() if line)
    assert env["AUTH_BACKEND"] == name
    return env["REMOTE_USER"]


def logout(h, name, token):
    return session().post(h.url("/%s/logout" % name),
                          headers={"Authorization": "Bearer " + token})


def assert_401(r, refused=True):
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.json() == {"detail": "Unauthorized"}
    assert ('error="invalid_token"' in r.headers["WWW-Authenticate"]) \
        == refused


def assert_503(r):
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"detail": "Service Unavailable"}


def new_token():
    """secrets.token_urlsafe(), as fastapi-users makes opaque tokens."""
    return secrets.token_urlsafe()


def utcnow():
    return datetime.now(timezone.utc)


def ago(seconds):
    return utcnow() - timedelta(seconds=seconds)


def sqlite_time(dt):
    """created_at as fastapi-users (SQLAlchemy) stores it on SQLite."""
    return dt.astimezone(timezone.utc).strftime(SQLITE_TIME)


WWW = pwd.getpwnam("www-data") if os.geteuid() == 0 else None


def make_db_dir(h):
    """A directory the children (User www-data) can create files in, as
    SQLite needs for its journal."""
    d = h.path("db")
    os.makedirs(d)
    if WWW:
        os.chown(d, WWW.pw_uid, WWW.pw_gid)
    return d


def give_to_www(path):
    if WWW:
        os.chown(path, WWW.pw_uid, WWW.pw_gid)
