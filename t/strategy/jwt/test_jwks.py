"""Key sets (JWKS) for the jwt strategy (issue 15 item 2): jwks=file: read
at startup, jwks=https: fetched off the request path from a local HTTPS
server with a private test CA (t/lib/jwks_server.py), key rotation by kid
without a restart, the last good key set kept through every kind of failed
fetch, skipped keys, algorithms pinned per key, tokens without kid, key
sets in virtual hosts, `apache2 -t` errors and the verified-token cache.

Keys are made here with python3-cryptography, JWKs by hand, tokens with
PyJWT (or signed by hand where PyJWT refuses a hostile combination).

The fetch runs in a mod_watchdog callback: Debian's httpd has mod_watchdog
compiled in (`apache2 -l`), so no modules= is needed.

Timings are short (jwks-refresh=2, jwks-min-refresh=1, jwks-timeout=2);
every wait for something to happen is a wait_until() with a message, and
the few time.sleep() calls deliberately let an interval pass to show that
something did NOT happen in it.
"""

import concurrent.futures
import json
import re
import subprocess
import time

import jwt
import pytest

import conf
from config_check import assert_ok, line_of, output
from harness import APACHE2, Httpd, httpd_env, session
from jwks_server import JwksServer, Key, TestCA, jwks, oct_jwk
from tokens import hs_sign, raw_token
from wait import wait_until

BACKEND = "keyset"
UNAUTHORIZED = {"detail": "Unauthorized"}
UNAVAILABLE = {"detail": "Service Unavailable"}
ALIASES = 'AliasMatch "^/(ks|file-[a-z0-9-]+)/(.*)$" "@ROOT@/htdocs/$2"\n'


# ---- fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca():
    c = TestCA()
    yield c
    c.cleanup()


@pytest.fixture
def servers(ca):
    """servers(keys=..., document=...) -> a started JwksServer, stopped
    after the test."""
    made = []

    def make(*keys, document=None, start=True):
        s = JwksServer(ca, keys=keys, document=document)
        made.append(s)
        return s.start() if start else s

    yield make
    for s in made:
        s.stop()


@pytest.fixture
def httpds():
    """Httpd instances of one test, stopped when it ends (a key-set
    backend keeps fetching, so none outlives its test)."""
    made = []

    def make(text, start=True, **kw):
        h = Httpd(text, **kw)
        made.append(h)
        return h.start() if start else h

    yield make
    for h in made:
        h.cleanup()


def https_strategy(srv, ca, trust=True, refresh=2, min_refresh=1, timeout=2,
                   extra=""):
    s = "jwt jwks=%s" % srv.url
    if trust:
        s += " jwks-ca=file:%s" % ca.ca_cert
    for name, value in (("jwks-refresh", refresh),
                        ("jwks-min-refresh", min_refresh),
                        ("jwks-timeout", timeout)):
        if value is not None:
            s += " %s=%s" % (name, value)
    return s + (" " + extra if extra else "")


class Env:
    """A JwksServer and an httpd whose backend `keyset` uses it, at /ks."""

    def __init__(self, srv, h):
        self.srv, self.h = srv, h

    def get(self, token, path="/ks/data.json", host=None):
        return get(self.h, path, token, host=host)

    def status(self, token, **kw):
        return self.get(token, **kw).status_code


@pytest.fixture
def env(ca, servers, httpds):
    """env(*keys, trust=True, refresh=2, min_refresh=1, timeout=2,
    extra="", server_down=False, cache_control=None, document=None,
    status=200, more_conf="", content_type="application/json") -> Env:
    the server publishes KEYS (or DOCUMENT, with STATUS) from the start."""

    def make(*keys, trust=True, refresh=2, min_refresh=1, timeout=2,
             extra="", server_down=False, cache_control=None, document=None,
             status=200, more_conf="", content_type="application/json",
             loglevel="info auth_backend:trace1"):
        srv = servers(*keys, document=document)
        srv.cache_control = cache_control
        srv.content_type = content_type
        srv.status = status
        if server_down:
            srv.down()
        text = (conf.backend(BACKEND, https_strategy(
                    srv, ca, trust, refresh, min_refresh, timeout, extra))
                + conf.location("/ks", BACKEND, name="ks") + ALIASES
                + more_conf)
        return Env(srv, httpds(text, loglevel=loglevel))

    return make


def get(h, path, token, host=None):
    headers = {"Authorization": "Bearer " + token}
    if host:
        headers["Host"] = host
    return session().get(h.url(path), headers=headers, timeout=15)


def wait_status(fetch, expected, timeout=10, what=""):
    """Polls FETCH() (a response) until its status is EXPECTED."""
    seen = []

    def done():
        r = fetch()
        seen.append(r.status_code)
        return r.status_code == expected

    wait_until(done, timeout, 0.2, lambda: "%s: status %d (the last ones "
               "seen: %s)" % (what, expected, seen[-8:]))


def wait_accepted(e, key, timeout=10, what=None, **kw):
    """Until a fresh token of KEY is accepted at Env E (fresh: the
    verified-token cache cannot answer for it)."""
    wait_status(lambda: e.get(key.token(), **kw), 200, timeout,
                what or "a token of kid %r accepted" % key.kid)


def assert_unavailable(r):
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == UNAVAILABLE


def assert_refused(r):
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.json() == UNAUTHORIZED


def log_message(line):
    """The message of an error-log line: what follows "[pid N:tid M] "
    (and a "[client ...]" part, if any)."""
    m = re.match(r"^\[[^]]*\] \[[^]]*\] \[pid [^]]*\] (?:\[client [^]]*\] )?"
                 r"(.*)$", line)
    return m.group(1) if m else line


def warn_lines(h, mark, srv):
    """The messages of the error-log lines at level warn written after
    MARK that are about key sets: they name the backend, the URL or
    "jwks"/"key set".  The URL is replaced by <url> (the reasons are
    matched on the rest: a port may hold "500", the path "json")."""
    out = []
    for line in h.log_since(mark).splitlines():
        if ":warn]" not in line or "[client " in line:
            continue            # not a fetch's: a request's
        msg = log_message(line)
        if not (srv.url in msg or BACKEND in msg or "jwks" in msg.lower()
                or "key set" in msg.lower()):
            continue
        for part in (srv.url, "127.0.0.1:%d" % srv.port, srv.path):
            msg = msg.replace(part, "<url>")
        out.append(msg)
    return out


