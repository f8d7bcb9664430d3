"""Adversarial JWTs after RFC 8725 (JSON Web Token Best Current Practices),
against a real httpd with HS256, RS256 and ES256 backends.

HOSTILE is one table: an id, a builder with its arguments, and why the
token must fail.  Every row is sent to every backend it names and must be
answered 401 with the JSON body and `error="invalid_token"` (a few rows
that httpd itself refuses before the module runs may be 400; never 200 or
500).  The builders sign for real, with the backend's own key unless the
row says otherwise, so that each token differs from a good one in exactly
the respect its row names.  CONTROL runs the same builders with valid
inputs and expects 200, and a meta-test checks that every builder and
every argument the hostile rows use also appears in an accepted control
row, so the table cannot pass because the builders are broken.

A loopback "trap" server stands for the attacker's key server: jku, x5u
and kid URLs point at it, and it must never be contacted.
"""

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import zlib
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import \
    decode_dss_signature
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

import raw_http
from wait import wait_until

SECRET = b"adversarial-secret-0123456789-abcdefghij"
ATTACKER_SECRET = b"attacker-secret-0123456789-abcdefghijklm"
ISSUER = "https://issuer.example"
AUDIENCE = "fastapi-users:auth"
LEEWAY = 30
TOKEN_LIMIT = 8192          # TOKEN_MAX_LENGTH in src/auth_backend.h
FIELD_LIMIT = 16384         # LimitRequestFieldSize of this server
MARGIN = 5                  # seconds between a time claim and its boundary

BACKENDS = {
    # name: (algorithm, leeway, issuer)
    "hs": ("HS256", 0, None),
    "hslee": ("HS256", LEEWAY, None),
    "hsiss": ("HS256", 0, ISSUER),
    "rs": ("RS256", 0, None),
    "es": ("ES256", 0, None),
    "rspub": ("RS256", 0, None),          # public-key= only
}
ALL = ("hs", "rs", "es")
RSA = ("rs", "rspub")
ASYM = ("rs", "es", "rspub")
TIMED = ("hs", "hslee", "es")
EVERY = tuple(BACKENDS)

DROP = object()             # in hdr=/clm=: remove that member

# Set by the ctx fixture: keys and the trap's URL (builders run in tests).
CTX = SimpleNamespace()


# ---- signing ------------------------------------------------------------------

def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


HASHES = {"256": (hashes.SHA256, hashlib.sha256),
          "384": (hashes.SHA384, hashlib.sha384),
          "512": (hashes.SHA512, hashlib.sha512)}


def sign(alg, data, key):
    """The JWS signature of DATA (bytes) with ALG and KEY, computed by hand
    so that any algorithm can be paired with any key."""
    if alg == "none":
        return b""
    der = alg.endswith("-DER")
    alg = alg[:-4] if der else alg
    h, hl = HASHES[alg[2:]]
    if alg.startswith("HS"):
        return hmac.new(key, data, hl).digest()
    if alg.startswith("RS"):
        return key.sign(data, padding.PKCS1v15(), h())
    if alg.startswith("PS"):
        return key.sign(data, padding.PSS(padding.MGF1(h()),
                                          padding.PSS.DIGEST_LENGTH), h())
    sig = key.sign(data, ec.ECDSA(h()))
    if der:
        return sig
    r, s = decode_dss_signature(sig)
    n = (key.curve.key_size + 7) // 8
    return r.to_bytes(n, "big") + s.to_bytes(n, "big")


def key_for(spec, be):
    """KEY= of a row: 'real' (the backend's own), 'attacker' (one of the
    same kind nobody configured), or a name from CTX.keys; 'public-*'
    names mean the backend's public key in that form."""
    fam = be.alg[:2]
    if spec == "real":
        spec = {"HS": "secret", "RS": "rsa", "ES": "ec256"}[fam]
    elif spec == "attacker":
        spec = {"HS": "attacker-secret", "RS": "rsa2",
                "ES": "attacker-ec256"}[fam]
    elif spec.startswith("public-"):
        spec = ("rsa" if fam == "RS" else "ec256") + ".pub" + spec[6:]
    return CTX.keys[spec]


def attacker_jwk(e):
    fam = e.be.alg[:2]
    if fam == "HS":
        return {"kty": "oct", "k": b64(ATTACKER_SECRET)}
    k = CTX.keys["rsa2" if fam == "RS" else "attacker-ec256"]
    alg = RSAAlgorithm if fam == "RS" else ECAlgorithm
    return json.loads(alg.to_jwk(k.public_key()))


def attacker_x5c(e):
    k = CTX.keys["attacker-ec256" if e.be.alg == "ES256" else "rsa2"]
    return [base64.b64encode(CTX.certs[id(k)]).decode()]


def trap(path):
    return lambda e: CTX.trap_url + path


# ---- builders -------------------------------------------------------------------
#
# Each takes E (be: the target backend, now, lw: its leeway) and keyword
# arguments; callables among the values are called with E.

def _resolve(v, e):
    return v(e) if callable(v) else v


def base_claims(e):
    c = {"sub": "alice", "aud": [AUDIENCE], "exp": e.now + 3600}
    if e.be.issuer:
        c["iss"] = e.be.issuer
    return c


def _merge(base, changes, e):
    out = dict(base)
    for k, v in (changes or {}).items():
        v = _resolve(v, e)
        if v is DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def _text(v):
    return v if isinstance(v, bytes) else (
        v if isinstance(v, str) else json.dumps(v)).encode("utf-8")


class Enc:
    """A change to the base64url text of one part (0 header, 1 payload,
    2 signature) and when it applies; "as-is" changes nothing."""

    def __init__(self, part, how):
        self.part, self.how = part, how

    def applies(self, t):
        if self.how in ("spare-bit", "padded"):
            return len(t) % 4 in (2, 3)       # spare bits; "=" would follow
        if self.how == "std-alphabet":
            return "-" in t or "_" in t
        return True

    def apply(self, t):
        if self.how == "spare-bit":
            alphabet = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789-_")
            return t[:-1] + alphabet[alphabet.index(t[-1]) ^ 1]
        if self.how == "padded":
            return t + "=" * (-len(t) % 4)
        if self.how == "std-alphabet":
            return t.replace("-", "+").replace("_", "/")
        return t

    def __repr__(self):
        return "Enc(%d, %s)" % (self.part, self.how)


