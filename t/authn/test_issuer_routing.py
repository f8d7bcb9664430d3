"""Issuer routing (src/authn/route.c): a location whose backends take the
tokens of distinct issuers (`issuer=` on each) hands a token only to the
backends of the issuer it names; the others are not asked at all.  Fifty
HS256 issuers, each with its own secret, behind one location."""

import pytest

import conf
from harness import session
from tokens import claims, hs_sign

N = 50


def secret(k):
    return "secret-of-issuer-%02d-0123456789abcdef" % k


def issuer(k):
    return "https://idp%02d.example" % k


def token(k, key=None, **extra):
    c = claims(iss=issuer(k), **extra) if k is not None else claims(**extra)
    return hs_sign({"alg": "HS256", "typ": "JWT"}, c,
                   secret(k if key is None else key))


@pytest.fixture(scope="module")
def server(httpd_factory):
    text = ""
    for k in range(N):
        text += conf.backend("idp%02d" % k, "jwt secret=file:@ROOT@/s%02d "
                             "issuer=%s" % (k, issuer(k)))
    # a backend without issuer: never routed, always asked
    text += conf.backend("plain", "jwt secret=file:@ROOT@/plain")
    names = ["idp%02d" % k for k in range(N)]
    text += conf.location("/fed", names, name="fed")
    text += conf.location("/mix", ["idp00", "idp01", "plain"], name="mix")
    text += conf.location("/one", ["idp07"], name="one")
    text += ('AliasMatch "^/(fed|mix|one)/(.*)$" "@ROOT@/htdocs/$2"\n'
             'Header always set X-Auth-Backend "%{AUTH_BACKEND}e"\n')
    h = httpd_factory(text, start=False)
    for k in range(N):
        h.write("s%02d" % k, secret(k), mode=0o600)
    h.write("plain", secret(99), mode=0o600)
    return h.start()


def get(server, path, tok):
    return session().get(server.url(path + "/data.json"),
                         headers={"Authorization": "Bearer " + tok})


def refusals(log):
    return [l for l in log.splitlines() if "event=token_refused" in l]


@pytest.mark.parametrize("k", [0, 1, 17, 48, 49])
def test_a_token_goes_to_its_issuers_backend(server, k):
    r = get(server, "/fed", token(k))
    assert r.status_code == 200, r.text
    assert r.headers["X-Auth-Backend"] == "idp%02d" % k


def test_only_the_issuers_backend_is_asked(server):
    # iss names idp07, the signature is idp03's: idp07 refuses it, and no
    # other backend is asked (one refusal, not fifty)
    mark = server.log_mark()
    assert get(server, "/fed", token(7, key=3)).status_code == 401
    lines = refusals(server.log_since(mark, wait_for="token_refused"))
    assert len(lines) == 1, lines
    assert "backend=idp07" in lines[0] and "bad_signature" in lines[0]


def test_an_unknown_issuer_is_refused_by_every_backend(server):
    # no index entry: the backends are tried one by one, as without routing
    mark = server.log_mark()
    tok = hs_sign({"alg": "HS256"}, claims(iss="https://nobody.example"),
                  secret(5))
    assert get(server, "/fed", tok).status_code == 401
    log = server.log_since(mark, wait_for="backend=idp49")
    assert len(refusals(log)) == N
    assert "wrong_issuer" in log


def test_backends_without_issuer_are_still_asked(server):
    # plain has no issuer=: a token without iss reaches it
    r = get(server, "/mix", token(None, key=99))
    assert r.status_code == 200 and r.headers["X-Auth-Backend"] == "plain"
    # iss names idp01 but plain signed it: idp01 refuses, plain (which
    # checks no issuer) is asked as before and accepts
    r = get(server, "/mix", token(1, key=99))
    assert r.status_code == 200 and r.headers["X-Auth-Backend"] == "plain"
    r = get(server, "/mix", token(1))
    assert r.status_code == 200 and r.headers["X-Auth-Backend"] == "idp01"


def test_a_single_backend_still_says_wrong_issuer(server):
    mark = server.log_mark()
    assert get(server, "/one", token(8, key=7)).status_code == 401
    assert "reason=wrong_issuer" in server.log_since(mark,
                                                     wait_for="wrong_issuer")


def test_garbage_and_opaque_tokens_are_refused(server):
    for tok in ("not-a-jwt", "a.b.c", "e30.e30.", "x" * 43):
        assert get(server, "/fed", tok).status_code == 401, tok