def wait_warn(h, mark, srv, reasons, timeout=15):
    """Waits for a warn line naming the backend or URL whose message holds
    one of REASONS (case-insensitive substrings, or compiled regexes);
    returns it."""
    def matches(msg):
        low = msg.lower()
        return any(r.search(msg) if hasattr(r, "search") else r in low
                   for r in reasons)

    def found():
        return next((m for m in warn_lines(h, mark, srv) if matches(m)),
                    None)

    return wait_until(found, timeout, 0.1, lambda: "a warn line with one of "
                      "%r about backend %r / %s; the log since then:\n%s" % (
                          reasons, BACKEND, srv.url, h.log_since(mark)))


def startup_log(h):
    """Everything httpd logged, before and after its error log opened."""
    return h.read("logs/stdout") + h.error_log()


def restarts(h):
    return h.error_log().count("resuming normal operations")


# ---- the server and its CA, without the module ----------------------------------


def curl(srv, *args):
    return subprocess.run(["curl", "-sS", "--max-time", "5", "--noproxy", "*",
                           *args, srv.url], capture_output=True, text=True,
                          timeout=30)


def test_server_is_trusted_only_with_its_ca(ca, servers):
    k = Key.rsa("k1", alg="RS256")
    srv = servers(k)
    assert srv.url.startswith("https://127.0.0.1:")
    r = curl(srv, "--cacert", ca.ca_cert)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"keys": [k.jwk]}
    # the name localhost is in the certificate too
    r = subprocess.run(["curl", "-sS", "--max-time", "5", "--noproxy", "*",
                        "--cacert", ca.ca_cert, "--resolve",
                        "localhost:%d:127.0.0.1" % srv.port,
                        "https://localhost:%d/jwks.json" % srv.port],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    before = srv.tls_failures
    r = curl(srv)               # the system store does not know the test CA
    assert r.returncode == 60, (r.returncode, r.stderr)
    wait_until(lambda: srv.tls_failures == before + 1, 5, 0.05,
               "the refused handshake to be counted")
    assert srv.hits == 2
    # the server certificate: signed by the CA, with the SAN
    text = subprocess.run(["openssl", "x509", "-in", ca.cert, "-noout",
                           "-text"], capture_output=True, text=True,
                          check=True).stdout
    assert "IP Address:127.0.0.1" in text and "DNS:localhost" in text
    v = subprocess.run(["openssl", "verify", "-CAfile", ca.ca_cert, ca.cert],
                       capture_output=True, text=True)
    assert v.returncode == 0, v.stdout + v.stderr


def test_server_controls(ca, servers):
    k1, k2 = Key.rsa("k1"), Key.ec("k2")
    srv = servers(k1)
    s = session()

    def fetch(**kw):
        return s.get(srv.url, verify=ca.ca_cert, timeout=5, **kw)

    r = fetch()
    assert (r.status_code, r.json()) == (200, jwks(k1))
    assert r.headers["Content-Type"] == "application/json"
    assert "Cache-Control" not in r.headers
    srv.set_keys(k1, k2)
    srv.status, srv.cache_control = 500, "max-age=2"
    r = fetch()
    assert (r.status_code, r.json()) == (500, jwks(k1, k2))
    assert r.headers["Cache-Control"] == "max-age=2"
    srv.status, srv.cache_control = 200, None
    srv.set_document(b'{"keys": [')
    assert fetch().content == b'{"keys": ['
    srv.set_document(b"x" * (2 << 20))
    assert len(fetch().content) == 2 << 20
    # other paths are 404 and are not counted as fetches
    n = srv.hits
    r = s.get(srv.url.replace("/jwks.json", "/other"), verify=ca.ca_cert,
              timeout=5)
    assert r.status_code == 404 and srv.hits == n
    # a delay
    srv.set_keys(k2)
    srv.delay = 1.0
    t = time.monotonic()
    assert fetch().json() == jwks(k2)
    assert time.monotonic() - t >= 1.0
    srv.delay = 0
    # a body sent slowly
    srv.drip = 1.0
    t = time.monotonic()
    assert fetch().json() == jwks(k2)
    assert time.monotonic() - t >= 0.9
    srv.drip = 0
    # down: refused; up: the same port again
    port = srv.port
    srv.down()
    assert not srv.is_up
    with pytest.raises(Exception):
        fetch()
    srv.up()
    assert srv.port == port
    assert fetch().json() == jwks(k2)
    # a client waiting on a delay is let go by down()
    srv.delay = 30
    t = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(fetch)
        srv.wait_for_hits(srv.hits + 1, 5)
        srv.down()
        with pytest.raises(Exception):
            waiting.result(10)
    assert time.monotonic() - t < 10
    # counters
    assert srv.hits == 8 and srv.hits_since(t) == 1
    srv.reset()
    assert srv.hits == 0 and srv.tls_failures == 0


def test_jwk_helpers_agree_with_jwcrypto_and_pyjwt():
    from jwcrypto import jwk as jc_jwk
    from jwcrypto import jws as jc_jws
    for k in (Key.rsa("r", alg="PS256"), Key.ec("e", crv="P-384"),
              Key.ec("e5", crv="P-521"), Key.ed25519("d")):
        pub = jc_jwk.JWK(**k.jwk)
        for alg in (["PS256", "RS512"] if k.kid == "r" else [None]):
            alg = alg or k.default_alg()
            for token in (k.token(alg=alg), k.raw_token(alg)):
                assert jwt.get_unverified_header(token)["kid"] == k.kid
                s = jc_jws.JWS()
                s.deserialize(token)
                s.verify(pub, alg)
                assert jwt.decode(token, k.public, algorithms=[alg],
                                  audience="fastapi-users:auth")["sub"] \
                    == "alice"
    assert "kid" not in jwt.get_unverified_header(Key.rsa("x").token(
        kid=None))


# ---- jwks=file: ------------------------------------------------------------------


KEYS = {}                       # name -> Key, made once for the module


def key(name, make):
    if name not in KEYS:
        KEYS[name] = make()
    return KEYS[name]


def file_keys():
    k = {
        # the mixed set: an RSA key pinned to RS256, an EC P-256 key
        # pinned by its curve, an Ed25519 key pinned to EdDSA, an oct key
        # (HS keys need algorithm=HS*: here it is skipped)
        "m-rsa": key("m-rsa", lambda: Key.rsa("m-rsa", alg="RS256")),
        "m-ec": key("m-ec", lambda: Key.ec("m-ec")),
        "m-ed": key("m-ed", lambda: Key.ed25519("m-ed", alg="EdDSA")),
        # pinning
        "rs-pinned": key("rs-pinned", lambda: Key.rsa("rs-pinned",
                                                       alg="RS256")),
        "rsa-any": key("rsa-any", lambda: Key.rsa("rsa-any")),
        "ec384": key("ec384", lambda: Key.ec("ec384", crv="P-384")),
        "ed": key("ed", lambda: Key.ed25519("ed")),
        # no kid
        "n1-rsa": key("n1-rsa", lambda: Key.rsa("n1-rsa")),
        "n1-ec": key("n1-ec", lambda: Key.ec("n1-ec")),
    }
    for i in range(4):
        n = "n4-%d" % i
        k[n] = key(n, lambda n=n: Key.rsa(n))
    for i in range(3):
        n = "n3-%d" % i
        k[n] = key(n, lambda n=n: Key.rsa(n))
    k.update(skipped_keys())
    return k


HS_SECRETS = {"h1": b"1" * 32 + b"-first-hmac-key",
              "h2": b"2" * 32 + b"-second-hmac-key"}


def skipped_keys():
    """The good key and keys the module must skip, each with a reason."""
    return {
        "k-good": key("k-good", lambda: Key.rsa("k-good", alg="RS256")),
        "k-dup-a": key("k-dup-a", lambda: Key.rsa("k-dup", alg="RS256")),
        "k-dup-b": key("k-dup-b", lambda: Key.rsa("k-dup", alg="RS256")),
        "k-enc": key("k-enc", lambda: Key.rsa("k-enc", alg="RS256",
                                              use="enc")),
        "k-small": key("k-small", lambda: Key.rsa("k-small", alg="RS256",
                                                  bits=1024)),
        "k-ec-as-rs": key("k-ec-as-rs", lambda: Key.ec("k-ec-as-rs",
                                                       alg="RS256")),
        "k-p384-es256": key("k-p384-es256", lambda: Key.ec(
            "k-p384-es256", alg="ES256", crv="P-384")),
        "k-rsa-as-es": key("k-rsa-as-es", lambda: Key.rsa("k-rsa-as-es",
                                                          alg="ES256")),
    }


# the skipped keys whose tokens (skipped_token) must be refused; k-dup-a,
# the first key of the duplicate kid, may be kept or skipped: not tested
SKIPPED = ["k-dup-b", "k-enc", "k-small", "k-ec-as-rs", "k-p384-es256",
           "k-rsa-as-es"]


def skipped_set():
    k = skipped_keys()
    odd = [
        # an oct key without algorithm=HS*, an unknown kty, an EC key
        # without y, a JWK that is not an object
        oct_jwk(b"o" * 40, kid="k-oct", alg="HS256"),
        {"kty": "FOO", "kid": "k-kty-foo", "x": "AAAA"},
        {k2: v for k2, v in Key.ec("k-no-y").jwk.items() if k2 != "y"},
        "not a key",
    ]
    return jwks(k["k-good"], k["k-dup-a"], k["k-dup-b"], k["k-enc"],
                k["k-small"], k["k-ec-as-rs"], k["k-p384-es256"],
                k["k-rsa-as-es"], *odd)


SKIPPED_KIDS = ["k-dup", "k-enc", "k-small", "k-ec-as-rs", "k-p384-es256",
                "k-rsa-as-es", "k-oct", "k-kty-foo", "k-no-y"]


def assert_skip_lines(log, backend):
    """Each skipped key is logged at warn, when the set is loaded (not per
    request), by a line naming the backend and the kid, with a reason
    after it."""
    for kid in SKIPPED_KIDS:
        word = re.compile(r"(?<![\w-])%s(?![\w-]).*\w" % re.escape(kid))
        lines = [ln for ln in log.splitlines()
                 if ":warn]" in ln and "[client " not in ln
                 and backend in ln and word.search(log_message(ln))]
        assert lines, "no warn line about the skipped kid %s of %s:\n%s" % (
            kid, backend, log)


def skipped_token(name):
    k = skipped_keys()[name]
    if name == "k-ec-as-rs":
        return k.token(alg="ES256")          # what the key really is
    if name == "k-p384-es256":
        return k.raw_token("ES256")          # the JWK's alg, wrong curve
    if name == "k-rsa-as-es":
        return k.token(alg="RS256")
    return k.token()


@pytest.fixture(scope="module")
def file_server(httpd_factory):
    k = file_keys()
    sets = {
        "mixed": jwks(k["m-rsa"], k["m-ec"], k["m-ed"],
                      oct_jwk(b"m" * 40, kid="m-oct", alg="HS256")),
        "pinned": jwks(k["rs-pinned"], k["rsa-any"], k["ec384"], k["ed"]),
        "nokid1": jwks(k["n1-rsa"], k["n1-ec"]),
        "nokid3": jwks(*[k["n3-%d" % i] for i in range(3)]),
        "nokid4": jwks(*[k["n4-%d" % i] for i in range(4)]),
        "skips": skipped_set(),
        "hs": jwks(*[oct_jwk(s, kid=kid) for kid, s in HS_SECRETS.items()]),
    }
    backends = {
        "mixed": "",
        "pinned": "",
        "pinned-rs": "algorithm=RS256",
        "nokid1": "",
        "nokid3": "",
        "nokid4": "",
        "skips": "",
        "hs": "algorithm=HS256",
    }
    text = ""
    for name, extra in backends.items():
        src = "pinned" if name == "pinned-rs" else name
        text += conf.backend("file-" + name, "jwt jwks=file:@ROOT@/sets/%s."
                             "json %s" % (src, extra))
        text += conf.location("/file-" + name, "file-" + name, name=name)
    text += conf.login_location("/login/file-mixed", "file-mixed")
    text += ALIASES
    h = httpd_factory(text, start=False)
    for name, doc in sets.items():
        h.write("sets/%s.json" % name, json.dumps(doc, indent=1))
    h.write("users", conf.htpasswd("-s", "alice", "secret") + "\n")
    return h.start()


def fget(h, backend, token):
    return get(h, "/file-%s/data.json" % backend, token)


def test_file_key_set_accepts_each_key_by_kid(file_server):
    k = file_keys()
    for name in ("m-rsa", "m-ec", "m-ed"):
        r = fget(file_server, "mixed", k[name].token())
        assert r.status_code == 200, (name, r.status_code, r.text)
        assert r.json() == {"ok": True}


def test_file_key_set_refuses_other_keys(file_server):
    k = file_keys()
    stranger = Key.rsa("m-rsa", alg="RS256")
    cases = {
        # a key not in the set, under a kid of the set
        "stranger-with-a-known-kid": stranger.token(),
        # a key not in the set, under a kid nobody knows
        "stranger-unknown-kid": stranger.token(kid="nobody"),
        # the kid selects the key: another key of the set is not tried
        "kid-of-another-key": k["m-rsa"].token(kid="m-ec"),
        "kid-of-another-rsa-key": k["m-rsa"].token(kid="m-ed"),
        # an oct key in a set of a backend without algorithm=HS*
        "oct-key-without-algorithm-hs": hs_sign(
            {"alg": "HS256", "typ": "JWT", "kid": "m-oct"},
            {"sub": "alice", "aud": ["fastapi-users:auth"],
             "exp": int(time.time()) + 600}, b"m" * 40),
        "alg-none": raw_token({"alg": "none", "kid": "m-rsa"},
                              {"sub": "alice",
                               "aud": ["fastapi-users:auth"],
                               "exp": int(time.time()) + 600}),
        "expired": k["m-ec"].token(lifetime=-10),
    }
    for case, token in cases.items():
        r = fget(file_server, "mixed", token)
        assert r.status_code == 401, (case, r.status_code, r.text)
        assert r.json() == UNAUTHORIZED, case


def test_file_key_set_backend_cannot_issue_tokens(file_server):
    r = session().post(file_server.url("/login/file-mixed"),
                       data={"username": "alice", "password": "secret"},
                       timeout=15)
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}


