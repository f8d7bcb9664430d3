"""A local HTTPS key-set (JWKS) server for the jwt strategy's jwks= tests,
with its own test CA, and helpers to make keys, JWKs and signed tokens.

    ca = TestCA()                        # openssl, in a temp dir
    k1 = Key.rsa("k1", alg="RS256")      # python3-cryptography key + kid
    srv = JwksServer(ca, keys=[k1]).start()
    srv.url                              # https://127.0.0.1:PORT/jwks.json
    token = k1.token()                   # PyJWT, header {"kid": "k1", ...}
    ...
    srv.stop(); ca.cleanup()

The server runs in threads of the test process (ThreadingHTTPServer; the
TLS handshake is done in the request's thread, so a client that never
completes one cannot stall the others) and listens on 127.0.0.1 only.

Controls, all safe to change while it runs:
  set_keys(k1, jwk_dict, ...)  publish {"keys": [...]} (Key objects or dicts)
  set_document(x)              bytes/str sent verbatim, a dict as JSON
  status = 500                 HTTP status of the answers (the body is the
                               document all the same)
  delay = 4.0                  seconds to wait before answering
  drip = 4.0                   seconds over which the body is sent, in 20
                               pieces (the headers go at once): a fetch
                               that is slow as a whole, never idle long
  cache_control = "max-age=2"  a Cache-Control header (None: none)
  content_type                 "application/json" by default
  down() / up()                close the listener (connections are refused)
                               and open it again on the same port
Counters (of answered requests for the document's path, and of TLS
handshakes that failed, e.g. a client that does not trust the test CA):
  hits, hits_since(t), hit_times, tls_failures, requests (method, path),
  wait_for_hits(n, timeout), reset()
"""

import base64
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid

import jwt  # PyJWT
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature)

from wait import wait_until

AUDIENCE = ["fastapi-users:auth"]


# ---- the test CA -----------------------------------------------------------


class TestCA:
    """A private CA and a server certificate for 127.0.0.1 / localhost
    signed by it, made by the openssl command in a temp dir.

    ca_cert, ca_key, cert, key: paths (PEM).  The directory and files are
    world-readable (httpd's children read ca_cert as www-data)."""

    __test__ = False            # not a pytest test class

    def __init__(self, directory=None, days=2):
        self.dir = directory or tempfile.mkdtemp(prefix="mab-jwks-ca-")
        os.chmod(self.dir, 0o755)
        self.ca_key = self._p("ca.key")
        self.ca_cert = self._p("ca.pem")
        self.key = self._p("server.key")
        self.cert = self._p("server.pem")
        csr, ext = self._p("server.csr"), self._p("server.ext")
        self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes",
                      "-keyout", self.ca_key, "-out", self.ca_cert,
                      "-days", str(days), "-subj",
                      "/CN=mod_auth_backend test CA %s" % uuid.uuid4().hex,
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self._openssl("req", "-newkey", "rsa:2048", "-nodes",
                      "-keyout", self.key, "-out", csr,
                      "-subj", "/CN=127.0.0.1")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca_cert,
                      "-CAkey", self.ca_key, "-CAcreateserial",
                      "-out", self.cert, "-days", str(days),
                      "-extfile", ext)
        for name in os.listdir(self.dir):
            os.chmod(os.path.join(self.dir, name), 0o644)
        # only the server's own key and the CA key stay private
        os.chmod(self.ca_key, 0o600)
        os.chmod(self.key, 0o600)

    def _p(self, name):
        return os.path.join(self.dir, name)

    @staticmethod
    def _openssl(*args):
        r = subprocess.run(["openssl", *args], capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("openssl %s failed:\n%s"
                               % (" ".join(args), r.stderr))

    def server_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- the server ------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):       # quiet: no stderr noise in pytest
        pass

    def do_GET(self):
        self.server.owner._answer(self)

    def do_HEAD(self):
        self.server.owner._answer(self, body=False)


