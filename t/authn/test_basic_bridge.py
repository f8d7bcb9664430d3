"""Tokens over Basic authentication: every <AuthBackend> is also the authn
provider of its name (AuthType Basic + AuthBasicProvider NAME), tested with
curl -u and with git cloning from and pushing to a protected
git http-backend; backends of the same name per virtual host; name
clashes as configuration errors."""

import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

import conf
from dbd_helpers import backend as dbd_backend, login, users_file
from harness import session
from tokens import fastapi_users_token

SECRET = "bridge-secret-0123456789-abcdefghijklmn"
VHOST_SECRET = "bridge-vhost-0123456789-abcdefghijklmn"
GIT_BACKEND = "/usr/lib/git-core/git-http-backend"

ENV_CGI = """#!/bin/sh
printf 'Content-Type: application/json\\n\\n'
printf '{"REMOTE_USER":"%s","AUTH_TYPE":"%s","AUTH_BACKEND":"%s","role":"%s"}\\n' \\
    "$REMOTE_USER" "$AUTH_TYPE" "$AUTH_BACKEND" "$AUTH_CLAIM_role"
"""


def basic(path, providers, rules="Require valid-user", extra=""):
    return conf.location(path, providers, rules, extra, name="tokens",
                         authtype="Basic")


CONF = """
DBDriver sqlite3
DBDParams "@ROOT@/db/tokens.sqlite"
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret
</AuthBackend>
""" + dbd_backend("db", "create-table=on") + """
ScriptAliasMatch "^/(basic|both|claim|dbbasic|vbasic)$" "@ROOT@/cgi/who"
""" + basic("/basic", "api", extra="AuthBackendPassClaims env") \
    + basic("/both", "api file", extra="AuthUserFile @ROOT@/users") \
    + basic("/claim", "api", "Require token-claim role admin",
            "AuthzSendForbiddenOnFailure On") \
    + basic("/dbbasic", "db") + """
ScriptAlias /git/ """ + GIT_BACKEND + """/
<Location /git>
    SetEnv GIT_PROJECT_ROOT @ROOT@/repos
    SetEnv GIT_HTTP_EXPORT_ALL 1
    AuthType Basic
    AuthName "git"
    AuthBasicProvider api
    Require valid-user
</Location>

<VirtualHost *:@PORT@>
    ServerName main.test
    DocumentRoot @ROOT@/htdocs
</VirtualHost>
<VirtualHost *:@PORT@>
    ServerName other.test
    DocumentRoot @ROOT@/htdocs
    <AuthBackend api>
        AuthBackendTransport bearer
        AuthBackendStrategy jwt secret=file:@ROOT@/vsecret
    </AuthBackend>
</VirtualHost>
"""

WWW = pwd.getpwnam("www-data") if os.geteuid() == 0 else None


def give_to_www(path):
    if not WWW:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, WWW.pw_uid, WWW.pw_gid)
        for f in files:
            os.chown(os.path.join(root, f), WWW.pw_uid, WWW.pw_gid)


def git(*args, cwd=None, check=True):
    env = {"PATH": os.environ["PATH"], "HOME": cwd or "/nonexistent",
           "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_ASKPASS": "/bin/false", "LC_ALL": "C"}
    return subprocess.run(["git", "-c", "user.name=Tester", "-c",
                           "user.email=t@example.com", "-c",
                           "credential.helper=", "-c",
                           "init.defaultBranch=main"] + list(args),
                          cwd=cwd, env=env, capture_output=True, text=True,
                          check=check, timeout=60)


@pytest.fixture(scope="module")
def server(httpd_factory):
    h = httpd_factory(CONF, start=False, modules=["dbd", "auth_basic"])
    h.write("secret", SECRET, mode=0o600)
    h.write("vsecret", VHOST_SECRET, mode=0o600)
    h.write("cgi/who", ENV_CGI, mode=0o755)
    h.write("users", users_file("alice", "carol"))
    os.makedirs(h.path("db"))
    give_to_www(h.path("db"))
    # a bare repository with one commit, writable by the CGI
    work = tempfile.mkdtemp(prefix="mab-git-")
    try:
        git("init", "-q", "seed", cwd=work)
        with open(os.path.join(work, "seed", "README"), "w") as f:
            f.write("seed\n")
        git("add", "README", cwd=os.path.join(work, "seed"))
        git("commit", "-q", "-m", "seed", cwd=os.path.join(work, "seed"))
        git("clone", "-q", "--bare", os.path.join(work, "seed"),
            h.path("repos/repo.git"), cwd=work)
    finally:
        shutil.rmtree(work)
    give_to_www(h.path("repos"))
    return h.start()