def test_hs_keys_with_an_explicit_algorithm(file_server):
    def hs(kid, secret, alg="HS256"):
        return jwt.encode({"sub": "alice", "aud": ["fastapi-users:auth"],
                           "exp": int(time.time()) + 600}, secret,
                          algorithm=alg, headers={"kid": kid})

    assert fget(file_server, "hs", hs("h2", HS_SECRETS["h2"])).status_code \
        == 200
    assert fget(file_server, "hs", hs("h1", HS_SECRETS["h1"])).status_code \
        == 200
    assert fget(file_server, "hs", hs("h1", HS_SECRETS["h2"])).status_code \
        == 401
    assert fget(file_server, "hs", hs("h1", HS_SECRETS["h1"],
                                      "HS384")).status_code == 401


# backend, kid, how the token is signed (an alg for PyJWT, or raw:ALG for
# a hand-made signature), expected status
PINNING = [
    ("pinned", "rs-pinned", "RS256", 200),
    ("pinned", "rs-pinned", "PS256", 401),      # JWK alg RS256, same key
    ("pinned", "rs-pinned", "RS512", 401),
    ("pinned", "rsa-any", "RS256", 200),        # no alg: RS* and PS*
    ("pinned", "rsa-any", "RS512", 200),
    ("pinned", "rsa-any", "PS256", 200),
    ("pinned", "rsa-any", "PS384", 200),
    ("pinned", "rsa-any", "hs-with-public-key", 401),
    ("pinned", "ec384", "ES384", 200),          # P-384: ES384 only
    ("pinned", "ec384", "raw:ES256", 401),
    ("pinned", "ec384", "raw:ES512", 401),
    ("pinned", "ed", "EdDSA", 200),
    # algorithm=RS256 on the same set: only RS256
    ("pinned-rs", "rs-pinned", "RS256", 200),
    ("pinned-rs", "rsa-any", "RS256", 200),
    ("pinned-rs", "rsa-any", "PS256", 401),
    ("pinned-rs", "rsa-any", "RS384", 401),
    ("pinned-rs", "ec384", "ES384", 401),
    ("pinned-rs", "ed", "EdDSA", 401),
]


