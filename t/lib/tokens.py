"""Tokens made the way fastapi-users makes them (PyJWT), and hand-crafted
hostile ones."""

import base64
import json
import time

import jwt  # PyJWT, the library fastapi-users itself uses

AUDIENCE = ["fastapi-users:auth"]


def fastapi_users_token(secret, user="alice", lifetime=3600,
                        algorithm="HS256", audience=AUDIENCE, **extra):
    """fastapi_users.jwt.generate_jwt({"sub": user, "aud": audience},
    secret, lifetime, algorithm)."""
    payload = {"sub": user, "aud": audience}
    if lifetime is not None:
        payload["exp"] = int(time.time()) + lifetime
    payload.update(extra)
    return jwt.encode(payload, secret, algorithm=algorithm)


def fastapi_users_decode(token, secret, algorithm="HS256",
                         audience=AUDIENCE):
    """fastapi_users.jwt.decode_jwt(token, secret, audience, [algorithm])."""
    return jwt.decode(token, secret, audience=audience,
                      algorithms=[algorithm])


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_token(header, payload, signature=b""):
    """header/payload: dict (JSON-encoded) or str (used verbatim)."""
    h = header if isinstance(header, str) else json.dumps(header)
    p = payload if isinstance(payload, str) else json.dumps(payload)
    return "%s.%s.%s" % (b64(h), b64(p), b64(signature))


def hs_sign(header, payload, secret, digest="sha256"):
    """A correctly HMAC-signed token with an arbitrary header and payload
    (str payloads let tests send duplicate keys)."""
    import hashlib
    import hmac
    h = header if isinstance(header, str) else json.dumps(header)
    p = payload if isinstance(payload, str) else json.dumps(payload)
    signing_input = "%s.%s" % (b64(h), b64(p))
    if isinstance(secret, str):
        secret = secret.encode()
    sig = hmac.new(secret, signing_input.encode(),
                   getattr(hashlib, digest)).digest()
    return signing_input + "." + b64(sig)


def claims(user="alice", lifetime=3600, audience=AUDIENCE, **extra):
    c = {"sub": user, "aud": audience, "exp": int(time.time()) + lifetime}
    c.update(extra)
    return c