def tok(secret=SECRET, **claims):
    return fastapi_users_token(secret, **claims)


def who(h, path, user, password, host=None):
    headers = {"Host": host} if host else {}
    r = session().get(h.url(path), auth=(user, password), headers=headers)
    return r.status_code, (r.json() if r.status_code == 200 else None)


def curl(h, path, userpass):
    r = subprocess.run(["curl", "-s", "--noproxy", "*", "-o", "/dev/null",
                        "-w", "%{http_code}", "-u", userpass,
                        h.url(path)], capture_output=True, text=True,
                       timeout=30)
    return int(r.stdout)


def test_curl_user_names(server):
    t = tok(user="alice")
    assert curl(server, "/basic", ":" + t) == 200
    assert curl(server, "/basic", "token:" + t) == 200
    assert curl(server, "/basic", "alice:" + t) == 200
    assert curl(server, "/basic", "bob:" + t) == 401
    assert curl(server, "/basic", "alice:" + tok(VHOST_SECRET)) == 401
    assert curl(server, "/basic", "alice:secret") == 401


def test_identity_is_the_tokens(server):
    st, env = who(server, "/basic", "token", tok(user="alice", role="r"))
    assert st == 200
    assert env == {"REMOTE_USER": "alice", "AUTH_TYPE": "Basic",
                   "AUTH_BACKEND": "api", "role": "r"}


def test_refusals(server):
    r = session().get(server.url("/basic"))
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Basic realm="tokens"'
    assert who(server, "/basic", "", tok(lifetime=-60))[0] == 401
    assert who(server, "/basic", "", "not a token")[0] == 401
    assert who(server, "/basic", "", "")[0] == 401
    mark = server.log_mark()
    t = tok(user="alice")
    assert who(server, "/basic", "mallory", t)[0] == 401
    log = server.log_since(mark, wait_for="reason=user_mismatch")
    assert "auth_backend: event=token_refused reason=user_mismatch " \
        "client=127.0.0.1 user=\"mallory\" backend=api detail=\"the Basic " \
        "user name is neither empty, 'token' nor the user of the token\"" \
        in log
    assert t not in server.error_log()


def test_passwords_still_work_after_the_backend(server):
    """AuthBasicProvider api file: a password is not a token, so the next
    provider checks it."""
    assert who(server, "/both", "alice", "dbd-Pa55word")[0] == 200
    assert who(server, "/both", "alice", "wrong")[0] == 401
    assert who(server, "/both", "", tok(user="carol"))[1]["REMOTE_USER"] \
        == "carol"


def test_rules_see_the_tokens_claims(server):
    assert who(server, "/claim", "", tok(role="admin"))[0] == 200
    assert who(server, "/claim", "", tok(role="user"))[0] == 403


def test_opaque_tokens(server):
    token = login(server, "db", "alice")
    st, env = who(server, "/dbbasic", "token", token)
    assert st == 200
    assert env["REMOTE_USER"] == "alice"
    assert env["AUTH_BACKEND"] == "db"
    other = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert who(server, "/dbbasic", "token", other)[0] == 401
    assert who(server, "/dbbasic", "token", tok())[0] == 401


def test_backend_per_virtual_host(server):
    vt = tok(VHOST_SECRET, user="vic")
    assert who(server, "/basic", "", vt, host="other.test")[1][
        "REMOTE_USER"] == "vic"
    assert who(server, "/basic", "", vt, host="main.test")[0] == 401
    assert who(server, "/basic", "", tok(), host="other.test")[0] == 401
    assert who(server, "/basic", "", tok(), host="main.test")[0] == 200


