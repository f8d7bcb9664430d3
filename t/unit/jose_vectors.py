#!/usr/bin/python3
"""Tokens of independent JOSE implementations for test_jose --vectors.

Prints one line per token: LIBRARY ALG KIND KEY TOKEN, where KIND is
"jwk" (the public JWK as compact JSON), "pem" (the public key's PEM,
base64url-encoded to fit on the line) or "secret" (an HMAC secret,
base64url).  Every algorithm, with fresh keys each run: PyJWT
(python3-jwt, the library fastapi-users signs with) always, python3-jwcrypto
when it is installed (a comment line says when it is not).

    /usr/bin/python3 t/unit/jose_vectors.py > /tmp/v && test_jose --vectors /tmp/v

The other direction: test_jose --sign prints the engine's tokens in the
same format, and --check verifies them with PyJWT (TAP, exit status 1 on a
failure):

    test_jose --sign > /tmp/s && /usr/bin/python3 t/unit/jose_vectors.py --check /tmp/s

Run by Debian's /usr/bin/python3, which sees Debian's python3-* packages.
"""

import base64
import json
import os
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

PAYLOAD = {"sub": "6f1c2a9e-3b7d-4c1e-9a5f-2d8e7b6c4a10",
           "aud": ["fastapi-users:auth"], "exp": int(time.time()) + 3600}
CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def line(lib, alg, kind, key, token):
    print(lib, alg, kind, key, token)


def private_key(alg, rsa_key):
    if alg[0] in "RP":
        return rsa_key
    if alg in CURVES:
        return ec.generate_private_key(CURVES[alg]())
    return ed25519.Ed25519PrivateKey.generate()


def public_pem(key):
    return b64(key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo))


def public_jwk(alg, key):
    algo = jwt.get_algorithm_by_name(alg)
    jwk = algo.to_jwk(key.public_key())
    jwk = json.loads(jwk) if isinstance(jwk, str) else jwk
    return json.dumps(dict(jwk, alg=alg, use="sig", kid="pyjwt-" + alg),
                      separators=(",", ":"))


def pyjwt(rsa_key):
    for alg in ("HS256", "HS384", "HS512"):
        secret = os.urandom(64)
        token = jwt.encode(PAYLOAD, secret, algorithm=alg)
        line("pyjwt", alg, "secret", b64(secret), token)
        jwk = json.dumps({"kty": "oct", "k": b64(secret)},
                         separators=(",", ":"))
        line("pyjwt", alg, "jwk", jwk, token)
    for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                "ES256", "ES384", "ES512", "EdDSA"):
        key = private_key(alg, rsa_key)
        token = jwt.encode(PAYLOAD, key, algorithm=alg,
                           headers={"kid": "pyjwt-" + alg})
        line("pyjwt", alg, "pem", public_pem(key), token)
        line("pyjwt", alg, "jwk", public_jwk(alg, key), token)
    key = ed448.Ed448PrivateKey.generate()
    line("pyjwt", "EdDSA", "pem", public_pem(key),
         jwt.encode(PAYLOAD, key, algorithm="EdDSA"))
    # PyJWT < 2.8 writes EC coordinates as minimal integers: a P-521 JWK
    # often has 65-byte ones, which the engine pads
    for _ in range(4):
        key = ec.generate_private_key(ec.SECP521R1())
        line("pyjwt", "ES512", "jwk", public_jwk("ES512", key),
             jwt.encode(PAYLOAD, key, algorithm="ES512"))


def jwcrypto_tokens():
    try:
        from jwcrypto import jwk, jws
    except ImportError:
        print("# python3-jwcrypto is not installed: no tokens from it")
        return
    kinds = {"HS": ("oct", {"size": 512}), "RS": ("RSA", {"size": 2048}),
             "PS": ("RSA", {"size": 2048}), "ES": ("EC", None),
             "Ed": ("OKP", {"crv": "Ed25519"})}
    for alg in ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
                "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
                "EdDSA"):
        kty, params = kinds[alg[:2]]
        if kty == "EC":
            params = {"crv": {"ES256": "P-256", "ES384": "P-384",
                              "ES512": "P-521"}[alg]}
        key = jwk.JWK.generate(kty=kty, **params)
        sig = jws.JWS(json.dumps(PAYLOAD))
        sig.add_signature(key, None, {"alg": alg, "typ": "JWT"})
        token = sig.serialize(compact=True)
        public = key.export(private_key=kty == "oct", as_dict=True)
        line("jwcrypto", alg, "jwk", json.dumps(public, separators=(",", ":")),
             token)


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check(path):
    """PyJWT verifies every token of PATH with its key and algorithm."""
    count = failures = 0
    with open(path) as f:
        for text in f:
            fields = text.split()
            if not fields or fields[0].startswith("#"):
                continue
            lib, alg, kind, key, token = fields
            count += 1
            try:
                if kind == "secret":
                    key = unb64(key)
                elif kind == "pem":
                    key = serialization.load_pem_public_key(unb64(key))
                else:
                    key = jwt.get_algorithm_by_name(alg).from_jwk(key)
                jwt.decode(token, key, algorithms=[alg],
                           audience="fastapi-users:auth")
                print("ok %d - PyJWT verifies %s %s" % (count, lib, alg))
            except Exception as e:  # every failure is a test failure
                failures += 1
                print("not ok %d - PyJWT verifies %s %s: %s"
                      % (count, lib, alg, e))
    print("1..%d" % count)
    return 1 if failures or not count else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        return check(sys.argv[2])
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pyjwt(rsa_key)
    jwcrypto_tokens()
    return 0


if __name__ == "__main__":
    sys.exit(main())