@pytest.mark.parametrize("backend, kid, how, expected", PINNING,
                         ids=["%s-%s-%s" % c[:3] for c in PINNING])
def test_algorithms_are_pinned_per_key(file_server, backend, kid, how,
                                       expected):
    k = file_keys()[kid]
    if how.startswith("raw:"):
        token = k.raw_token(how[4:])
    elif how == "hs-with-public-key":
        # the classic confusion: HMAC keyed with the public key's PEM
        from cryptography.hazmat.primitives import serialization
        pem = k.public.public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo)
        token = hs_sign({"alg": "HS256", "typ": "JWT", "kid": kid},
                        {"sub": "alice", "aud": ["fastapi-users:auth"],
                         "exp": int(time.time()) + 600}, pem)
    else:
        token = k.token(alg=how)
    r = fget(file_server, backend, token)
    assert r.status_code == expected, r.text


def test_token_without_kid_one_candidate(file_server):
    k = file_keys()
    # RS256 has one candidate (n1-rsa), ES256 one (n1-ec)
    assert fget(file_server, "nokid1",
                k["n1-rsa"].token(kid=None)).status_code == 200
    assert fget(file_server, "nokid1",
                k["n1-ec"].token(kid=None)).status_code == 200
    assert fget(file_server, "nokid1",
                Key.rsa().token(kid=None)).status_code == 401
    # no key of the set allows EdDSA
    assert fget(file_server, "nokid1",
                Key.ed25519().token(kid=None)).status_code == 401