def jws(e, hdr=None, clm=None, sign_alg=None, key="real", header_raw=None,
        payload_raw=None, enc=None):
    """A compact JWS: header {"alg": the backend's, "typ": "JWT"} changed
    by HDR, fastapi-users' claims changed by CLM (or HEADER_RAW /
    PAYLOAD_RAW verbatim), signed with SIGN_ALG (default: the backend's)
    and KEY; ENC alters the base64url text of one part (the signature
    covers what is sent, so only the encoding differs)."""
    for nonce in range(400):
        header = _merge({"alg": e.be.alg, "typ": "JWT"}, hdr, e)
        claims = _merge(base_claims(e), clm, e)
        if enc and enc.part == 0:
            header["kid"] = "?????" + "k" * nonce
        elif enc:
            claims["n"] = "?????" + "x" * nonce
        h = _text(_resolve(header_raw, e)) if header_raw is not None \
            else _text(header)
        p = _text(_resolve(payload_raw, e)) if payload_raw is not None \
            else _text(claims)
        parts = [b64(h), b64(p)]
        if enc and enc.part < 2:
            if not enc.applies(parts[enc.part]):
                continue
            parts[enc.part] = enc.apply(parts[enc.part])
        signing_input = ".".join(parts)
        sig = b64(sign(_resolve(sign_alg, e) or e.be.alg,
                       signing_input.encode(),
                       key_for(key, e.be)))
        if enc and enc.part == 2:
            if not enc.applies(sig):
                continue
            sig = enc.apply(sig)
        return signing_input + "." + sig
    raise AssertionError("no nonce makes %r apply" % enc)


def mangle(e, fn=None, **kw):
    """A jws() token, then FN(token, E) applied to its text."""
    t = jws(e, **kw)
    return fn(t, e) if fn else t


def sized(e, length=TOKEN_LIMIT, key="real"):
    """A jws() token of exactly LENGTH characters (a filler claim and
    kid make up the difference)."""
    sig_len = len(b64(sign(e.be.alg, b"x", key_for(key, e.be))))
    for kid in range(4):
        header = {"alg": e.be.alg, "typ": "JWT", "kid": "k" * kid}
        claims = base_claims(e)
        claims["fill"] = ""
        fixed = len(b64(_text(header))) + 2 + sig_len
        base = len(_text(claims))
        need = (length - fixed) * 3 // 4 - base - 2
        for fill in range(max(0, need - 8), need + 8):
            claims["fill"] = "f" * fill
            if fixed + len(b64(_text(claims))) == length:
                t = jws(e, hdr={"kid": "k" * kid}, clm={"fill": "f" * fill},
                        key=key)
                assert len(t) == length
                return t
    raise AssertionError("cannot make a token of %d characters" % length)


def raw_claim(name, literal):
    """PAYLOAD_RAW: the usual claims with NAME's value written as LITERAL
    (bytes), for what json.dumps cannot write."""
    def build(e):
        c = base_claims(e)
        c[name] = "@@VALUE@@"
        return _text(c).replace(b'"@@VALUE@@"', literal)
    return build


def duplicate(name, first):
    """PAYLOAD_RAW with NAME given twice: FIRST, then the valid value."""
    def build(e):
        c = base_claims(e)
        last = c.pop(name)
        return ("{%s: %s, %s, %s: %s}" % (
            json.dumps(name), json.dumps(first), json.dumps(c)[1:-1],
            json.dumps(name), json.dumps(last))).encode()
    return build


def header_dup_alg(first):
    return lambda e: '{"alg": %s, "typ": "JWT", "alg": "%s"}' % (
        json.dumps(_resolve(first, e)), e.be.alg)


def replace_sig(fn):
    """FN(signature bytes, E) -> new signature bytes."""
    def m(t, e):
        head, sig = t.rsplit(".", 1)
        return head + "." + b64(fn(unb64(sig), e))
    return m


def other_tokens_sig(t, e):
    other = jws(e, clm={"sub": "bob"})
    return t.rsplit(".", 1)[0] + "." + other.rsplit(".", 1)[1]


def other_headers_sig(t, e):
    other = jws(e, hdr={"kid": "other"})
    return t.rsplit(".", 1)[0] + "." + other.rsplit(".", 1)[1]


def insert_at(pos, text):
    """Inserts TEXT (str or bytes) into the token POS characters from the
    start of its payload."""
    def m(t, e):
        i = t.index(".") + 1 + pos
        if isinstance(text, bytes):
            return t[:i].encode() + text + t[i:].encode()
        return t[:i] + text + t[i:]
    return m


def nested(n):
    return "[" * n + "]" * n


# ---- the table ----------------------------------------------------------------

class Row:
    def __init__(self, id, build, why, on=ALL, status=(401,), **kw):
        self.id, self.build, self.why, self.on = id, build, why, on
        self.status, self.kw = status, kw

    def token(self, e):
        return self.build(e, **self.kw)

    def __repr__(self):
        return self.id


H = Row

