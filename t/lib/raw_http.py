"""HTTP/1.x requests written byte for byte on a socket.

requests and http.client refuse or normalise what hostile tests must send
(NUL, CR/LF, non-UTF-8 bytes, repeated headers, absolute-form URIs, bodies
that trickle in), so these tests write the request themselves and read the
whole answer: the raw bytes are kept for the "nothing echoed" checks.
"""

import json
import socket
import time


def _bytes(v):
    return v if isinstance(v, bytes) else str(v).encode("latin-1")


class Response:
    def __init__(self, raw):
        self.raw = raw
        self.headers = []
        if not raw.startswith(b"HTTP/"):
            # an HTTP/0.9 answer: the body alone
            self.version, self.status, self.reason = "HTTP/0.9", None, ""
            self.head, self.body = b"", raw
            self.text = raw.decode("utf-8", "replace")
            return
        head, sep, body = raw.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("no complete response head: %r" % raw[:200])
        lines = head.split(b"\r\n")
        status_line = lines[0].decode("latin-1")
        self.version, code, *reason = status_line.split(" ", 2)
        self.status = int(code)
        self.reason = reason[0] if reason else ""
        for line in lines[1:]:
            k, _, v = line.decode("latin-1").partition(":")
            self.headers.append((k.strip(), v.strip()))
        self.head = head
        if (self.header("Transfer-Encoding") or "").lower() == "chunked":
            body = _dechunk(body)
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.text)

    def __repr__(self):
        return "<Response %s %r>" % (self.status, self.raw[:300])


def _dechunk(data):
    out = b""
    while data:
        size, _, rest = data.partition(b"\r\n")
        n = int(size.split(b";")[0], 16)
        if n == 0:
            break
        out += rest[:n]
        data = rest[n + 2:]
    return out


def build(method, target, headers=(), body=b"", version="HTTP/1.1",
          host="127.0.0.1", close=True, length=True):
    """The bytes of a request.  HEADERS: (name, value) pairs, str or bytes,
    sent as given (repeats included).  HOST=None: no Host header;
    LENGTH: add Content-Length for a non-empty body."""
    out = b"%s %s %s\r\n" % (_bytes(method), _bytes(target), _bytes(version))
    names = {(_bytes(k).lower()) for k, _ in headers}
    if host is not None and b"host" not in names:
        out += b"Host: " + _bytes(host) + b"\r\n"
    for k, v in headers:
        out += _bytes(k) + b": " + _bytes(v) + b"\r\n"
    if body and length and b"content-length" not in names \
            and b"transfer-encoding" not in names:
        out += b"Content-Length: %d\r\n" % len(body)
    if close and b"connection" not in names:
        out += b"Connection: close\r\n"
    return out + b"\r\n" + _bytes(body)


def send(port, data, timeout=10, chunks=None, delay=0.0):
    """Sends DATA (or the byte strings of CHUNKS, DELAY seconds apart) and
    reads until the server closes.  Returns the raw bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            for i, c in enumerate(chunks if chunks is not None else [data]):
                if i and delay:
                    time.sleep(delay)   # deliberate: a slow client
                s.sendall(c)
        except OSError:
            pass            # the server may answer and close early
        out = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            out += b
        return out


def request(port, method, target, headers=(), body=b"", timeout=10, **kw):
    kw.setdefault("host", "127.0.0.1:%d" % port)
    return Response(send(port, build(method, target, headers, body, **kw),
                         timeout=timeout))