def test_token_without_kid_three_candidates(file_server):
    k = file_keys()
    for i in range(3):          # the last one tried must be tried too
        r = fget(file_server, "nokid3", k["n3-%d" % i].token(kid=None))
        assert r.status_code == 200, (i, r.text)


def test_token_without_kid_four_candidates_refused(file_server):
    k = file_keys()
    for i in (0, 3):
        r = fget(file_server, "nokid4", k["n4-%d" % i].token(kid=None))
        assert r.status_code == 401, (i, r.text)
        assert r.json() == UNAUTHORIZED
    # with its kid, the same key is fine
    assert fget(file_server, "nokid4",
                k["n4-3"].token()).status_code == 200


def test_skipped_keys_in_a_file(file_server):
    assert fget(file_server, "skips",
                skipped_keys()["k-good"].token()).status_code == 200
    for name in SKIPPED:
        r = fget(file_server, "skips", skipped_token(name))
        assert r.status_code == 401, (name, r.status_code, r.text)
    assert_skip_lines(startup_log(file_server), "file-skips")


# ---- jwks=https: -------------------------------------------------------------


# RFC 7517 section 8.5 registers application/jwk-set+json
@pytest.mark.parametrize("content_type", ["application/json",
                                          "application/jwk-set+json"])
def test_https_key_set_accepted_after_the_first_fetch(env, content_type):
    k1 = Key.rsa("k1", alg="RS256")
    k2 = Key.ec("k2")
    e = env(k1, k2, content_type=content_type)
    wait_accepted(e, k1, what="the first fetch")
    assert e.status(k2.token()) == 200
    assert e.srv.hits >= 1
    assert set(e.srv.requests) == {("GET", "/jwks.json")}
    assert_refused(e.get(Key.rsa("k1", alg="RS256").token()))
    # jwks-refresh=2 is below 60: a startup warning
    assert any("jwks-refresh" in ln and "warn" in ln.lower()
               for ln in startup_log(e.h).splitlines()), startup_log(e.h)


def test_https_without_jwks_ca_is_503(env):
    k1 = Key.rsa("k1")
    e = env(k1, trust=False)
    # the system store does not trust the test CA: the module did try ...
    wait_until(lambda: e.srv.tls_failures >= 1, 10, 0.1,
               "the module to try a TLS handshake with the JWKS server")
    # ... and never got the document; its tokens are 503, not 401
    assert_unavailable(e.get(k1.token()))
    assert_unavailable(e.get(Key.rsa("other").token()))
    assert e.srv.hits == 0


def test_server_down_at_startup_is_503_then_200_when_it_comes_up(env):
    k1 = Key.ed25519("k1")
    e = env(k1, server_down=True)       # httpd starts all the same
    for _ in range(3):
        assert_unavailable(e.get(k1.token()))
    mark = e.h.log_mark()
    assert restarts(e.h) == 1
    e.srv.up()
    wait_accepted(e, k1, what="the key set fetched once the server is up")
    assert e.srv.hits >= 1
    assert restarts(e.h) == 1, e.h.log_since(mark)


# a first fetch that fails: how, and what fixes it
FIRST_FAILURES = {
    "http-500": (dict(status=500), lambda srv, k: setattr(srv, "status",
                                                          200)),
    "malformed-json": (dict(document=b'{"keys": [{"kty": "RSA", '),
                       lambda srv, k: srv.set_keys(k)),
    "no-usable-key": (dict(document=jwks(Key.rsa("k1", use="enc"))),
                      lambda srv, k: srv.set_keys(k)),
}


@pytest.mark.parametrize("failure", list(FIRST_FAILURES))
def test_first_fetch_failing_is_503_and_retried_every_min_refresh(
        env, failure):
    how, fix = FIRST_FAILURES[failure]
    k1 = Key.ec("k1")
    kw = dict(how)
    if "document" not in kw:
        kw["document"] = jwks(k1)
    # jwks-refresh=3600: only the retry interval (jwks-min-refresh=1)
    # brings the next fetches
    e = env(refresh=3600, min_refresh=1, **kw)
    e.srv.wait_for_hits(1, 10, "the first fetch")
    assert_unavailable(e.get(k1.token()))
    e.srv.wait_for_hits(3, 10, "retries of the failed fetch, one per "
                        "jwks-min-refresh=1 (not jwks-refresh=3600)")
    assert_unavailable(e.get(k1.token()))
    # ... and not more often than that
    t = time.monotonic()
    time.sleep(3)       # lets 3 s pass: at most 4 fetches
    assert e.srv.hits_since(t) <= 4, e.srv.hits_since(t)
    fix(e.srv, k1)
    wait_accepted(e, k1, what="the key set once a fetch succeeds")


def test_one_fetcher_for_all_children(env):
    k1, k2 = Key.rsa("k1"), Key.rsa("k2")
    e = env(k1, refresh=3600, min_refresh=3,
            more_conf="ServerLimit 2\nStartServers 2\nMinSpareThreads 32\n"
                      "MaxRequestWorkers 32\n")
    wait_accepted(e, k1, what="the first fetch")
    t0 = e.srv.last_hit()
    time.sleep(2)       # lets 2 s pass: a fetch per child would show here
    assert e.srv.hits == 1, "%d fetches with two children" % e.srv.hits
    # both children answer (the refusals of unknown kids name their pids)
    mark = e.h.log_mark()
    pids = set()

    def both_children():
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: e.status(k2.token()), range(16)))
        pids.update(re.findall(r"\[pid (\d+):tid \d+\] \[client ",
                               e.h.log_since(mark)))
        return len(pids) >= 2

    try:
        wait_until(both_children, 10, 0.1, "both children to answer")
    except AssertionError:
        pytest.skip("one child served every request; cannot tell")
    e.srv.set_keys(k1, k2)
    wait_accepted(e, k2, timeout=max(10, t0 + 3 + 5 - time.monotonic()),
                  what="k2 after rotation")
    # every child has the new set
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: e.status(k2.token()), range(40)))
    assert statuses == [200] * 40, statuses


