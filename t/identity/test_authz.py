"""Require auth-backend and Require token-claim against a real httpd, with
JWTs made the way fastapi-users makes them (plus custom claims): each form
positive and negative, 401 vs 403 (AuthzSendForbiddenOnFailure), and the
composition with <RequireAll>, <RequireAny> and Require not."""

import pytest

import conf
from harness import session
from tokens import fastapi_users_token

SECRET = "authz-secret-0123456789-abcdefghijklmnop"
OTHER_SECRET = "authz-other-0123456789-abcdefghijklmnop"


def loc(path, rules, backends="api", extra=""):
    return conf.location("/" + path, backends, rules, extra, name="authz")


CONF = """
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend other>
    AuthBackendTransport bearer
    AuthBackendStrategy  jwt secret=file:@ROOT@/other
</AuthBackend>
""" + "".join([
    loc("be/api", "Require auth-backend api", "other api"),
    loc("be/other", "Require auth-backend other", "other api"),
    loc("be/both", "Require auth-backend nope other api", "other api"),
    loc("be/forbid", "Require auth-backend other", "other api",
        "AuthzSendForbiddenOnFailure On"),
    loc("claim/role", "Require token-claim role admin editor"),
    loc("claim/forbid", "Require token-claim role admin",
        extra="AuthzSendForbiddenOnFailure On"),
    loc("claim/nested", "Require token-claim org.name acme"),
    loc("claim/num", "Require token-claim level 3"),
    loc("claim/real", "Require token-claim ratio 1.5"),
    loc("claim/bool", "Require token-claim staff true"),
    loc("claim/null", "Require token-claim gone null"),
    loc("claim/dotted", "Require token-claim https://example.com/roles admin"),
    loc("claim/aud", "Require token-claim aud fastapi-users:auth"),
    loc("claim/expr", "Require token-claim method %{REQUEST_METHOD}"),
    loc("claim/quoted", 'Require token-claim team "blue team"'),
    loc("all", "<RequireAll>\n Require token-claim role admin\n"
        " Require token-claim org.name acme\n</RequireAll>"),
    loc("any", "<RequireAny>\n Require token-claim role admin\n"
        " Require auth-backend other\n</RequireAny>", "other api"),
    loc("not", "<RequireAll>\n Require valid-user\n"
        " Require not token-claim role banned\n</RequireAll>"),
    loc("not/forbid", "<RequireAll>\n Require valid-user\n"
        " Require not token-claim role banned\n</RequireAll>",
        extra="AuthzSendForbiddenOnFailure On"),
    loc("ip-or-claim", "<RequireAny>\n Require ip 192.0.2.1\n"
        " Require token-claim role admin\n</RequireAny>"),
    loc("ip-or-claim/forbid", "<RequireAny>\n Require ip 192.0.2.1\n"
        " Require token-claim role admin\n</RequireAny>",
        extra="AuthzSendForbiddenOnFailure On"),
    loc("local-and-claim", "<RequireAll>\n Require ip 127.0.0.1\n"
        " Require token-claim role admin\n</RequireAll>"),
]) + """
AliasMatch "^/(be|claim|all|any|not|ip-or-claim|local-and-claim)(/.*)?$" "@ROOT@/htdocs/index.html"
"""


@pytest.fixture(scope="module")
def server(httpd_factory):
    h = httpd_factory(CONF, start=False, modules=["authz_host"])
    h.write("secret", SECRET, mode=0o600)
    h.write("other", OTHER_SECRET, mode=0o600)
    return h.start()


def tok(secret=SECRET, **claims):
    return fastapi_users_token(secret, **claims)


def get(h, path, token=None, method="GET"):
    headers = {"Authorization": "Bearer " + token} if token else {}
    return session().request(method, h.url("/" + path), headers=headers)


def status(h, path, token=None, method="GET"):
    return get(h, path, token, method).status_code


def test_auth_backend(server):
    api, other = tok(), tok(OTHER_SECRET)
    assert status(server, "be/api", api) == 200
    assert status(server, "be/api", other) == 401
    assert status(server, "be/other", other) == 200
    assert status(server, "be/other", api) == 401
    assert status(server, "be/both", api) == 200
    assert status(server, "be/both", other) == 200
    assert status(server, "be/api") == 401


def test_401_and_403(server):
    """An authenticated user who fails a rule gets 401 (mod_authz_core's
    default, with the challenge again) or 403 with
    AuthzSendForbiddenOnFailure On; nobody authenticated is always 401."""
    r = get(server, "be/api", tok(OTHER_SECRET))
    assert r.status_code == 401
    assert r.json() == {"detail": "Unauthorized"}
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="authz"'
    r = get(server, "be/forbid", tok())
    assert r.status_code == 403
    assert r.json() == {"detail": "Forbidden"}
    assert get(server, "be/forbid").status_code == 401
    assert status(server, "be/forbid", tok(OTHER_SECRET)) == 200
    assert status(server, "claim/forbid", tok(role="user")) == 403
    assert status(server, "claim/forbid", tok(role="admin")) == 200
    assert status(server, "claim/forbid") == 401
    assert status(server, "claim/forbid", "not-a-jwt") == 401


def test_claim_string_and_values(server):
    assert status(server, "claim/role", tok(role="admin")) == 200
    assert status(server, "claim/role", tok(role="editor")) == 200
    assert status(server, "claim/role", tok(role="Admin")) == 401
    assert status(server, "claim/role", tok(role="user")) == 401
    assert status(server, "claim/role", tok()) == 401          # missing
    assert status(server, "claim/quoted", tok(team="blue team")) == 200
    assert status(server, "claim/quoted", tok(team="blue")) == 401