HOSTILE = [
    # -- alg "none" (RFC 8725 §2.1, §3.1): never accepted, however spelled
    H("alg-none", jws, "unsecured JWS", hdr={"alg": "none"},
      sign_alg="none", on=EVERY),
    H("alg-None", jws, "libjwt reads alg case-insensitively",
      hdr={"alg": "None"}, sign_alg="none"),
    H("alg-NONE", jws, "as above", hdr={"alg": "NONE"}, sign_alg="none"),
    H("alg-nOnE", jws, "as above", hdr={"alg": "nOnE"}, sign_alg="none"),
    H("alg-none-space", jws, "'none ' is not an algorithm",
      hdr={"alg": "none "}, sign_alg="none"),
    H("alg-none-signed", jws, "alg none with a valid signature appended: "
      "the header, not the key, would pick the algorithm",
      hdr={"alg": "none"}, on=EVERY),
    # -- alg of the wrong JSON type or spelling: compared exactly
    H("alg-missing", jws, "no alg: RFC 7515 §4.1.1 requires it",
      hdr={"alg": DROP}),
    H("alg-empty", jws, "empty alg", hdr={"alg": ""}),
    H("alg-null", jws, "alg null", hdr={"alg": None}),
    H("alg-number", jws, "alg is a number", hdr={"alg": 256}),
    H("alg-true", jws, "alg is a boolean", hdr={"alg": True}),
    H("alg-array", jws, "alg is an array holding the right name",
      hdr={"alg": lambda e: [e.be.alg]}),
    H("alg-object", jws, "alg is an object",
      hdr={"alg": lambda e: {"name": e.be.alg}}),
    H("alg-lower-case", jws, "algorithm names are case-sensitive (RFC 7515 "
      "§4.1.1)", hdr={"alg": lambda e: e.be.alg.lower()}),
    H("alg-leading-space", jws, "' HS256' is not HS256",
      hdr={"alg": lambda e: " " + e.be.alg}),
    H("alg-trailing-space", jws, "'HS256 ' is not HS256",
      hdr={"alg": lambda e: e.be.alg + " "}),
    H("alg-inner-space", jws, "'HS 256' is not HS256",
      hdr={"alg": lambda e: e.be.alg[:2] + " " + e.be.alg[2:]}),
    H("alg-nul-suffix", jws, "'HS256\\u0000x' equals HS256 only to strcmp",
      hdr={"alg": lambda e: e.be.alg + "\u0000x"}),
    H("alg-fullwidth", jws, "a look-alike letter",
      hdr={"alg": lambda e: chr(ord(e.be.alg[0]) + 0xFEE0) + e.be.alg[1:]}),
    H("alg-invalid-utf8", jws, "alg with a byte that is not UTF-8",
      header_raw=lambda e: b'{"alg":"' + e.be.alg.encode() + b'\xff"}'),

    # -- key confusion (RFC 8725 §2.1): HMAC keyed with the public key
    H("hs256-public-pem", jws, "HS256 with the verifying PEM as HMAC secret",
      hdr={"alg": "HS256"}, sign_alg="HS256", key="public-pem", on=ASYM),
    H("hs256-public-pem-stripped", jws, "the same PEM without its final "
      "newline", hdr={"alg": "HS256"}, sign_alg="HS256",
      key="public-pem-stripped", on=ASYM),
    H("hs256-public-pem-crlf", jws, "the same PEM with CRLF line ends",
      hdr={"alg": "HS256"}, sign_alg="HS256", key="public-pem-crlf",
      on=ASYM),
    H("hs256-public-pem-body", jws, "only the base64 body of the PEM",
      hdr={"alg": "HS256"}, sign_alg="HS256", key="public-pem-body",
      on=ASYM),
    H("hs256-public-der", jws, "the DER bytes of the public key",
      hdr={"alg": "HS256"}, sign_alg="HS256", key="public-der", on=ASYM),
    H("hs256-public-jwk", jws, "the public key as JWK text",
      hdr={"alg": "HS256"}, sign_alg="HS256", key="public-jwk", on=ASYM),
    H("hs384-public-pem", jws, "HS384 keyed with the PEM",
      hdr={"alg": "HS384"}, sign_alg="HS384", key="public-pem", on=ASYM),
    H("hs512-public-pem", jws, "HS512 keyed with the PEM",
      hdr={"alg": "HS512"}, sign_alg="HS512", key="public-pem", on=ASYM),

    # -- algorithm substitution within a family
    H("hs384-at-hs256", jws, "HS384 with the very secret of the backend",
      hdr={"alg": "HS384"}, sign_alg="HS384", on=("hs",)),
    H("hs512-at-hs256", jws, "HS512 with the very secret",
      hdr={"alg": "HS512"}, sign_alg="HS512", on=("hs",)),
    H("rs384-at-rs256", jws, "RS384 with the very key",
      hdr={"alg": "RS384"}, sign_alg="RS384", on=RSA),
    H("rs512-at-rs256", jws, "RS512 with the very key",
      hdr={"alg": "RS512"}, sign_alg="RS512", on=RSA),
    H("ps256-at-rs256", jws, "RSA-PSS with the very key (libjwt 1.10 has "
      "no PS*)", hdr={"alg": "PS256"}, sign_alg="PS256", on=RSA),
    H("es384-p256-at-es256", jws, "ES384 (SHA-384) with the very P-256 key",
      hdr={"alg": "ES384"}, sign_alg="ES384", on=("es",)),
    H("es384-at-es256", jws, "ES384 with a P-384 key",
      hdr={"alg": "ES384"}, sign_alg="ES384", key="ec384", on=("es",)),
    H("es512-at-es256", jws, "ES512 with a P-521 key",
      hdr={"alg": "ES512"}, sign_alg="ES512", key="ec521", on=("es",)),
    # -- ... and across families
    H("rs256-at-hs-es", jws, "RS256, with the RSA key the rs backend "
      "trusts, at HS256 and ES256 backends", hdr={"alg": "RS256"},
      sign_alg="RS256", key="rsa", on=("hs", "es")),
    H("es256-at-hs-rs", jws, "ES256, with the EC key the es backend trusts, "
      "at HS256 and RS256 backends", hdr={"alg": "ES256"},
      sign_alg="ES256", key="ec256", on=("hs",) + RSA),
    H("hs256-at-rs-es", jws, "HS256 with the HS backend's real secret at an "
      "asymmetric backend", hdr={"alg": "HS256"}, sign_alg="HS256",
      key="secret", on=ASYM),

    # -- signatures (RFC 7515 §5.2)
    H("sig-stripped", mangle, "header.payload. (empty signature)",
      fn=lambda t, e: t.rsplit(".", 1)[0] + ".", on=EVERY),
    H("sig-missing", mangle, "header.payload (two parts)",
      fn=lambda t, e: t.rsplit(".", 1)[0]),
    H("sig-truncated-half", mangle, "half of the signature",
      fn=replace_sig(lambda s, e: s[:len(s) // 2])),
    H("sig-truncated-byte", mangle, "the last byte cut",
      fn=replace_sig(lambda s, e: s[:-1])),
    H("sig-extended-byte", mangle, "a zero byte appended",
      fn=replace_sig(lambda s, e: s + b"\0")),
    H("sig-extended-text", mangle, "characters appended to the signature",
      fn=lambda t, e: t + "AAAA"),
    H("sig-doubled", mangle, "the signature twice",
      fn=replace_sig(lambda s, e: s + s)),
    H("sig-zero", mangle, "zeros of the right length (for ES256: r = s = "
      "0, the 'psychic signature' CVE-2022-21449)",
      fn=replace_sig(lambda s, e: bytes(len(s)))),
    H("sig-bit-flip", mangle, "one bit of the signature flipped",
      fn=replace_sig(lambda s, e: bytes([s[0] ^ 1]) + s[1:])),
    H("sig-of-other-token", mangle, "a valid signature of another token "
      "(sub bob) with alice's payload", fn=other_tokens_sig),
    H("sig-of-other-header", mangle, "a valid signature made over another "
      "header", fn=other_headers_sig),
    H("sig-wrong-key", jws, "signed with a key of the same kind nobody "
      "configured", key="attacker", on=EVERY),
    H("sig-empty-hmac-key", jws, "HMAC with an empty key: libjwt skips "
      "verification when given one", key="empty", on=("hs",)),
    H("sig-es-der", jws, "ECDSA signature in DER, not r||s (RFC 7518 §3.4)",
      sign_alg="ES256-DER", on=("es",)),

    # -- header parameters naming keys are never followed (RFC 8725 §3.10)
    H("jwk-embedded", jws, "the attacker's own key in the header",
      hdr={"jwk": attacker_jwk}, key="attacker", on=EVERY),
    H("jku-trap", jws, "a JWK Set URL on the attacker's server",
      hdr={"jku": trap("/jwks.json"), "kid": "attacker"}, key="attacker",
      on=EVERY),
    H("x5u-trap", jws, "a certificate URL on the attacker's server",
      hdr={"x5u": trap("/cert.pem")}, key="attacker", on=EVERY),
    H("x5c-attacker", jws, "the attacker's self-signed certificate inline",
      hdr={"x5c": attacker_x5c}, key="attacker", on=EVERY),
    H("kid-url-trap", jws, "a kid that is a URL", hdr={"kid": trap("/kid")},
      key="attacker"),
    H("kid-dev-null", jws, "kid naming an empty file, HMAC with an empty "
      "key", hdr={"kid": "../../../../../../../dev/null"}, key="empty",
      on=("hs",)),
    H("kid-sql-injection", jws, "kid as SQL selecting the attacker's key",
      hdr={"kid": "x' UNION SELECT 'attacker-secret-0123456789-"
                  "abcdefghijklm' -- "}, key="attacker"),
    H("kid-public-pem-path", jws, "kid naming the public key file, HMAC "
      "keyed with it", hdr={"alg": "HS256", "kid": lambda e: CTX.pub_path},
      sign_alg="HS256", key="public-pem", on=RSA),

    # -- crit (RFC 7515 §4.1.11): no extension is understood
    H("crit-unknown", jws, "an unknown critical extension",
      hdr={"crit": ["x-unknown"], "x-unknown": True}),
    H("crit-b64", jws, "RFC 7797 b64 marked critical",
      hdr={"crit": ["b64"], "b64": True}),
    H("crit-registered", jws, "crit naming a registered claim",
      hdr={"crit": ["exp"], "exp": 1}),
    H("crit-empty-list", jws, "crit must not be an empty list",
      hdr={"crit": []}),
    H("crit-not-a-list", jws, "crit as a string", hdr={"crit": "x-unknown"}),
    H("crit-null", jws, "crit null", hdr={"crit": None}),

    # -- header and payload shapes
    H("header-array", jws, "the header is not a JSON object",
      header_raw=lambda e: [{"alg": e.be.alg}]),
    H("header-string", jws, "the header is a JSON string",
      header_raw=lambda e: json.dumps(e.be.alg)),
    H("header-empty", jws, "the header is empty", header_raw=""),
    H("header-not-json", jws, "the header is not JSON",
      header_raw=lambda e: "alg=" + e.be.alg),
    H("header-dup-alg", jws, "alg twice: none first, then the real one",
      header_raw=header_dup_alg("none")),
    H("header-dup-alg-same", jws, "alg twice with the same value: "
      "duplicate names are refused outright", header_raw=header_dup_alg(
          lambda e: e.be.alg)),
    H("header-zip", jws, "zip (a JWE parameter) with a deflated payload",
      hdr={"zip": "DEF"},
      payload_raw=lambda e: zlib.compress(_text(base_claims(e)))[2:-4]),
    H("header-b64-false", mangle, "b64=false and the payload unencoded "
      "(RFC 7797)", hdr={"b64": False},
      fn=lambda t, e: t.split(".")[0] + "." + json.dumps(base_claims(e))
      + "." + t.split(".")[2]),
    H("nested-jwt", jws, "cty JWT: the payload is another token",
      hdr={"cty": "JWT"}, payload_raw=lambda e: jws(e)),
    H("payload-array", jws, "the payload is not a JSON object",
      payload_raw=lambda e: [base_claims(e)]),
    H("payload-null", jws, "the payload is null", payload_raw="null"),
    H("payload-string", jws, "the payload is a string",
      payload_raw='"alice"'),
    H("payload-empty", jws, "the payload is empty", payload_raw=""),
    H("payload-deep-nesting", jws, "a claim nested 2100 arrays deep (jansson stops at 2048)",
      payload_raw=lambda e: _text(base_claims(e))[:-1]
      + b', "x": ' + nested(2100).encode() + b"}"),
    H("jwe-5-parts", mangle, "a JWE (five parts) is not a JWS",
      fn=lambda t, e: b64('{"alg":"RSA-OAEP","enc":"A256GCM"}') + "."
      + b64(b"k" * 256) + "." + b64(b"iv" * 6) + "." + b64(b"c" * 40)
      + "." + b64(b"t" * 16), on=EVERY),
    H("four-parts", mangle, "an extra part", fn=lambda t, e: t + ".e30"),
    H("dots-only", mangle, "empty parts", fn=lambda t, e: ".."),
    H("empty-header-part", mangle, "the header part empty",
      fn=lambda t, e: "." + t.split(".", 1)[1]),

    # -- claims of the wrong JSON type (RFC 7519 §4.1)
    H("exp-missing", jws, "exp is required", clm={"exp": DROP}),
    H("exp-string", jws, "exp as a numeric string",
      clm={"exp": lambda e: str(e.now + 3600)}),
    H("exp-bool", jws, "exp true", clm={"exp": True}),
    H("exp-null", jws, "exp null", clm={"exp": None}),
    H("exp-array", jws, "exp in an array",
      clm={"exp": lambda e: [e.now + 3600]}),
    H("exp-object", jws, "exp as an object",
      clm={"exp": lambda e: {"t": e.now + 3600}}),
    H("nbf-string", jws, "nbf as a string", clm={"nbf": "0"}),
    H("nbf-bool", jws, "nbf false", clm={"nbf": False}),
    H("nbf-null", jws, "nbf null is not absent", clm={"nbf": None}),
    H("nbf-array", jws, "nbf in an array", clm={"nbf": [0]}),
    H("nbf-object", jws, "nbf as an object", clm={"nbf": {}}),
    H("iat-string", jws, "iat as a string", clm={"iat": "now"}),
    H("iat-bool", jws, "iat true", clm={"iat": True}),
    H("iat-null", jws, "iat null", clm={"iat": None}),
    H("iat-array", jws, "iat in an array", clm={"iat": [0]}),
    H("iat-object", jws, "iat as an object", clm={"iat": {"t": 0}}),
    H("aud-missing", jws, "aud is required", clm={"aud": DROP}),
    H("aud-object", jws, "aud as an object",
      clm={"aud": {AUDIENCE: True}}),
    H("aud-number", jws, "aud as a number", clm={"aud": 5}),
    H("aud-null", jws, "aud null", clm={"aud": None}),
    H("aud-bool", jws, "aud true", clm={"aud": True}),
    H("aud-nested-array", jws, "aud as an array in an array",
      clm={"aud": [[AUDIENCE]]}),
    H("aud-empty-array", jws, "aud as an empty array", clm={"aud": []}),
    H("aud-with-null", jws, "the right audience next to a null",
      clm={"aud": [AUDIENCE, None]}),
    H("aud-wrong", jws, "another audience", clm={"aud": ["other:auth"]}),
    H("aud-case", jws, "audiences are case-sensitive",
      clm={"aud": AUDIENCE.upper()}),
    H("aud-trailing-space", jws, "'fastapi-users:auth '",
      clm={"aud": AUDIENCE + " "}),
    H("aud-nul-suffix", jws, "'fastapi-users:auth\\u0000evil' equals the "
      "audience only to strcmp", clm={"aud": [AUDIENCE + "\u0000evil"]}),
    H("sub-missing", jws, "sub is required", clm={"sub": DROP}),
    H("sub-number", jws, "sub as a number", clm={"sub": 123}),
    H("sub-object", jws, "sub as an object", clm={"sub": {"id": "alice"}}),
    H("sub-array", jws, "sub as an array", clm={"sub": ["alice"]}),
    H("sub-null", jws, "sub null", clm={"sub": None}),
    H("sub-bool", jws, "sub true", clm={"sub": True}),
    H("sub-empty", jws, "sub empty", clm={"sub": ""}),
    H("sub-nul", jws, "NUL inside sub (\\u0000) would cut the user name",
      clm={"sub": "alice\u0000admin"}),
    H("sub-newline", jws, "a line break in sub (log and header injection)",
      clm={"sub": "alice\r\nX-Injected: 1"}),
    H("sub-too-long", jws, "sub of 2000 characters", clm={"sub": "a" * 2000}),
    H("iss-missing", jws, "issuer= is configured: iss is required",
      clm={"iss": DROP}, on=("hsiss",)),
    H("iss-wrong", jws, "another issuer", clm={"iss": "https://evil.example"},
      on=("hsiss",)),
    H("iss-number", jws, "iss as a number", clm={"iss": 1}, on=("hsiss",)),
    H("iss-array", jws, "iss in an array", clm={"iss": [ISSUER]},
      on=("hsiss",)),
    H("iss-object", jws, "iss as an object", clm={"iss": {"url": ISSUER}},
      on=("hsiss",)),
    H("iss-null", jws, "iss null", clm={"iss": None}, on=("hsiss",)),
    H("iss-case", jws, "iss compared exactly", clm={"iss": ISSUER.upper()},
      on=("hsiss",)),
    H("iss-trailing-slash", jws, "iss compared exactly",
      clm={"iss": ISSUER + "/"}, on=("hsiss",)),
    H("iss-nul-suffix", jws, "'...\\u0000evil' equals the issuer only to "
      "strcmp", clm={"iss": ISSUER + "\u0000evil"}, on=("hsiss",)),

    # -- exp and nbf at and beyond the boundaries (RFC 7519 §4.1.4, §4.1.5)
    H("exp-at-boundary", jws, "exp == now - leeway: expired (exp is the "
      "first instant it is no longer valid)",
      clm={"exp": lambda e: e.now - e.lw}, on=TIMED),
    H("exp-beyond-boundary", jws, "exp a second before now - leeway",
      clm={"exp": lambda e: e.now - e.lw - 1}, on=TIMED),
    H("exp-well-beyond", jws, "exp MARGIN seconds beyond the leeway",
      clm={"exp": lambda e: e.now - e.lw - MARGIN}, on=TIMED),
    H("exp-epoch", jws, "exp 0", clm={"exp": 0}, on=TIMED),
    H("exp-negative", jws, "exp -1", clm={"exp": -1}, on=TIMED),
    H("nbf-beyond-boundary", jws, "nbf MARGIN seconds after now + leeway",
      clm={"nbf": lambda e: e.now + e.lw + MARGIN}, on=TIMED),
    H("iat-beyond-boundary", jws, "iat MARGIN seconds after now + leeway",
      clm={"iat": lambda e: e.now + e.lw + MARGIN}, on=TIMED),
    # -- huge and non-finite numbers
    H("exp-1e400", jws, "exp overflows a double",
      payload_raw=raw_claim("exp", b"1e400")),
    H("exp-huge-integer", jws, "exp overflows a 64-bit integer",
      payload_raw=raw_claim("exp", b"99999999999999999999999")),
    H("exp-2-pow-63", jws, "exp one past INT64_MAX",
      payload_raw=raw_claim("exp", b"9223372036854775808")),
    H("exp-minus-1e308", jws, "exp -1e308 (long expired)",
      payload_raw=raw_claim("exp", b"-1e308")),
    H("exp-1e-400", jws, "exp underflows to 0",
      payload_raw=raw_claim("exp", b"1e-400")),
    H("exp-nan", jws, "NaN is not JSON", payload_raw=raw_claim("exp", b"NaN")),
    H("exp-infinity", jws, "Infinity is not JSON",
      payload_raw=raw_claim("exp", b"Infinity")),
    H("exp-hex", jws, "hex is not JSON",
      payload_raw=raw_claim("exp", b"0x7fffffffffff")),
    H("nbf-minus-1e400", jws, "nbf overflows a double",
      payload_raw=raw_claim("nbf", b"-1e400")),
    H("iat-1e400", jws, "iat overflows a double",
      payload_raw=raw_claim("iat", b"1e400")),

    # -- duplicate names (RFC 7515 §5.2, RFC 8725 §3.?: no two readings)
    H("payload-dup-sub", jws, "sub bob, then alice",
      payload_raw=duplicate("sub", "bob")),
    H("payload-dup-sub-same", jws, "sub alice twice",
      payload_raw=duplicate("sub", "alice")),
    H("payload-dup-exp", jws, "an expired exp, then a valid one",
      payload_raw=duplicate("exp", 1)),
    H("payload-dup-aud", jws, "another audience, then the right one",
      payload_raw=duplicate("aud", ["other"])),

    # -- non-canonical base64url (RFC 7515 §2, RFC 4648 §3.5); the
    #    signature covers the text as sent, so only the encoding is wrong
    H("header-spare-bit", jws, "a spare bit set in the header's last "
      "character", enc=Enc(0, "spare-bit")),
    H("payload-spare-bit", jws, "a spare bit set in the payload",
      enc=Enc(1, "spare-bit")),
    H("sig-spare-bit", jws, "a spare bit set in the signature",
      enc=Enc(2, "spare-bit")),
    H("header-padded", jws, "'=' padding on the header",
      enc=Enc(0, "padded")),
    H("payload-padded", jws, "'=' padding on the payload",
      enc=Enc(1, "padded")),
    H("sig-padded", jws, "'=' padding on the signature",
      enc=Enc(2, "padded")),
    H("header-std-alphabet", jws, "'+' and '/' (base64, not base64url) in "
      "the header", enc=Enc(0, "std-alphabet")),
    H("payload-std-alphabet", jws, "'+' and '/' in the payload",
      enc=Enc(1, "std-alphabet")),
    H("sig-std-alphabet", jws, "'+' and '/' in the signature",
      enc=Enc(2, "std-alphabet")),
    # -- whitespace inside the token
    H("space-inside", mangle, "a space inside the token",
      fn=insert_at(8, " ")),
    H("tab-inside", mangle, "a tab inside the token", fn=insert_at(8, "\t")),
    H("folded-line", mangle, "CRLF + space inside (obsolete line folding)",
      fn=insert_at(8, "\r\n "), status=(400, 401)),
    H("newline-inside", mangle, "a bare LF inside the token (MIME-wrapped "
      "base64)", fn=insert_at(8, "\n"), status=(400, 401)),
    H("cr-inside", mangle, "a bare CR inside the token",
      fn=insert_at(8, "\r"), status=(400, 401)),
    H("vt-suffix", mangle, "a vertical tab after the token",
      fn=lambda t, e: t + "\x0b", status=(400, 401)),

    # -- invalid and overlong UTF-8 (RFC 8259 §8.1)
    H("sub-invalid-utf8", jws, "a 0xFF byte in sub",
      payload_raw=raw_claim("sub", b'"ali\xffce"')),
    H("sub-overlong-slash", jws, "'/' as the overlong C0 AF",
      payload_raw=raw_claim("sub", b'"..\xc0\xaf..\xc0\xafadmin"')),
    H("aud-overlong-colon", jws, "the audience with ':' as overlong C0 BA",
      payload_raw=raw_claim("aud", b'"fastapi-users\xc0\xbaauth"')),
    H("sub-utf8-surrogate", jws, "a UTF-8-encoded surrogate (ED A0 80)",
      payload_raw=raw_claim("sub", b'"ali\xed\xa0\x80ce"')),
    H("sub-lone-surrogate-escape", jws, "a lone \\ud800 escape",
      payload_raw=raw_claim("sub", b'"ali\\ud800ce"')),
    H("sub-five-byte-utf8", jws, "a five-byte sequence",
      payload_raw=raw_claim("sub", b'"ali\xf8\x88\x80\x80\x80ce"')),
    H("sub-beyond-u10ffff", jws, "a code point above U+10FFFF",
      payload_raw=raw_claim("sub", b'"ali\xf4\x90\x80\x80ce"')),
    H("sub-truncated-utf8", jws, "a sequence cut short before the quote",
      payload_raw=raw_claim("sub", b'"alice\xc3"')),

    # -- size (TOKEN_MAX_LENGTH 8192; LimitRequestFieldSize 16384 here)
    H("size-limit-wrong-key", sized, "exactly 8192 characters, badly signed",
      length=TOKEN_LIMIT, key="attacker"),
    H("size-over-limit", sized, "8193 characters, correctly signed",
      length=TOKEN_LIMIT + 1),
    H("size-16000", sized, "16000 characters, correctly signed",
      length=16000),
    H("size-over-httpd-limit", sized, "over LimitRequestFieldSize: httpd "
      "answers 400 before the module runs", length=FIELD_LIMIT + 100,
      status=(400,)),
]


# The same builders with valid inputs: all accepted.
C = Row
CONTROL = [
    C("valid", jws, "fastapi-users' token", on=EVERY),
    C("valid-explicit", jws, "every jws() argument, with valid values",
      hdr={"typ": "JWT"}, clm={"sub": "alice"}, key="real",
      sign_alg=lambda e: e.be.alg, on=EVERY),
    C("header-raw", jws, "a header written by hand",
      header_raw=lambda e: '{"alg":"%s","typ":"JWT"}' % e.be.alg, on=EVERY),
    C("payload-raw", jws, "the claims written by hand",
      payload_raw=raw_claim("sub", b'"alice"'), on=EVERY),
    C("mangle-identity", mangle, "mangle() without a change", on=EVERY),
    C("mangle-same-sig", mangle, "replace_sig() with the same bytes",
      fn=replace_sig(lambda s, e: s), hdr={"typ": "JWT"}, on=EVERY),
    C("sized-limit", sized, "exactly 8192 characters is allowed",
      length=TOKEN_LIMIT, on=EVERY),
    C("sized-8000", sized, "8000 characters", length=8000, key="real"),
    C("key-params-ignored", jws, "kid, jku, x5u, x5c and jwk naming the "
      "attacker's material are ignored, not followed: the real key decides",
      hdr={"kid": trap("/kid"), "jku": trap("/jwks.json"),
           "x5u": trap("/cert.pem"), "x5c": attacker_x5c,
           "jwk": attacker_jwk}, on=EVERY),
    C("aud-string", jws, "aud as a string", clm={"aud": AUDIENCE}),
    C("aud-among-others", jws, "aud array with other entries",
      clm={"aud": ["other", AUDIENCE]}),
    C("exp-float", jws, "a fractional NumericDate",
      clm={"exp": lambda e: e.now + 100.5}),
    C("exp-just-inside", jws, "exp MARGIN seconds inside now - leeway",
      clm={"exp": lambda e: e.now - e.lw + MARGIN}, on=TIMED),
    C("nbf-at-boundary", jws, "nbf == now + leeway is valid",
      clm={"nbf": lambda e: e.now + e.lw}, on=TIMED),
    C("iat-at-boundary", jws, "iat == now + leeway is valid",
      clm={"iat": lambda e: e.now + e.lw}, on=TIMED),
    C("nbf-iat-past", jws, "nbf and iat in the past",
      clm={"nbf": lambda e: e.now - 60, "iat": lambda e: e.now - 60}),
    C("iss-exact", jws, "the configured issuer", clm={"iss": ISSUER},
      on=("hsiss",)),
    C("iss-ignored", jws, "iss is free where none is configured",
      clm={"iss": "anyone"}),
    C("sub-uuid", jws, "fastapi-users' user ids",
      clm={"sub": "0b7e3f0c-6a55-4c5d-9a43-5a1d1f7f2c11"}),
    C("sub-utf8", jws, "valid UTF-8 in sub",
      payload_raw=raw_claim("sub", '"al\u00efce"'.encode())),
] + [C("enc-as-is-%d" % p, jws, "jws(enc=) without the change, with the "
       "same nonce claims", enc=Enc(p, "as-is"), on=EVERY) for p in (0, 1, 2)]

USERS = {"sub-uuid": "0b7e3f0c-6a55-4c5d-9a43-5a1d1f7f2c11",
         "sub-utf8": "al\u00efce"}


# ---- fixtures -------------------------------------------------------------------

class Trap:
    """A loopback server that counts connections and answers nothing."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.closed = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self.closed:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            c.close()

    def close(self):
        self.closed = True
        self.sock.close()


def self_signed(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def ctx(keydir):
    def priv(name):
        return serialization.load_pem_private_key(
            (keydir / (name + ".key")).read_bytes(), None)

    keys = {"secret": SECRET, "attacker-secret": ATTACKER_SECRET,
            "empty": b""}
    for n in ("rsa", "rsa2", "ec256", "ec384", "ec521"):
        keys[n] = priv(n)
    keys["attacker-ec256"] = ec.generate_private_key(ec.SECP256R1())
    for n, alg in (("rsa", RSAAlgorithm), ("ec256", ECAlgorithm)):
        pem = (keydir / (n + ".pub")).read_bytes()
        keys[n + ".pub-pem"] = pem
        keys[n + ".pub-pem-stripped"] = pem.strip()
        keys[n + ".pub-pem-crlf"] = pem.replace(b"\n", b"\r\n")
        keys[n + ".pub-pem-body"] = b"".join(
            line for line in pem.splitlines() if not line.startswith(b"-"))
        keys[n + ".pub-der"] = keys[n].public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)
        keys[n + ".pub-jwk"] = alg.to_jwk(keys[n].public_key()).encode()
    CTX.keys = keys
    CTX.certs = {id(keys[n]): self_signed(keys[n])
                 for n in ("rsa2", "attacker-ec256")}
    CTX.pub_path = str(keydir / "rsa.pub")
    t = Trap()
    CTX.trap = t
    CTX.trap_url = "http://127.0.0.1:%d" % t.port
    yield CTX
    t.close()


@pytest.fixture(scope="module")
def server(httpd_factory, keydir, ctx):
    k = str(keydir)
    strategies = {
        "hs": "jwt secret=file:@ROOT@/secret",
        "hslee": "jwt secret=file:@ROOT@/secret leeway=%d" % LEEWAY,
        "hsiss": "jwt secret=file:@ROOT@/secret issuer=" + ISSUER,
        "rs": "jwt algorithm=RS256 private-key=file:%s/rsa.key" % k,
        "es": "jwt algorithm=ES256 private-key=file:%s/ec256.key" % k,
        "rspub": "jwt algorithm=RS256 public-key=file:%s/rsa.pub" % k,
    }
    conf = "LimitRequestFieldSize %d\n" % FIELD_LIMIT
    for name, strategy in strategies.items():
        conf += """
<AuthBackend %(n)s>
    AuthBackendTransport bearer
    AuthBackendStrategy %(s)s
</AuthBackend>
<Location /%(n)s>
    AuthType backend
    AuthName "%(n)s"
    AuthBackendProvider %(n)s
    Require valid-user
</Location>
""" % {"n": name, "s": strategy}
    conf += """
AliasMatch "^/(%s)/(.*)$" "@ROOT@/htdocs/$2"
Header always set X-Remote-User "expr=%%{REMOTE_USER}"
""" % "|".join(strategies)
    h = httpd_factory(conf, start=False)
    h.write("secret", SECRET, mode=0o600)
    h.sent = []
    return h.start()


def env(name):
    alg, leeway, issuer = BACKENDS[name]
    be = SimpleNamespace(name=name, alg=alg, leeway=leeway, issuer=issuer)
    return SimpleNamespace(be=be, now=int(time.time()), lw=leeway)


def send(server, name, token):
    data = token if isinstance(token, bytes) else token.encode("latin-1")
    server.sent.append(data)
    return raw_http.request(server.port, "GET", "/%s/index.html" % name,
                            [("Authorization", b"Bearer " + data)])


def cases(table):
    return [pytest.param(row, name, id="%s@%s" % (row.id, name))
            for row in table for name in row.on]


# ---- the tests --------------------------------------------------------------------

@pytest.mark.parametrize("row,name", cases(HOSTILE))
def test_hostile_token_is_refused(server, row, name):
    e = env(name)
    token = row.token(e)
    hits = CTX.trap.hits
    r = send(server, name, token)
    assert time.time() - e.now < MARGIN - 1, "too slow for the time claims"
    assert r.status in row.status, (row.why, r)
    if r.status == 401:
        assert r.header("Content-Type") == "application/json"
        assert r.json() == {"detail": "Unauthorized"}
        assert r.header("WWW-Authenticate") == \
            'Bearer realm="%s", error="invalid_token"' % name
        assert r.header("X-Remote-User") in (None, "")
    else:
        assert b"hello" not in r.body
    # nothing of the token comes back
    for part in (token if isinstance(token, str) else
                 token.decode("latin-1")).split("."):
        if len(part) >= 16:
            assert part.encode("latin-1") not in r.raw
    assert CTX.trap.hits == hits, "the module contacted the trap server"


@pytest.mark.parametrize("row,name", cases(CONTROL))
def test_control_token_is_accepted(server, row, name):
    e = env(name)
    r = send(server, name, row.token(e))
    assert r.status == 200, (row.why, r)
    assert r.body == b"<p>hello</p>\n"
    assert r.header("X-Remote-User").encode("latin-1").decode() == \
        USERS.get(row.id, "alice")


def _argument_names(row):
    return {k for k, v in row.kw.items() if v is not None}


def test_every_builder_and_argument_has_an_accepted_control():
    """The hostile rows differ from accepted tokens only in their inputs:
    each builder, each argument and each backend they use has a control
    row that passes through the same code with valid values."""
    for row in HOSTILE:
        controls = [c for c in CONTROL if c.build is row.build]
        assert controls, "no control for builder %s" % row.build.__name__
        used = set().union(*(_argument_names(c) for c in controls))
        missing = _argument_names(row) - used - {"length"}
        assert not missing, "%s: no control uses %s" % (row.id, missing)
        backends = set().union(*(c.on for c in CONTROL
                                 if c.build is row.build))
        assert set(row.on) <= backends, row.id


def test_table_has_at_least_30_distinct_hostile_tokens(ctx):
    ids = [row.id for row in HOSTILE]
    assert len(ids) == len(set(ids))
    first = {(row.on[0], row.token(env(row.on[0]))) for row in HOSTILE}
    assert len(first) == len(HOSTILE), "two rows send the same token"
    every = {row.token(env(name)) for row in HOSTILE for name in row.on}
    assert len(every) >= 30
    assert len({row.id for row in CONTROL}) == len(CONTROL)


def test_builders_produce_what_they_say(ctx):
    e = env("hs")
    assert len(sized(e, TOKEN_LIMIT)) == TOKEN_LIMIT
    for p in (0, 1, 2):
        for how in ("spare-bit", "padded", "std-alphabet"):
            good = jws(e, enc=Enc(p, "as-is"))
            bad = jws(e, enc=Enc(p, how))
            assert bad.split(".")[p] != good.split(".")[p]
    t = jws(e, enc=Enc(1, "std-alphabet"))
    assert "+" in t.split(".")[1] or "/" in t.split(".")[1]


def test_the_trap_server_works_and_was_never_contacted(server, ctx):
    assert CTX.trap.hits == 0
    socket.create_connection(("127.0.0.1", CTX.trap.port), timeout=5).close()
    wait_until(lambda: CTX.trap.hits != 0, 5, 0.02,
               "the trap server to see the connection")
    assert CTX.trap.hits == 1          # it would have seen a fetch


def test_server_survived_and_logged_no_token_or_secret(server):
    r = send(server, "hs", jws(env("hs")))
    assert r.status == 200
    log = server.error_log()
    for bad in ("exit signal", "Segmentation fault", "AH00052"):
        assert bad not in log
    assert SECRET.decode() not in log
    assert ATTACKER_SECRET.decode() not in log
    for data in server.sent:
        for part in data.split(b"."):
            if len(part) >= 16:
                assert part.decode("latin-1") not in log, \
                    "a token part is in the error log"