class _TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, owner, port):
        self.owner = owner
        super().__init__(("127.0.0.1", port), _Handler)

    def finish_request(self, request, client_address):
        # in the request's own thread (ThreadingMixIn)
        request.settimeout(10)
        self.owner._track(request, True)
        try:
            tls = self.owner.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            self.owner._count_tls_failure()
            self.owner._track(request, False)
            return
        self.owner._track(tls, True)
        try:
            super().finish_request(tls, client_address)
        except (OSError, ssl.SSLError):
            pass                # the client went away (gave up waiting)
        finally:
            self.owner._track(tls, False)
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass                    # clients that hang up are expected here


class JwksServer:
    """See the module docstring."""

    __test__ = False

    def __init__(self, ca, keys=(), path="/jwks.json", document=None):
        self.ca = ca
        self.context = ca.server_context()
        self.path = path
        self.port = None
        self.status = 200
        self.delay = 0.0
        self.drip = 0.0
        self.cache_control = None
        self.content_type = "application/json"
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = None
        self._thread = None
        self._open = set()
        self.reset()
        if document is not None:
            self.set_document(document)
        else:
            self.set_keys(*keys)

    # -- lifecycle

    def start(self):
        """Listens on a free loopback port (the first time) or on the same
        port again (after down())."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        deadline = time.monotonic() + 10
        while True:
            try:
                self._httpd = _TLSServer(self, self.port or 0)
                break
            except OSError:
                # the port of a listener just closed: retry for a moment
                if self.port is None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name="jwks-server-%d" % self.port, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Closes the listener; requests being delayed are let go at once
        (their clients see the connection close)."""
        self._stopping.set()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            self._thread.join(10)
        # and the connections still open (being delayed, or mid-handshake)
        with self._lock:
            conns, self._open = list(self._open), set()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return self

    down = stop

    def up(self):
        """Listens again on the same port."""
        return self.start()

    @property
    def is_up(self):
        return self._httpd is not None

    @property
    def url(self):
        return "https://127.0.0.1:%d%s" % (self.port, self.path)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- what it serves

    def set_document(self, doc):
        """bytes or str: sent verbatim; anything else: as JSON."""
        if isinstance(doc, str):
            doc = doc.encode()
        elif not isinstance(doc, (bytes, bytearray)):
            doc = json.dumps(doc).encode()
        with self._lock:
            self._document = bytes(doc)

    def set_keys(self, *keys):
        """{"keys": [...]} of Key objects (their public JWK) or JWK dicts."""
        self.set_document(jwks(*keys))

    @property
    def document(self):
        with self._lock:
            return self._document

    # -- counters

    def reset(self):
        with self._lock:
            self.hit_times = []
            self.requests = []
            self.tls_failures = 0

    @property
    def hits(self):
        """Requests for the document's path answered (any status)."""
        with self._lock:
            return len(self.hit_times)

    def hits_since(self, t):
        """Requests for the document's path that arrived at or after
        time.monotonic() value T."""
        with self._lock:
            return sum(1 for h in self.hit_times if h >= t)

    def last_hit(self):
        with self._lock:
            return self.hit_times[-1] if self.hit_times else None

    def wait_for_hits(self, n, timeout=10, what=None):
        """Waits until at least N requests have been answered."""
        return wait_until(lambda: self.hits >= n, timeout, 0.05,
                          what or "the JWKS server to have served %d "
                          "request(s) (it has served %s)" % (n, self.hits))

    def _track(self, sock, add):
        with self._lock:
            if add:
                self._open.add(sock)
            else:
                self._open.discard(sock)

    def _count_tls_failure(self):
        with self._lock:
            self.tls_failures += 1

    # -- answering

    def _answer(self, handler, body=True):
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests.append((handler.command, handler.path))
            status, delay, drip = self.status, self.delay, self.drip
            cache_control, ctype = self.cache_control, self.content_type
            doc = self._document
            if path == self.path:
                self.hit_times.append(time.monotonic())
        if path != self.path:
            status, doc, cache_control = 404, b'{"detail":"Not Found"}', None
        if delay and self._stopping.wait(delay):
            return              # stopped while delaying: just hang up
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(doc)))
        # one request per connection: every fetch is a new TLS handshake,
        # and down() leaves no kept-alive connection behind
        handler.send_header("Connection", "close")
        handler.close_connection = True
        if cache_control is not None:
            handler.send_header("Cache-Control", cache_control)
        handler.end_headers()
        if not body:
            doc = b""
        pieces = 20 if drip and doc else 1
        step = -(-len(doc) // pieces)
        for i in range(pieces):
            if i and self._stopping.wait(drip / pieces):
                return
            handler.wfile.write(doc[i * step:(i + 1) * step])
            handler.wfile.flush()


# ---- keys, JWKs, tokens ----------------------------------------------------


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(n, size=None):
    size = size or max(1, (n.bit_length() + 7) // 8)
    return b64u(n.to_bytes(size, "big"))


CURVES = {"P-256": (ec.SECP256R1, 32), "P-384": (ec.SECP384R1, 48),
          "P-521": (ec.SECP521R1, 66)}
HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def public_jwk(public_key, kid=None, alg=None, use=None, **extra):
    """The public JWK (RFC 7517/7518/8037) of a python3-cryptography public
    key, made by hand; KID, ALG, USE and EXTRA members are added when not
    None."""
    if isinstance(public_key, rsa.RSAPublicKey):
        nums = public_key.public_numbers()
        d = {"kty": "RSA", "n": _uint(nums.n), "e": _uint(nums.e)}
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        crv = {c[0].name: (name, c[1]) for name, c in CURVES.items()}[
            public_key.curve.name]
        nums = public_key.public_numbers()
        d = {"kty": "EC", "crv": crv[0], "x": _uint(nums.x, crv[1]),
             "y": _uint(nums.y, crv[1])}
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw,
                                      serialization.PublicFormat.Raw)
        d = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    else:
        raise TypeError("no JWK for %r" % (public_key,))
    for k, v in (("kid", kid), ("alg", alg), ("use", use)):
        if v is not None:
            d[k] = v
    d.update({k: v for k, v in extra.items() if v is not None})
    return d


def oct_jwk(secret, kid=None, alg=None, **extra):
    """An oct (HMAC) JWK."""
    if isinstance(secret, str):
        secret = secret.encode()
    d = {"kty": "oct", "k": b64u(secret)}
    for k, v in (("kid", kid), ("alg", alg)):
        if v is not None:
            d[k] = v
    d.update(extra)
    return d


def claims(user="alice", lifetime=600, audience=AUDIENCE, **extra):
    """The claims of a valid token; a random jti makes every token distinct
    (so the verified-token cache never answers for it)."""
    c = {"sub": user, "aud": audience, "exp": int(time.time()) + lifetime,
         "jti": uuid.uuid4().hex}
    c.update(extra)
    return c


class Key:
    """A private key (python3-cryptography) with the kid and JWK members
    it is published under.

    .private, .public, .kid, .alg (the JWK's alg, or None), .jwk (the
    public JWK dict), .token(...) (a token signed with PyJWT)."""

    def __init__(self, private, kid=None, alg=None, use=None, **extra):
        self.private = private
        self.kid = kid
        self.alg = alg
        self.use = use
        self.extra = extra

    @classmethod
    def rsa(cls, kid=None, alg=None, bits=2048, **kw):
        return cls(rsa.generate_private_key(65537, bits), kid, alg, **kw)

    @classmethod
    def ec(cls, kid=None, alg=None, crv="P-256", **kw):
        return cls(ec.generate_private_key(CURVES[crv][0]()), kid, alg, **kw)

    @classmethod
    def ed25519(cls, kid=None, alg=None, **kw):
        return cls(ed25519.Ed25519PrivateKey.generate(), kid, alg, **kw)

    @property
    def public(self):
        return self.private.public_key()

    @property
    def jwk(self):
        return public_jwk(self.public, kid=self.kid, alg=self.alg,
                          use=self.use, **self.extra)

    def default_alg(self):
        if self.alg:
            return self.alg
        if isinstance(self.private, rsa.RSAPrivateKey):
            return "RS256"
        if isinstance(self.private, ec.EllipticCurvePrivateKey):
            return {"secp256r1": "ES256", "secp384r1": "ES384",
                    "secp521r1": "ES512"}[self.private.curve.name]
        return "EdDSA"

    def token(self, alg=None, kid=True, headers=None, **claim_kw):
        """A token signed by PyJWT with ALG (the key's JWK alg, else the
        natural one of its type).  KID: True for the key's own kid, None or
        False for no kid header, a string for that kid instead."""
        alg = alg or self.default_alg()
        h = dict(headers or {})
        if kid is True:
            kid = self.kid
        if kid:
            h["kid"] = kid
        return jwt.encode(claims(**claim_kw), self.private, algorithm=alg,
                          headers=h or None)

    def raw_token(self, alg, header=None, payload=None):
        """A token signed here by hand with python3-cryptography for
        whatever ALG is asked, even one PyJWT would not make with this key
        (an ES256 signature by a P-384 key); HEADER defaults to
        {"alg": ALG, "kid": kid}."""
        if header is None:
            header = {"alg": alg, "typ": "JWT"}
            if self.kid:
                header["kid"] = self.kid
        payload = claims() if payload is None else payload
        signing_input = ("%s.%s" % (
            b64u(json.dumps(header).encode()),
            b64u(json.dumps(payload).encode()))).encode()
        return signing_input.decode() + "." + b64u(
            sign(self.private, alg, signing_input))


def sign(private, alg, data):
    """A JWS signature of DATA with PRIVATE for ALG (RS*, PS*, ES*, EdDSA)."""
    if alg == "EdDSA":
        return private.sign(data)
    h = HASHES[alg[2:]]()
    if alg.startswith("RS"):
        return private.sign(data, padding.PKCS1v15(), h)
    if alg.startswith("PS"):
        return private.sign(data, padding.PSS(padding.MGF1(h), h.digest_size),
                            h)
    if alg.startswith("ES"):
        r, s = decode_dss_signature(private.sign(data, ec.ECDSA(h)))
        size = (private.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    raise ValueError("cannot sign %s" % alg)


def jwks(*keys):
    """{"keys": [...]} of Key objects and JWK dicts."""
    return {"keys": [k.jwk if isinstance(k, Key) else k for k in keys]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- self-test: python3 t/lib/jwks_server.py --------------------------------


def _self_test():
    import requests
    ca = TestCA()
    k = Key.rsa("k1", alg="RS256")
    srv = JwksServer(ca, keys=[k]).start()
    try:
        def curl(*args):
            return subprocess.run(["curl", "-sS", "--max-time", "5", *args,
                                   srv.url], capture_output=True, text=True)
        r = curl("--cacert", ca.ca_cert)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["keys"][0]["kid"] == "k1"
        r = curl()
        assert r.returncode == 60, (r.returncode, r.stderr)
        print("curl --cacert: ok; without: exit 60:", r.stderr.strip())
        s = requests.Session()
        s.trust_env = False
        srv.status, srv.cache_control = 500, "max-age=2"
        r = s.get(srv.url, verify=ca.ca_cert, timeout=5)
        assert r.status_code == 500 and r.headers["Cache-Control"] == \
            "max-age=2"
        srv.down()
        try:
            s.get(srv.url, verify=ca.ca_cert, timeout=2)
            raise AssertionError("answered while down")
        except requests.ConnectionError:
            pass
        srv.up()
        srv.status = 200
        assert s.get(srv.url, verify=ca.ca_cert, timeout=5).ok
        print("hits", srv.hits, "tls failures", srv.tls_failures)
    finally:
        srv.stop()
        ca.cleanup()


if __name__ == "__main__":
    _self_test()
