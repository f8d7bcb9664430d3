"""The jwt strategy on the JOSE engine against two independent JOSE
implementations, PyJWT (what fastapi-users uses) and python3-jwcrypto,
for every algorithm: their tokens are accepted, tokens of another key are
not, and the tokens the module's login issues verify in both.  Keys are
made here with python3-cryptography, never by the module."""

import base64
import hashlib
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

import conf
from harness import session
from tokens import AUDIENCE

SECRETS = {"HS256": b"s" * 32, "HS384": b"t" * 48, "HS512": b"u" * 64}
ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
              "ES256", "ES384", "ES512", "EdDSA"]
ALGS = list(SECRETS) + ASYMMETRIC
CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1,
          "ES512": ec.SECP521R1}


def new_key(alg, bits=2048):
    if alg.startswith(("RS", "PS")):
        return rsa.generate_private_key(65537, bits)
    if alg.startswith("ES"):
        return ec.generate_private_key(CURVES[alg]())
    return ed25519.Ed25519PrivateKey.generate()


def pem(key, private=True):
    if private:
        return key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    return key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def name(alg):
    return alg.lower()


@pytest.fixture(scope="module")
def keys():
    """alg -> (key, another key of the same kind)."""
    k = {a: (new_key(a), new_key(a)) for a in ASYMMETRIC}
    k.update({a: (s, s[::-1] + b"x") for a, s in SECRETS.items()})
    return k


@pytest.fixture(scope="module")
def server(httpd_factory, keys):
    text = ""
    for a in ALGS:
        n = name(a)
        key = ("secret=file:@ROOT@/%s.secret" % n if a in SECRETS
               else "private-key=file:@ROOT@/%s.key" % n)
        text += conf.backend(n, "jwt algorithm=%s %s" % (a, key))
        # verifying with the public half only, from its own file
        if a not in SECRETS:
            text += conf.backend(n + "-pub", "jwt algorithm=%s "
                                 "public-key=file:@ROOT@/%s.pub" % (a, n))
            text += conf.location("/%s-pub" % n, n + "-pub", name="interop")
        text += conf.location("/" + n, n, name="interop")
        text += conf.login_location("/login/" + n, n)
    text += 'AliasMatch "^/([a-z0-9]+(-pub)?)/(.*)$" "@ROOT@/htdocs/$3"\n'
    h = httpd_factory(text, start=False)
    for a in ALGS:
        n = name(a)
        if a in SECRETS:
            h.write(n + ".secret", keys[a][0], mode=0o600)
        else:
            h.write(n + ".key", pem(keys[a][0]), mode=0o600)
            h.write(n + ".pub", pem(keys[a][0], private=False))
    h.write("users", "alice:{SHA}%s\n" % base64.b64encode(
        hashlib.sha1(b"secret").digest()).decode())
    return h.start()


def payload():
    return {"sub": "alice", "aud": AUDIENCE, "exp": int(time.time()) + 600}


def pyjwt_token(alg, key):
    return jwt.encode(payload(), key, algorithm=alg)


def jwcrypto_key(alg, key):
    if alg in SECRETS:
        return jc_jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(key)
                          .rstrip(b"=").decode())
    return jc_jwk.JWK.from_pem(pem(key))


def jwcrypto_token(alg, key):
    s = jc_jws.JWS(json.dumps(payload()).encode())
    s.add_signature(jwcrypto_key(alg, key), None,
                    json.dumps({"alg": alg, "typ": "JWT"}))
    return s.serialize(compact=True)


def get(server, path, token):
    return session().get(server.url(path + "/data.json"),
                         headers={"Authorization": "Bearer " + token})


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("maker", [pyjwt_token, jwcrypto_token],
                         ids=["pyjwt", "jwcrypto"])
def test_their_tokens_are_accepted(server, keys, alg, maker):
    key, other = keys[alg]
    assert get(server, "/" + name(alg), maker(alg, key)).status_code == 200
    if alg not in SECRETS:
        assert get(server, "/%s-pub" % name(alg),
                   maker(alg, key)).status_code == 200
    # the same claims under another key of the same kind
    assert get(server, "/" + name(alg), maker(alg, other)).status_code == 401


@pytest.mark.parametrize("alg", ALGS)
def test_issued_tokens_verify_in_pyjwt_and_jwcrypto(server, keys, alg):
    r = session().post(server.url("/login/" + name(alg)),
                       data={"username": "alice", "password": "secret"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    key = keys[alg][0]
    verify_key = key if alg in SECRETS else key.public_key()
    claims = jwt.decode(token, verify_key, algorithms=[alg],
                        audience=AUDIENCE)
    assert claims["sub"] == "alice"
    assert jwt.get_unverified_header(token) == {"alg": alg, "typ": "JWT"}
    s = jc_jws.JWS()
    s.deserialize(token)
    s.verify(jwcrypto_key(alg, key), alg)
    assert json.loads(s.payload)["sub"] == "alice"
    # and the module reads its own token back
    assert get(server, "/" + name(alg), token).status_code == 200


# backend's algorithm: (another algorithm, the key that signs it)
SIBLINGS = {"HS256": ("HS512", "HS256"), "RS256": ("PS256", "RS256"),
            "PS256": ("RS256", "PS256"), "ES256": ("ES384", "ES384"),
            "EdDSA": ("ES256", "ES256")}


@pytest.mark.parametrize("alg", sorted(SIBLINGS))
def test_a_token_of_another_algorithm_is_refused(server, keys, alg):
    # the key is pinned to its backend's algorithm: a token that names
    # another one is 401, even one the same key could technically sign
    # (HS512 with the HS256 secret, PS256 with the RS256 key)
    sibling, key_alg = SIBLINGS[alg]
    token = pyjwt_token(sibling, keys[key_alg][0])
    assert get(server, "/" + name(alg), token).status_code == 401


@pytest.mark.parametrize("bits,accepted", [(1024, False), (2048, True),
                                           (4096, True)])
def test_rsa_sizes(httpd_config, bits, accepted):
    # RFC 7518 §3.3: 2048 bits or more (and at most 8192, beyond which a
    # forged token could buy a slow verification)
    text = conf.backend("rs", "jwt algorithm=RS256 "
                        "public-key=file:@ROOT@/rs.pub")
    text += conf.location("/rs", "rs", name="interop")
    h = httpd_config(text)
    h.write("rs.pub", pem(new_key("RS256", bits), private=False))
    out = h.check()
    if accepted:
        assert out.returncode == 0, out.stderr
    else:
        assert out.returncode != 0
        assert "public-key cannot serve RS256: RSA key shorter than 2048 " \
               "bits" in out.stderr