def test_claim_arrays_match_any_element(server):
    assert status(server, "claim/role", tok(role=["user", "editor"])) == 200
    assert status(server, "claim/role", tok(role=["user", "guest"])) == 401
    assert status(server, "claim/role", tok(role=[])) == 401
    assert status(server, "claim/aud", tok()) == 200            # aud array


def test_claim_nested_and_dotted_names(server):
    assert status(server, "claim/nested", tok(org={"name": "acme"})) == 200
    assert status(server, "claim/nested", tok(org={"name": "evil"})) == 401
    assert status(server, "claim/nested", tok(org="acme")) == 401
    assert status(server, "claim/nested", tok(org={"id": 1})) == 401
    # a claim whose name holds dots is found by that name
    assert status(server, "claim/dotted", tok(**{
        "https://example.com/roles": ["admin"]})) == 200
    assert status(server, "claim/dotted", tok(**{
        "https://example.com/roles": ["user"]})) == 401


def test_claim_numbers_booleans_null_by_json_text(server):
    assert status(server, "claim/num", tok(level=3)) == 200
    assert status(server, "claim/num", tok(level="3")) == 200
    assert status(server, "claim/num", tok(level=3.0)) == 401   # "3.0"
    assert status(server, "claim/num", tok(level=4)) == 401
    assert status(server, "claim/num", tok(level=[1, 3])) == 200
    assert status(server, "claim/real", tok(ratio=1.5)) == 200
    assert status(server, "claim/bool", tok(staff=True)) == 200
    assert status(server, "claim/bool", tok(staff=False)) == 401
    assert status(server, "claim/bool", tok(staff="true")) == 200
    assert status(server, "claim/bool", tok(staff=1)) == 401
    assert status(server, "claim/null", tok(gone=None)) == 200
    assert status(server, "claim/null", tok()) == 401


def test_claim_with_expression(server):
    t = tok(method="GET")
    assert status(server, "claim/expr", t) == 200
    assert status(server, "claim/expr", t, "POST") == 401
    assert status(server, "claim/expr", tok(method="POST"), "POST") == 200


def test_require_all(server):
    both = tok(role="admin", org={"name": "acme"})
    assert status(server, "all", both) == 200
    assert status(server, "all", tok(role="admin")) == 401
    assert status(server, "all", tok(org={"name": "acme"})) == 401
    assert status(server, "all") == 401


def test_require_any(server):
    assert status(server, "any", tok(role="admin")) == 200
    assert status(server, "any", tok(OTHER_SECRET)) == 200
    assert status(server, "any", tok(role="user")) == 401
    assert status(server, "any") == 401


def test_require_not(server):
    assert status(server, "not", tok(role="user")) == 200
    assert status(server, "not", tok()) == 200
    assert status(server, "not", tok(role="banned")) == 401
    assert status(server, "not", tok(role=["x", "banned"])) == 401
    assert status(server, "not/forbid", tok(role="banned")) == 403
    assert status(server, "not") == 401


def test_no_user_lets_authentication_run(server):
    """With another rule that fails, the claim rule still asks for a user:
    no token is a 401 (not httpd's 403 'denied by server configuration'),
    and a token that satisfies it gets in."""
    r = get(server, "ip-or-claim")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="authz"'
    assert status(server, "ip-or-claim", tok(role="admin")) == 200
    assert status(server, "ip-or-claim", tok(role="user")) == 401
    assert status(server, "ip-or-claim/forbid", tok(role="user")) == 403
    assert status(server, "local-and-claim", tok(role="admin")) == 200
    assert status(server, "local-and-claim", tok(role="user")) == 401
    assert status(server, "local-and-claim") == 401


def test_log_names_the_claim_not_the_token(server):
    t = tok(role="user")
    mark = server.log_mark()
    assert status(server, "claim/role", t) == 401
    log = server.log_since(mark, wait_for="claim 'role'")
    assert "claim 'role' has none of the values" in log
    assert t not in log


def rule_config(httpd_config, rule):
    h = httpd_config("""
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret
</AuthBackend>
<Location /x>
    AuthType backend
    AuthName x
    AuthBackendProvider api
    %s
</Location>
""" % rule)
    h.write("secret", SECRET, mode=0o600)
    return h.check()


@pytest.mark.parametrize("rule,message", [
    ("Require token-claim role", "needs a claim and one or more values"),
    ("Require token-claim", "needs a claim and one or more values"),
    ("Require auth-backend", "needs one or more backend names"),
    ("Require backend-user activ", "unknown flag 'activ'"),
    ("Require backend-user", "no flag given"),
    ("Require token-claim role %{", "Cannot parse expression"),
])
def test_config_errors(httpd_config, rule, message):
    r = rule_config(httpd_config, rule)
    assert r.returncode != 0
    assert message in r.stderr, r.stderr
    assert "httpd.conf" in r.stderr


def test_config_accepts_expressions(httpd_config):
    """A line with an expression is checked per request, not at startup."""
    r = rule_config(httpd_config, "Require token-claim %{REQUEST_METHOD}\n"
                    "    Require backend-user %{REQUEST_METHOD}\n"
                    "    Require auth-backend %{REQUEST_METHOD}")
    assert r.returncode == 0, r.stderr
