"""JWT strategy over the Bearer transport, against a real httpd: DESIGN.md
§3 (protected locations) and every §4 invariant that applies to JWTs."""

import base64
import hashlib
import http.client
import json
import time

import jwt
import pytest

import conf
import tokens
from harness import session
from tokens import claims, fastapi_users_token, hs_sign, raw_token

SECRET = "test-secret-0123456789-abcdefghijklmnop"      # 39 bytes
OTHER_SECRET = "another-secret-0123456789-abcdefghijkl"
LONG_SECRET = "x" * 64
ALGS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]
ALG_KEY = {"RS256": "rsa", "RS384": "rsa", "RS512": "rsa",
           "ES256": "ec256", "ES384": "ec384", "ES512": "ec521"}
PROTECTED = ["api", "lee", "nocache", "iss", "multi", "multi2", "multi3", "userbob",
             "forbid", "noname", "hs384", "hs512", "rsapub"] + \
            ["alg-" + a for a in ALGS]


def location(path, backends, extra="Require valid-user", name="on"):
    return conf.location("/" + path, backends, extra, name=name or None)


backend = conf.backend


@pytest.fixture(scope="module")
def server(httpd_factory, keydir):
    k = str(keydir)
    conf = ""
    conf += backend("api", "jwt secret=file:@ROOT@/secret")
    conf += backend("lee", "jwt secret=file:@ROOT@/secret leeway=30")
    conf += backend("nocache", "jwt secret=file:@ROOT@/secret cache=0")
    conf += backend("iss", "jwt secret=file:@ROOT@/secret "
                           "issuer=https://issuer.example "
                           "audience=app-one audience=app-two")
    conf += backend("other", "jwt secret=file:@ROOT@/other")
    conf += backend("hs384", "jwt algorithm=HS384 secret=file:@ROOT@/long")
    conf += backend("hs512", "jwt algorithm=HS512 secret=file:@ROOT@/long")
    conf += backend("rsapub", "jwt algorithm=RS256 public-key=file:%s/rsa.pub"
                    % k)
    for a in ALGS:
        conf += backend("alg-" + a, "jwt algorithm=%s private-key=file:%s/%s.key"
                        % (a, k, ALG_KEY[a]))
    conf += location("api", "api", name="api realm")
    conf += location("lee", "lee")
    conf += location("nocache", "nocache")
    conf += location("iss", "iss")
    conf += location("multi", "other api")
    conf += location("multi2", "api lee")
    conf += location("multi3", "lee api")
    conf += location("userbob", "api", "Require user bob")
    conf += location("forbid", "api", "Require user bob\n"
                     "    AuthzSendForbiddenOnFailure On")
    conf += location("noname", "api", name=None)
    conf += location("hs384", "hs384") + location("hs512", "hs512")
    conf += location("rsapub", "rsapub")
    for a in ALGS:
        conf += location("alg-" + a, "alg-" + a)
    conf += location("cgi/env", "api")
    conf += """
AliasMatch "^/(%s)/(.*)$" "@ROOT@/htdocs/$2"
Header always set X-Auth-Backend "%%{AUTH_BACKEND}e"
Header always set X-Remote-User "expr=%%{REMOTE_USER}"
<Location /login/rsapub>
    SetHandler auth-backend-login
    AuthBackendProvider rsapub
    AuthUserFile @ROOT@/users
    Require all granted
</Location>
""" % "|".join(PROTECTED)
    h = httpd_factory(conf, start=False,
                      loglevel="info auth_backend:trace8")
    h.write("secret", SECRET + "\n", mode=0o600)
    h.write("other", OTHER_SECRET, mode=0o600)
    h.write("long", LONG_SECRET, mode=0o600)
    h.write("users", "alice:{SHA}%s\n" % base64.b64encode(
        hashlib.sha1(b"secret").digest()).decode())
    h.sent = []          # every token sent, for the log-hygiene check
    return h.start()


@pytest.fixture(scope="module")
def keys(keydir):
    def read(name):
        return (keydir / name).read_bytes()
    return read


def get(server, path, token=None, header=None, method="GET"):
    headers = {}
    if token is not None:
        server.sent.append(token)
        headers["Authorization"] = "Bearer " + token
    if header is not None:
        headers["Authorization"] = header
    return session().request(method, server.url(path), headers=headers,
                             timeout=10)