def test_rotation_new_kid_accepted_without_restart(env):
    k1, k2 = Key.rsa("k1"), Key.rsa("k2")
    # jwks-refresh=3600: only the early refresh an unknown kid triggers can
    # bring k2 in
    e = env(k1, refresh=3600, min_refresh=1)
    wait_accepted(e, k1, what="the first fetch")
    assert_refused(e.get(k2.token()))
    e.srv.set_keys(k1, k2)
    wait_accepted(e, k2, what="the new kid after rotation (early refresh)")
    assert e.status(k1.token()) == 200
    assert e.h.proc.poll() is None and restarts(e.h) == 1


def test_rotation_removed_kid_refused_after_refresh(env):
    k1, k2 = Key.rsa("k1"), Key.ec("k2")
    e = env(k1, k2, refresh=2, min_refresh=1)
    wait_accepted(e, k1, what="the first fetch")
    assert e.status(k2.token()) == 200
    e.srv.set_keys(k2)
    wait_status(lambda: e.get(k1.token()), 401, 10,
                "kid k1, removed from the set, refused after a refresh")
    assert e.status(k2.token()) == 200
    assert e.h.proc.poll() is None and restarts(e.h) == 1


def test_cache_control_max_age_shorter_than_refresh_wins(env):
    k1, k2 = Key.rsa("k1"), Key.rsa("k2")
    e = env(k1, k2, refresh=3600, min_refresh=1, cache_control="max-age=2")
    wait_accepted(e, k1, what="the first fetch")
    n = e.srv.hits
    e.srv.set_keys(k2)
    # no unknown kid is sent: only max-age=2 can make it fetch again
    e.srv.wait_for_hits(n + 2, 12, "two refetches driven by max-age=2 "
                        "(jwks-refresh=3600)")
    wait_status(lambda: e.get(k1.token()), 401, 10,
                "k1 refused after the max-age refresh")


def test_cache_control_max_age_longer_than_refresh_is_ignored(env):
    k1 = Key.rsa("k1")
    e = env(k1, refresh=2, min_refresh=1, cache_control="max-age=3600")
    wait_accepted(e, k1, what="the first fetch")
    n = e.srv.hits
    e.srv.wait_for_hits(n + 2, 10, "two refetches by jwks-refresh=2 "
                        "(max-age=3600 is longer: ignored)")


def test_cache_control_max_age_never_below_min_refresh(env):
    k1 = Key.rsa("k1")
    e = env(k1, refresh=3600, min_refresh=2, cache_control="max-age=0")
    wait_accepted(e, k1, what="the first fetch")
    t = time.monotonic()
    time.sleep(5)       # lets 5 s pass: 2 or 3 refetches at most
    n = e.srv.hits_since(t)
    assert 1 <= n <= 3, "%d fetches in 5 s with jwks-min-refresh=2" % n


def test_unknown_kids_trigger_at_most_one_early_fetch_per_interval(env):
    k1 = Key.rsa("k1")
    m = 3
    e = env(k1, refresh=3600, min_refresh=m)
    wait_accepted(e, k1, what="the first fetch")
    # lets jwks-min-refresh pass since the last fetch, so that an early
    # fetch is due at once
    time.sleep(max(0.0, e.srv.last_hit() + m + 0.3 - time.monotonic()))
    t = time.monotonic()
    stranger = Key.rsa()
    flood = [stranger.token(kid="unknown-%d" % i) for i in range(50)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda tok: e.status(tok), flood))
    assert statuses == [401] * 50
    wait_until(lambda: e.srv.hits_since(t) >= 1, 5, 0.05,
               "an early fetch triggered by the unknown kids")
    # lets one more interval pass: still at most two fetches since the
    # flood began (one per jwks-min-refresh)
    time.sleep(max(0.0, t + m - time.monotonic()))
    n = e.srv.hits_since(t)
    elapsed = time.monotonic() - t
    assert n <= 2, "%d fetches in %.1fs with jwks-min-refresh=%d" % (
        n, elapsed, m)


# failure name -> (how to inject it, the reasons one of which the warn line
# gives); where the failing answer holds a valid document with k2, k2 must
# stay refused (the answer was not used)
def _down(srv, k1, k2):
    srv.down()


def _status_500(srv, k1, k2):
    srv.set_keys(k1, k2)
    srv.status = 500


def _malformed(srv, k1, k2):
    srv.set_document(json.dumps(jwks(k1, k2))[:-7])


def _oversized(srv, k1, k2):
    doc = jwks(k1, k2)
    doc["padding"] = "x" * (2 << 20)            # 2 MB, valid JSON
    srv.set_document(doc)


def _slow(srv, k1, k2):
    srv.set_keys(k1, k2)
    srv.delay = 4                               # jwks-timeout=2


def _slow_body(srv, k1, k2):
    srv.set_keys(k1, k2)
    srv.drip = 4            # jwks-timeout=2 bounds the whole fetch


def _no_usable_key(srv, k1, k2):
    srv.set_keys(Key.rsa("k2", alg="RS256", use="enc"),
                 Key.rsa("k2b", bits=1024))