def test_git_clone_and_push(server, tmp_path):
    t = tok(user="alice")
    url = "http://token:%s@127.0.0.1:%d/git/repo.git" % (t, server.port)
    work = str(tmp_path)
    r = git("clone", "-q", url, "clone", cwd=work)
    clone = os.path.join(work, "clone")
    with open(os.path.join(clone, "README")) as f:
        assert f.read() == "seed\n"
    with open(os.path.join(clone, "NEW"), "w") as f:
        f.write("pushed\n")
    git("add", "NEW", cwd=clone)
    git("commit", "-q", "-m", "over a token", cwd=clone)
    r = git("push", "-q", "origin", "HEAD", cwd=clone)
    assert r.returncode == 0, r.stderr
    log = subprocess.run(["git", "--git-dir", server.path("repos/repo.git"),
                          "log", "--format=%s", "main"],
                         capture_output=True, text=True, check=True).stdout
    assert log.splitlines()[0] == "over a token"
    # the access log names the token's user, git's user name was "token"
    assert ' alice "POST /git/repo.git/git-receive-pack' in \
        server.read("logs/access_log")


def test_git_with_a_bad_token(server, tmp_path):
    for t in (tok(VHOST_SECRET), tok(lifetime=-60), "garbage"):
        url = "http://token:%s@127.0.0.1:%d/git/repo.git" % (t, server.port)
        r = git("clone", "-q", url, "clone", cwd=str(tmp_path), check=False)
        assert r.returncode != 0
        assert "401" in r.stderr or "Authentication failed" in r.stderr, \
            r.stderr


@pytest.mark.parametrize("conf,message", [
    ("<AuthBackend file>\nAuthBackendTransport bearer\n"
     "AuthBackendStrategy jwt secret=file:@ROOT@/secret\n</AuthBackend>",
     "another authn provider (a module's or an <AuthnProviderAlias>) is "
     "called 'file'"),
    ("<AuthnProviderAlias file mine>\n</AuthnProviderAlias>\n"
     "<AuthBackend mine>\nAuthBackendTransport bearer\n"
     "AuthBackendStrategy jwt secret=file:@ROOT@/secret\n</AuthBackend>",
     "is called 'mine'"),
    ("<AuthBackend api>\nAuthBackendTransport bearer\n"
     "AuthBackendStrategy jwt secret=file:@ROOT@/secret\n</AuthBackend>\n"
     "<Location /login>\nSetHandler auth-backend-login\n"
     "AuthBackendProvider api\nAuthBackendLoginProvider api\n</Location>",
     "'api' is a backend, which takes tokens, not passwords"),
])
def test_config_errors(httpd_config, conf, message):
    h = httpd_config(conf)
    h.write("secret", SECRET, mode=0o600)
    r = h.check()
    assert r.returncode != 0
    assert message in r.stderr, r.stderr


def test_clash_with_a_module_loaded_later(httpd_config):
    """A module whose provider takes the name after the section is found
    at startup, with the section's file and line."""
    h = httpd_config("<AuthBackend dbm>\nAuthBackendTransport bearer\n"
                     "AuthBackendStrategy jwt secret=file:@ROOT@/secret\n"
                     "</AuthBackend>\nLoadModule authn_dbm_module "
                     "/usr/lib/apache2/modules/mod_authn_dbm.so\n")
    h.write("secret", SECRET, mode=0o600)
    r = h.check()
    assert r.returncode != 0
    assert "httpd.conf:" in r.stderr and "is called 'dbm'" in r.stderr, \
        r.stderr


def test_alias_of_a_backend_is_refused_at_request_time(httpd_factory):
    h = httpd_factory("""
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthnProviderAlias api renamed>
</AuthnProviderAlias>
<Location /r>
    AuthType Basic
    AuthName r
    AuthBasicProvider renamed
    Require valid-user
</Location>
Alias /r @ROOT@/htdocs/index.html
""", start=False, modules=["auth_basic"])
    h.write("secret", SECRET, mode=0o600)
    h.start()
    r = session().get(h.url("/r"), auth=("", tok()))
    assert r.status_code == 500
    assert "name the backend itself in AuthBasicProvider" in h.error_log()