class RawResponse:
    """The parts of a requests.Response the assertions use."""
    def __init__(self, resp):
        self.status_code = resp.status
        self.headers = resp.headers
        self.content = resp.read()
        self.text = self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.text)


def raw_get(server, path, headers):
    """GET with headers exactly as given (repeated names, odd spacing),
    which requests would refuse or normalise."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        c.putrequest("GET", path)
        for k, v in headers:
            c.putheader(k, v)
        c.endheaders()
        return RawResponse(c.getresponse())
    finally:
        c.close()


def assert_401(r, refused=True, realm="on"):
    assert r.status_code == 401, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"detail": "Unauthorized"}
    expected = 'Bearer realm="%s"' % realm
    if refused:
        expected += ', error="invalid_token"'
    assert r.headers["WWW-Authenticate"] == expected


def assert_ok(r, user="alice", backend=None):
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers["X-Remote-User"] == user
    if backend:
        assert r.headers["X-Auth-Backend"] == backend


# ---- the plain cases ------------------------------------------------------

def test_no_token_is_401_json_with_challenge(server):
    r = get(server, "/api/data.json")
    assert_401(r, refused=False, realm="api realm")


def test_head_without_token_is_401_without_body(server):
    r = get(server, "/api/data.json", method="HEAD")
    assert r.status_code == 401
    assert r.content == b""
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api realm"'


def test_fastapi_users_token_is_accepted(server):
    r = get(server, "/api/data.json", fastapi_users_token(SECRET))
    assert_ok(r, backend="api")
    assert r.json() == {"ok": True}


def test_application_sees_remote_user_auth_type_and_backend(server):
    r = get(server, "/cgi/env", fastapi_users_token(SECRET, user="bob"))
    assert r.status_code == 200
    env = dict(line.split("=", 1) for line in r.text.splitlines())
    assert env["REMOTE_USER"] == "bob"
    assert env["AUTH_TYPE"] == "backend"
    assert env["AUTH_BACKEND"] == "api"


def test_uuid_user_id_as_fastapi_users_issues_it(server):
    uid = "0b7e3f0c-6a55-4c5d-9a43-5a1d1f7f2c11"
    assert_ok(get(server, "/api/data.json", fastapi_users_token(SECRET, uid)),
              user=uid)


def test_string_audience_is_accepted(server):
    t = fastapi_users_token(SECRET, audience="fastapi-users:auth")
    assert_ok(get(server, "/api/data.json", t))


def test_audience_array_matches_any_element(server):
    t = fastapi_users_token(SECRET, audience=["x", "fastapi-users:auth"])
    assert_ok(get(server, "/api/data.json", t))


def test_extra_claims_are_fine(server):
    t = fastapi_users_token(SECRET, iat=int(time.time()), jti="abc",
                            iss="someone")
    assert_ok(get(server, "/api/data.json", t))


def test_wrong_secret_is_refused(server):
    assert_401(get(server, "/api/data.json",
                   fastapi_users_token(OTHER_SECRET)), realm="api realm")


def test_expired_token_is_refused(server):
    t = fastapi_users_token(SECRET, lifetime=-1)
    assert_401(get(server, "/api/data.json", t), realm="api realm")


def test_token_expiring_now_is_refused(server):
    # PyJWT: expired when exp <= now
    t = jwt.encode(claims(lifetime=0), SECRET, algorithm="HS256")
    assert get(server, "/api/data.json", t).status_code == 401


def test_fractional_exp_is_a_numeric_date(server):
    c = claims()
    c["exp"] = time.time() + 100.5
    assert_ok(get(server, "/api/data.json",
                   jwt.encode(c, SECRET, algorithm="HS256")))


# ---- leeway, nbf, iat -------------------------------------------------------

def test_leeway_accepts_slightly_expired(server):
    t = fastapi_users_token(SECRET, lifetime=-10)
    assert get(server, "/api/data.json", t).status_code == 401
    assert_ok(get(server, "/lee/data.json", t))


def test_leeway_has_a_limit(server):
    t = fastapi_users_token(SECRET, lifetime=-60)
    assert get(server, "/lee/data.json", t).status_code == 401


def test_nbf_in_the_future_is_refused(server):
    t = fastapi_users_token(SECRET, nbf=int(time.time()) + 60)
    assert_401(get(server, "/api/data.json", t), realm="api realm")


def test_nbf_in_the_past_is_fine(server):
    t = fastapi_users_token(SECRET, nbf=int(time.time()) - 60)
    assert_ok(get(server, "/api/data.json", t))


def test_nbf_within_leeway_is_fine(server):
    t = fastapi_users_token(SECRET, nbf=int(time.time()) + 10)
    assert get(server, "/api/data.json", t).status_code == 401
    assert_ok(get(server, "/lee/data.json", t))


def test_iat_in_the_future_is_refused(server):
    t = fastapi_users_token(SECRET, iat=int(time.time()) + 120)
    assert get(server, "/api/data.json", t).status_code == 401


# ---- claims that are missing or of the wrong type ------------------------

@pytest.mark.parametrize("change", [
    {"exp": None}, {"exp": "9999999999"}, {"exp": True}, {"exp": [1]},
    {"aud": None}, {"aud": "someone-else"}, {"aud": ["a", "b"]}, {"aud": []},
    {"aud": [1]}, {"aud": ["fastapi-users:auth", 1]}, {"aud": 5},
    {"sub": None}, {"sub": ""}, {"sub": 123}, {"sub": ["alice"]},
    {"sub": "ali\nce"}, {"sub": "ali\u0000ce"}, {"sub": "a" * 2000},
    {"nbf": "0"}, {"iat": "now"},
], ids=lambda c: json.dumps(c))
def test_bad_claims_are_refused(server, change):
    c = claims()
    for k, v in change.items():
        if v is None:
            del c[k]
        else:
            c[k] = v
    t = jwt.encode(c, SECRET, algorithm="HS256")
    assert_401(get(server, "/api/data.json", t), realm="api realm")


def test_duplicate_claim_names_are_refused(server):
    c = claims(user="bob")
    payload = json.dumps(c)[:-1] + ', "sub": "alice"}'
    t = hs_sign({"alg": "HS256", "typ": "JWT"}, payload, SECRET)
    assert_401(get(server, "/api/data.json", t), realm="api realm")


def test_payload_that_is_not_an_object_is_refused(server):
    t = hs_sign({"alg": "HS256", "typ": "JWT"}, '["sub"]', SECRET)
    assert get(server, "/api/data.json", t).status_code == 401


# ---- issuer and configured audiences --------------------------------------

def test_issuer_required_when_configured(server):
    for extra, status in (({}, 401), ({"iss": "https://evil.example"}, 401),
                          ({"iss": 5}, 401),
                          ({"iss": "https://issuer.example"}, 200)):
        t = fastapi_users_token(SECRET, audience=["app-one"], **extra)
        assert get(server, "/iss/data.json", t).status_code == status, extra


def test_configured_audiences_replace_the_default(server):
    iss = {"iss": "https://issuer.example"}
    assert_ok(get(server, "/iss/data.json",
                  fastapi_users_token(SECRET, audience="app-two", **iss)))
    assert get(server, "/iss/data.json",
               fastapi_users_token(SECRET, **iss)).status_code == 401


# ---- the algorithm is the configured one, never the token's --------------

@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(server, alg):
    unsigned = raw_token({"alg": alg, "typ": "JWT"}, claims())
    assert_401(get(server, "/api/data.json", unsigned), realm="api realm")
    # a signature computed over it does not help either
    signed = hs_sign({"alg": alg, "typ": "JWT"}, claims(), SECRET)
    assert get(server, "/api/data.json", signed).status_code == 401


def test_missing_alg_is_refused(server):
    t = hs_sign({"typ": "JWT"}, claims(), SECRET)
    assert get(server, "/api/data.json", t).status_code == 401


def test_empty_signature_is_refused(server):
    good = fastapi_users_token(SECRET)
    stripped = good.rsplit(".", 1)[0] + "."
    assert_401(get(server, "/api/data.json", stripped), realm="api realm")


def test_truncated_signature_is_refused(server):
    good = fastapi_users_token(SECRET)
    assert get(server, "/api/data.json", good[:-4]).status_code == 401


def test_non_canonical_base64url_is_refused(server):
    good = fastapi_users_token(SECRET)
    head, sig = good.rsplit(".", 1)
    # 43 characters: the last one carries two spare bits; set one
    alphabet = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                "0123456789-_")
    last = alphabet[alphabet.index(sig[-1]) | 1]
    assert last != sig[-1]
    assert get(server, "/api/data.json", head + "." + sig[:-1] + last) \
        .status_code == 401
    assert get(server, "/api/data.json", good + "=").status_code == 401


def test_other_hmac_algorithm_is_refused(server):
    # HS384 signed with the very secret of the HS256 backend
    t = fastapi_users_token(SECRET, algorithm="HS384")
    assert get(server, "/api/data.json", t).status_code == 401
    assert_ok(get(server, "/hs384/data.json",
                  fastapi_users_token(LONG_SECRET, algorithm="HS384")))
    assert_ok(get(server, "/hs512/data.json",
                  fastapi_users_token(LONG_SECRET, algorithm="HS512")))
    assert get(server, "/hs512/data.json",
               fastapi_users_token(LONG_SECRET, algorithm="HS384")) \
        .status_code == 401


def test_crit_header_is_refused(server):
    t = hs_sign({"alg": "HS256", "typ": "JWT", "crit": ["exp"]}, claims(),
                SECRET)
    assert get(server, "/api/data.json", t).status_code == 401


def test_header_with_kid_jku_x5u_is_not_followed(server):
    hdr = {"alg": "HS256", "typ": "JWT", "kid": "../../etc/passwd",
           "jku": "http://127.0.0.1:1/jwks", "x5u": "http://127.0.0.1:1/x"}
    # still signed with the one configured secret: accepted, and nothing
    # was fetched (port 1 would have failed)
    assert_ok(get(server, "/api/data.json", hs_sign(hdr, claims(), SECRET)))
    assert get(server, "/api/data.json",
               hs_sign(hdr, claims(), OTHER_SECRET)).status_code == 401


@pytest.mark.parametrize("alg", ALGS)
def test_asymmetric_algorithms(server, keys, alg):
    priv = keys(ALG_KEY[alg] + ".key")
    path = "/alg-%s/data.json" % alg
    assert_ok(get(server, path, fastapi_users_token(priv, algorithm=alg)),
              backend="alg-" + alg)
    # the same claims signed by another key
    if alg.startswith("RS"):
        wrong = fastapi_users_token(keys("rsa2.key"), algorithm=alg)
    else:
        from cryptography.hazmat.primitives.asymmetric import ec
        curve = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1,
                 "ES512": ec.SECP521R1}[alg]()
        wrong = fastapi_users_token(ec.generate_private_key(curve),
                                    algorithm=alg)
    assert get(server, path, wrong).status_code == 401


def test_algorithm_substitution_across_families(server, keys):
    es = fastapi_users_token(keys("ec256.key"), algorithm="ES256")
    rs = fastapi_users_token(keys("rsa.key"), algorithm="RS256")
    rs384 = fastapi_users_token(keys("rsa.key"), algorithm="RS384")
    assert get(server, "/alg-RS256/data.json", es).status_code == 401
    assert get(server, "/alg-ES256/data.json", rs).status_code == 401
    assert get(server, "/alg-RS256/data.json", rs384).status_code == 401
    assert get(server, "/api/data.json", rs).status_code == 401


@pytest.mark.parametrize("pem", ["rsa.pub", "ec256.pub"])
def test_key_confusion_hmac_with_public_key_is_refused(server, keys, pem):
    """HS256 signed with the public PEM as the HMAC secret (the classic
    attack libjwt alone falls for)."""
    path = "/alg-RS256/data.json" if pem.startswith("rsa") \
        else "/alg-ES256/data.json"
    for secret in (keys(pem), keys(pem).strip()):
        t = hs_sign({"alg": "HS256", "typ": "JWT"}, claims(), secret)
        assert get(server, path, t).status_code == 401
    assert get(server, "/rsapub/data.json",
               hs_sign({"alg": "HS256", "typ": "JWT"}, claims(),
                       keys("rsa.pub"))).status_code == 401


def test_public_key_only_backend_verifies(server, keys):
    t = fastapi_users_token(keys("rsa.key"), algorithm="RS256")
    assert_ok(get(server, "/rsapub/data.json", t), backend="rsapub")


def test_public_key_only_backend_cannot_log_in(server):
    mark = server.log_mark()
    r = session().post(server.url("/login/rsapub"),
                       data={"username": "alice", "password": "secret"})
    assert r.status_code == 500
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"detail": "Internal Server Error"}
    assert "cannot issue tokens" in server.log_since(mark, "cannot issue")


# ---- the Bearer transport ---------------------------------------------------

@pytest.mark.parametrize("fmt", ["Bearer %s", "bearer %s", "BEARER %s",
                                 "  Bearer   %s  ", "Bearer\t%s"])
def test_scheme_is_case_insensitive_and_spaces_trimmed(server, fmt):
    t = fastapi_users_token(SECRET)
    server.sent.append(t)
    assert_ok(raw_get(server, "/api/data.json", [("Authorization", fmt % t)]))


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer    "])
def test_empty_bearer_token_is_refused(server, value):
    assert_401(raw_get(server, "/api/data.json", [("Authorization", value)]),
               realm="api realm")


@pytest.mark.parametrize("value", ["Basic YWxpY2U6c2VjcmV0",
                                   "Bearertoken", "Token abc",
                                   "Digest username=x"])
def test_other_schemes_are_not_ours(server, value):
    assert_401(get(server, "/api/data.json", header=value), refused=False,
               realm="api realm")


@pytest.mark.parametrize("token", ["a b", "a,b", "abc\"def", "a;b",
                                   "%41%42", "x" * 9000])
def test_malformed_tokens_are_refused(server, token):
    r = get(server, "/api/data.json", header="Bearer " + token)
    assert r.status_code in (401, 400)
    if r.status_code == 401:
        assert_401(r, realm="api realm")


def test_opaque_token_is_refused_by_a_jwt_backend(server):
    assert_401(get(server, "/api/data.json", "A" * 43), realm="api realm")


def test_two_authorization_headers_are_refused(server):
    t = fastapi_users_token(SECRET)
    server.sent.append(t)
    r = raw_get(server, "/api/data.json", [("Authorization", "Bearer " + t),
                                           ("Authorization", "Bearer " + t)])
    assert_401(r, realm="api realm")


# ---- the verified-token cache ---------------------------------------------

def test_cached_token_still_expires(server):
    c = claims()
    c["exp"] = time.time() + 1.5
    t = jwt.encode(c, SECRET, algorithm="HS256")
    assert_ok(get(server, "/api/data.json", t))
    assert_ok(get(server, "/api/data.json", t))       # from the cache
    # deliberate time passing: past the token's exp
    time.sleep(max(0, c["exp"] - time.time()) + 0.2)
    assert_401(get(server, "/api/data.json", t), realm="api realm")


def test_cache_matches_the_whole_token(server):
    t = fastapi_users_token(SECRET)
    assert_ok(get(server, "/api/data.json", t))       # now cached
    head, payload, sig = t.split(".")
    forged = tokens.b64(json.dumps(claims(user="mallory")))
    assert_401(get(server, "/api/data.json", "%s.%s.%s" % (head, forged, sig)),
               realm="api realm")
    assert get(server, "/api/data.json", t + "=").status_code == 401


def test_cache_is_per_backend(server):
    t = fastapi_users_token(SECRET, lifetime=-10)
    assert_ok(get(server, "/lee/data.json", t))       # cached by "lee"
    assert get(server, "/api/data.json", t).status_code == 401
    t = fastapi_users_token(SECRET)
    assert_ok(get(server, "/api/data.json", t))       # cached by "api"
    assert get(server, "/iss/data.json", t).status_code == 401


def test_cache_can_be_turned_off(server):
    t = fastapi_users_token(SECRET, user="nocache")
    for _ in range(3):
        assert_ok(get(server, "/nocache/data.json", t), user="nocache")
    assert get(server, "/nocache/data.json",
               fastapi_users_token(OTHER_SECRET)).status_code == 401


# ---- several backends in one location ------------------------------------

def test_backends_fall_through_in_order(server):
    # "other" refuses the token (wrong secret), "api" accepts it
    assert_ok(get(server, "/multi/data.json", fastapi_users_token(SECRET)),
              backend="api")
    assert_ok(get(server, "/multi/data.json",
                  fastapi_users_token(OTHER_SECRET)), backend="other")


def test_first_backend_that_accepts_wins(server):
    t = fastapi_users_token(SECRET)
    assert_ok(get(server, "/multi2/data.json", t), backend="api")
    assert_ok(get(server, "/multi3/data.json", t), backend="lee")


def test_no_backend_accepts(server):
    assert_401(get(server, "/multi/data.json",
                   fastapi_users_token("a-third-secret-that-nobody-has")))


# ---- Require failures and configuration mistakes -------------------------

def test_require_failure_gets_json_401_and_challenge(server):
    r = get(server, "/userbob/data.json", fastapi_users_token(SECRET))
    assert_401(r, refused=False)
    assert_ok(get(server, "/userbob/data.json",
                  fastapi_users_token(SECRET, user="bob")), user="bob")


def test_require_failure_with_forbidden_on_failure_is_json_403(server):
    r = get(server, "/forbid/data.json", fastapi_users_token(SECRET))
    assert r.status_code == 403
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"detail": "Forbidden"}


def test_missing_authname_is_500_and_logged(server):
    mark = server.log_mark()
    r = get(server, "/noname/data.json", fastapi_users_token(SECRET))
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}
    assert "needs an AuthName" in server.log_since(mark, "needs an AuthName")


def test_refusals_are_logged_with_a_reason(server):
    mark = server.log_mark()
    get(server, "/api/data.json", fastapi_users_token(OTHER_SECRET))
    get(server, "/api/data.json", fastapi_users_token(SECRET, lifetime=-5))
    get(server, "/api/data.json", fastapi_users_token(SECRET, audience="x"))
    get(server, "/api/data.json", "A" * 43)
    log = server.log_since(mark, "recognises its kind")
    refused = "auth_backend: event=token_refused reason="
    assert refused + "unrecognized client=127.0.0.1 detail=\"no backend " \
        "of this location recognises its kind\"" in log
    assert refused + "bad_signature client=127.0.0.1 backend=api " \
        "detail=\"its signature does not verify\"" in log
    assert refused + "expired client=127.0.0.1 backend=api " \
        "detail=\"it has expired\"" in log
    assert refused + "wrong_audience client=127.0.0.1 backend=api " \
        "detail=\"its audience (aud) is not accepted here\"" in log


def test_server_is_healthy_and_logs_hold_no_token_or_secret(server):
    assert_ok(get(server, "/api/data.json", fastapi_users_token(SECRET)))
    log = server.error_log()
    assert "exit signal" not in log
    for secret in (SECRET, OTHER_SECRET, LONG_SECRET):
        assert secret not in log
    for t in server.sent:
        for part in t.split("."):
            if len(part) >= 16:
                assert part not in log, "a token part is in the error log"


# ---- one keep-alive connection, many tokens ---------------------------------

def test_tokens_on_one_connection_are_each_judged_by_their_own_header(
        server, keys):
    """A connection remembers its tokens' last JWS header (jose_jws.c), so
    that an issuer's repeated header is read once: whatever it remembers,
    each token is judged by its own header and signature.  cache=0, so
    every token is parsed and verified."""
    hdr = {"alg": "HS256", "typ": "JWT"}
    good = hs_sign(hdr, claims(), SECRET)
    forged = hs_sign(hdr, claims(user="mallory"), OTHER_SECRET)
    with_kid = hs_sign({"alg": "HS256", "typ": "JWT", "kid": "k"},
                       claims(user="bob"), SECRET)
    none = raw_token({"alg": "none", "typ": "JWT"}, claims(user="mallory"))
    rs = fastapi_users_token(keys("rsa.key"), algorithm="RS256", user="carol")
    steps = [
        ("/nocache/data.json", good, 200, "alice"),
        ("/nocache/data.json", forged, 401, None),     # same header bytes
        ("/nocache/data.json", good, 200, "alice"),
        ("/nocache/data.json", with_kid, 200, "bob"),  # static key: no kid
        ("/nocache/data.json", none, 401, None),
        ("/alg-RS256/data.json", good, 401, None),     # HS256 header there
        ("/nocache/data.json", good, 200, "alice"),    # ... read the same
        ("/nocache/data.json", rs, 401, None),         # RS256 header here
        ("/alg-RS256/data.json", rs, 200, "carol"),
        ("/alg-RS256/data.json", good, 401, None),
    ]
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for path, token, status, user in steps:
            server.sent.append(token)
            c.request("GET", path, headers={"Authorization": "Bearer " + token})
            r = RawResponse(c.getresponse())
            assert r.status_code == status, (path, user, r.text)
            if user:
                assert r.headers["X-Remote-User"] == user
            assert r.headers.get("Connection", "").lower() != "close"
    finally:
        c.close()