FAILURES = {
    "down": (_down, ["connect", "refused"]),
    "http-500": (_status_500, [re.compile(r"\b500\b")]),
    "malformed-json": (_malformed, ["json", "parse", "malformed"]),
    "oversized": (_oversized, ["too large", "too big", "1 mb", "1048576",
                               "exceeds", "larger", "size", "limit"]),
    "slow": (_slow, ["timed out", "timeout", "time-out", "too slow"]),
    "slow-body": (_slow_body, ["timed out", "timeout", "time-out",
                               "too slow"]),
    "no-usable-key": (_no_usable_key, ["no usable key"]),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_last_good_key_set_kept_when_a_fetch_fails(env, failure):
    inject, reasons = FAILURES[failure]
    k1 = Key.rsa("k1", alg="RS256")
    k2 = Key.rsa("k2", alg="RS256")
    e = env(k1, refresh=2, min_refresh=1, timeout=2)
    wait_accepted(e, k1, what="the first fetch")
    mark = e.h.log_mark()
    t = time.monotonic()
    inject(e.srv, k1, k2)
    line = wait_warn(e.h, mark, e.srv, reasons, timeout=15)
    assert e.status(k1.token()) == 200, line
    assert_refused(e.get(k2.token()))
    if failure != "down":
        # it keeps trying, and keeps the set through the next failure too
        n = e.srv.hits
        e.srv.wait_for_hits(n + 1, 10, "another (failing) fetch")
        if failure in ("slow", "slow-body"):
            # lets the slow answer's delay run out: had the fetch waited
            # for it, k2 would be in the set now
            time.sleep(max(0.0, t + 4 + 1.5 - time.monotonic()))
        assert e.status(k1.token()) == 200
        assert_refused(e.get(k2.token()))
    assert e.h.proc.poll() is None


def test_skipped_keys_in_a_fetched_set(env):
    k = skipped_keys()
    e = env(document=skipped_set())
    wait_accepted(e, k["k-good"], what="the good key of a set with bad ones")
    for name in SKIPPED:
        r = e.get(skipped_token(name))
        assert r.status_code == 401, (name, r.status_code, r.text)
    assert_skip_lines(e.h.error_log(), BACKEND)


def test_verified_token_cache_dies_with_its_key(env):
    k1, k2 = Key.rsa("k1"), Key.rsa("k2")
    e = env(k1, k2, refresh=2, min_refresh=1, extra="cache=1024")
    wait_accepted(e, k1, what="the first fetch")
    cached = k1.token()
    for _ in range(3):
        assert e.status(cached) == 200
    e.srv.set_keys(k2)
    # a fresh token of k1 refused: the new set is in use ...
    wait_status(lambda: e.get(k1.token()), 401, 10,
                "k1 removed from the set")
    # ... and the cached one must not be served from the cache
    assert_refused(e.get(cached))
    assert e.status(k2.token()) == 200


def test_verified_token_cache_when_a_kid_gets_another_key(env):
    old, new = Key.rsa("k1"), Key.rsa("k1")     # the same kid
    e = env(old, refresh=2, min_refresh=1, extra="cache=1024")
    wait_accepted(e, old, what="the first fetch")
    cached = old.token()
    for _ in range(3):
        assert e.status(cached) == 200
    e.srv.set_keys(new)
    wait_accepted(e, new, what="kid k1 with its new key")
    # the entry died with the old key, though its kid is still in the set
    assert_refused(e.get(cached))
    assert_refused(e.get(old.token()))


def test_a_document_under_1_mb_is_used(env):
    k1, k2 = Key.rsa("k1"), Key.ec("k2")
    e = env(k1)
    wait_accepted(e, k1, what="the first fetch")
    doc = jwks(k1, k2)
    doc["padding"] = "x" * 900000               # about 0.9 MB in all
    e.srv.set_document(doc)
    assert 850000 < len(e.srv.document) < 1000000
    wait_accepted(e, k2, what="k2 from a document of 0.9 MB")


def test_key_sets_in_virtual_hosts(ca, servers, httpds):
    a1, b1, b2 = Key.rsa("a1"), Key.ec("b1"), Key.ed25519("b2")
    sa, sb = servers(a1), servers(b1)
    text = (conf.backend(BACKEND, https_strategy(sa, ca))
            + conf.vhost("    ServerName main.test\n"
                         "    DocumentRoot @ROOT@/htdocs\n"
                         + conf.location("/ks", BACKEND, name="ks"),
                         address="*:@PORT@")
            + conf.vhost("    ServerName other.test\n"
                         "    DocumentRoot @ROOT@/htdocs\n"
                         + conf.backend(BACKEND, https_strategy(sb, ca))
                         + conf.location("/ks", BACKEND, name="ks"),
                         address="*:@PORT@")
            + ALIASES)
    h = httpds(text)

    def at(host):
        return lambda k: (lambda: get(h, "/ks/data.json", k.token(),
                                      host=host))

    wait_status(at("main.test")(a1), 200, 10, "a1 at main.test")
    wait_status(at("other.test")(b1), 200, 10, "b1 at other.test")
    assert at("other.test")(a1)().status_code == 401
    assert at("main.test")(b1)().status_code == 401
    # the virtual host's set rotates on its own
    sb.set_keys(b1, b2)
    wait_status(at("other.test")(b2), 200, 10, "b2 at other.test after "
                "its rotation")
    assert at("main.test")(b2)().status_code == 401
    assert sa.hits >= 1 and sb.hits >= 2


# ---- apache2 -t --------------------------------------------------------------


def assert_config_error(h, line, *reasons):
    """-t fails, naming h's config file and LINE with all REASONS: either
    as a syntax error (AH00526 "Syntax error on line N of FILE:" and the
    message on the next line) or as a check_config line "FILE:N: ..."."""
    r = h.check()
    out = output(r)
    assert r.returncode != 0, out
    assert "Syntax OK" not in out
    m = re.search(r"Syntax error on line (\d+) of (.*):\n(.*)", out)
    if m:
        assert (int(m.group(1)), m.group(2)) == (line, h.conf_path), out
        msg = m.group(3)
    else:
        where = "%s:%d: " % (h.conf_path, line)
        logged = [ln.split(where, 1)[1] for ln in out.splitlines()
                  if where in ln]
        assert logged, "neither a syntax error nor %r in:\n%s" % (where, out)
        msg = "\n".join(logged)
    for reason in reasons:
        assert reason in msg, "%r not in %r\n%s" % (reason, msg, out)
    return out


def no_usable_key_set():
    return json.dumps(jwks(Key.rsa("e", alg="RS256", use="enc"),
                           Key.rsa("s", bits=1024)))


GOOD_FILE = "jwks=file:@ROOT@/good.json"
GOOD_URL = "jwks=https://127.0.0.1:1/jwks.json"

# id, strategy options, extra files, reasons
CONFIG_ERRORS = [
    ("http-url", "jwks=http://127.0.0.1:1/jwks.json", None,
     ["jwks", "https://", "'http://127.0.0.1:1/jwks.json'"]),
    ("bare-url", "jwks=127.0.0.1/jwks.json", None,
     ["jwks", "https://", "'127.0.0.1/jwks.json'"]),
    ("jwks-and-secret", GOOD_FILE + " secret=file:@ROOT@/secret", None,
     ["jwks", "secret"]),
    ("jwks-and-public-key", GOOD_FILE + " public-key=file:@KEYS@/rsa.pub",
     None, ["jwks", "public-key"]),
    ("jwks-and-private-key", GOOD_FILE + " private-key=file:@KEYS@/rsa.key",
     None, ["jwks", "private-key"]),
    ("refresh-zero", GOOD_URL + " jwks-refresh=0", None,
     ["jwks-refresh must be a whole number from 1 to", "not '0'"]),
    ("refresh-abc", GOOD_URL + " jwks-refresh=1h", None,
     ["jwks-refresh must be a whole number from 1 to", "not '1h'"]),
    ("min-refresh-zero", GOOD_URL + " jwks-min-refresh=0", None,
     ["jwks-min-refresh must be a whole number from 1 to", "not '0'"]),
    ("timeout-61", GOOD_URL + " jwks-timeout=61", None,
     ["jwks-timeout must be a whole number from 1 to 60", "not '61'"]),
    ("timeout-zero", GOOD_URL + " jwks-timeout=0", None,
     ["jwks-timeout must be a whole number from 1 to 60", "not '0'"]),
    ("file-missing", "jwks=file:@ROOT@/no-such.json", None,
     ["jwks", "/no-such.json"]),
    ("file-is-a-directory", "jwks=file:@ROOT@/htdocs", None,
     ["jwks", "/htdocs"]),
    ("file-not-json", "jwks=file:@ROOT@/garbage.json",
     {"garbage.json": "not json at all\n"}, ["jwks", "/garbage.json"]),
    ("file-no-usable-key", "jwks=file:@ROOT@/unusable.json",
     {"unusable.json": None}, ["/unusable.json", "no usable key"]),
    ("file-empty-set", "jwks=file:@ROOT@/empty.json",
     {"empty.json": '{"keys": []}\n'}, ["/empty.json", "no usable key"]),
    ("ca-missing", "jwks=https://127.0.0.1:1/jwks.json "
     "jwks-ca=file:@ROOT@/no-ca.pem", None, ["jwks-ca", "/no-ca.pem"]),
]


@pytest.mark.parametrize("options, files, reasons",
                         [c[1:] for c in CONFIG_ERRORS],
                         ids=[c[0] for c in CONFIG_ERRORS])
def test_config_errors(make, options, files, reasons):
    files = {name: (no_usable_key_set() if text is None else text)
             for name, text in (files or {}).items()}
    files["good.json"] = json.dumps(jwks(Key.ec("g")))
    h = make(conf.backend("api", "jwt " + options)
             + conf.location("/p", "api", name="p"), files=files)
    assert_config_error(h, line_of(h, "AuthBackendStrategy"), *reasons)


def test_config_ok(make, ca):
    h = make(conf.backend("f", "jwt " + GOOD_FILE + " algorithm=ES256")
             + conf.backend("u", "jwt jwks=https://127.0.0.1:1/jwks.json "
                            "jwks-ca=file:%s jwks-refresh=3600 "
                            "jwks-min-refresh=60 jwks-timeout=60" % ca.ca_cert)
             + conf.backend("d", "jwt jwks=https://localhost:1/a/b.json")
             + conf.location("/p", "f u d", name="p"),
             files={"good.json": json.dumps(jwks(Key.ec("g")))})
    # -t reads the file: set but fetches nothing (nothing listens on :1)
    assert_ok(h)


# ---- restarts ----------------------------------------------------------------------

def restart(h, how):
    """`apache2 -k graceful` or `-k restart`; waits until the parent has
    resumed once more."""
    n = restarts(h)
    subprocess.run([APACHE2, "-d", h.root, "-f", h.conf_path, "-k", how],
                   check=True, capture_output=True, timeout=30,
                   env=httpd_env())
    wait_until(lambda: restarts(h) > n or h.proc.poll() is not None, 30,
               0.1, "httpd to resume after -k %s" % how)
    assert h.proc.poll() is None, "httpd exited on -k %s" % how


@pytest.mark.parametrize("how", ["graceful", "restart"])
def test_restart_keeps_the_key_set_while_the_provider_is_down(env, how):
    """A restart must not leave a fetched key set's tokens at 503 until the
    next successful fetch: the new generation starts with the last good
    set of the old one (and its fetcher still tries at once)."""
    k1 = Key.rsa("k1")
    e = env(k1, refresh=3600, min_refresh=1)
    wait_accepted(e, k1, what="the first fetch")
    e.srv.down()
    hits = e.srv.hits
    mark = e.h.log_mark()
    restart(e.h, how)
    # the very first requests after the restart, before any fetch could
    # have succeeded (the provider is down)
    assert [e.status(k1.token()) for _ in range(5)] == [200] * 5
    assert_refused(e.get(Key.rsa("k1").token()))     # same kid, other key
    log = e.h.log_since(mark)
    assert "the key set of before the restart stays in use" in log, log
    wait_until(lambda: "the last good key set stays in use"
               in e.h.log_since(mark), 15, 0.2,
               "the new generation's fetch to fail and say so")
    assert e.srv.hits == hits                        # down: nothing served
    assert e.status(k1.token()) == 200
    e.srv.up()
    assert e.status(k1.token()) == 200


def test_restart_with_another_key_set_url_starts_empty(env, servers, ca):
    """What is carried over belongs to the backend's name and source: a
    configuration that now names another server starts without keys."""
    k1 = Key.rsa("k1")
    e = env(k1, refresh=3600, min_refresh=1)
    wait_accepted(e, k1, what="the first fetch")
    other = servers(k1)
    other.down()
    text = open(e.h.conf_path).read().replace(e.srv.url, other.url)
    with open(e.h.conf_path, "w") as f:
        f.write(text)
    restart(e.h, "graceful")
    assert_unavailable(e.get(k1.token()))
